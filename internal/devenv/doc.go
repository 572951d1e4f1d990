// Package devenv is aviary's real local test environment: the real
// components a canary release touches, started in-process or as child
// processes on loopback, with free ports, for tests and for
// "go run ./hack/devenv up". No containers, no Docker engine.
//
// # API summary
//
// Every part has a context API returning a value with Close, and a
// testing wrapper that fails the test on error and registers t.Cleanup.
// Real-environment tests skip only under -short:
//
//	if testing.Short() { t.Skip("starts a real cluster") }
//
// Registry (CNCF Distribution v3.0.0, in-process, in-memory storage):
//
//	reg := devenv.StartRegistry(t, devenv.RegistryOptions{})                      // plain HTTP
//	reg := devenv.StartRegistry(t, devenv.RegistryOptions{TLS: true, Auth: true}) // HTTPS + htpasswd
//	reg.Host ("127.0.0.1:port"), reg.URL, reg.Ref("repo") ("host/repo")
//	reg.CAFile, reg.CAPool(), reg.Client()            // TLS: trust the generated CA
//	reg.Username, reg.Password, reg.DockerConfig      // Auth: credentials; DOCKER_CONFIG dir
//	devenv.NewRegistry(ctx, opts) / reg.Close()
//
// Distribution v3.0.0 has no referrers API; OCI clients fall back to the
// referrers tag schema.
//
// Clusters (etcd, kube-apiserver v1.37.2, controller-manager, scheduler,
// kwok; Istio v1.32 CRDs; one Ready kwok node; 5 to 15 s to start,
// depending on how busy the machine is):
//
//	c := devenv.StartCluster(t, devenv.ClusterOptions{})
//	cs := devenv.StartClusters(t, 3, devenv.ClusterOptions{}) // "cluster-1".."cluster-3", in parallel
//	c.Name, c.Kubeconfig (admin file), c.RESTConfig(), c.Client() (*kubernetes.Clientset), c.Server, c.CAFile
//	c.ClusterID (Istio cluster ID, default c.Name), c.PodCIDR (a /16 per cluster of the process)
//	ips, err := c.PodIPs(ctx, "shop", "app=cart")      // running pods' IPs, in address order
//	path := c.KubeconfigForRole(t, "shop", []rbacv1.PolicyRule{...})        // least-privilege SA token
//	path := c.KubeconfigForClusterRole(t, "shop", []rbacv1.PolicyRule{...})
//	c.EnsureNamespace(ctx, "shop")                    // new namespaces get a default ServiceAccount
//	devenv.NewCluster(ctx, opts) / devenv.NewClusters(ctx, n, opts) / c.Close()
//
// Tests that only need namespaces of their own borrow a cluster from a
// pool kept for the test process instead of starting one (1 to 4 s to
// reset against 5 to 15 s to start); it is reset (every namespace the test
// made deleted) when the test ends, and TestMain stops the pool:
//
//	c := devenv.SharedCluster(t, devenv.ClusterOptions{})
//	cs := devenv.SharedNamedClusters(t, []string{"release", "canary"}, devenv.ClusterOptions{})
//	func TestMain(m *testing.M) { os.Exit(devenv.SharedM{M: m}.Run()) }
//
// Pods are scheduled onto kwok's fake node and become Running and Ready
// without containers, with IPs from the cluster's PodCIDR, so Deployments
// roll out and become Available. The controller-manager runs the
// deployment, replicaset, endpointslice, node-lifecycle, serviceaccount,
// namespace and garbage-collector controllers only.
//
// istiod (pilot-discovery of istio.io/istio, Istio 1.31 development; ready
// and synced 3 to 7 s after its start on a busy two-core machine), on
// demand, for one cluster and any number of remote clusters (remote secrets
// in istio-system):
//
//	i := devenv.StartIstiod(t, c, devenv.IstiodOptions{})                                  // one cluster
//	i := devenv.StartIstiod(t, c1, devenv.IstiodOptions{Remotes: []*devenv.Cluster{c2}}) // c2 joins
//	i.GRPCAddr (plain-text xDS), i.HTTPAddr (/ready, /debug/...), i.ClusterID
//	devenv.NewIstiod(ctx, c, opts) / i.Close(); i.LogTail(n)
//
// It runs without TLS, CA or webhooks; its log goes to the test log when
// the test fails. Package internal/xdsprobe asks it what an Envoy receives.
//
// Telemetry and Prometheus (Debian's prometheus on PATH, else built):
//
//	tel := devenv.StartTelemetry(t, devenv.Series{Service: "reviews", Namespace: "shop", Version: "v2", RPS: 50, ErrorRatio: 0.02})
//	tel.Set(devenv.Series{...})                       // change while running; applies from now
//	prom := devenv.StartPrometheus(t, tel.Target)     // scrape interval 1s
//	v, err := prom.Query(ctx, `sum(rate(istio_requests_total{response_code!~"5.."}[10s]))`)
//	prom.URL                                          // for the analysis step's Prometheus address
//
//	tel := devenv.StartClusterTelemetry(t, "canary")       // one cluster's sidecars: series of that cluster only
//	tel.Set(devenv.Series{Service: "cart", Namespace: "shop", Version: "1.1.0", SourceCluster: "release", RPS: 40})
//	devenv.Split("cart", "shop", 100, devenv.Share{Version: "1.0.0", Weight: 75, Cluster: "release", ...}, ...)
//
// The telemetry source reports istio_requests_total and
// istio_request_duration_milliseconds (Istio's buckets) with Istio's labels
// (reporter="destination", destination_service_name,
// destination_workload_namespace, destination_workload, destination_version,
// destination_cluster and source_cluster (Istio cluster IDs; Istio's
// default "Kubernetes" unless set), response_code, ...). For a Prometheus
// per cluster, start a cluster telemetry and a Prometheus per cluster; one
// Prometheus may scrape them all. Counters advance with wall-clock time, so a success
// rate over irate() follows a change within two scrape intervals. A new
// Prometheus takes about 6 s to report its first rate (target discovery
// runs every 5 s).
//
// Real requests (Mesh): a workload simulator whose requests are routed by
// a real istiod. Every pod kwok runs with an "app" label gets a gRPC server
// on a loopback address, answering as its "version" label; callers send a
// steady rate through gRPC's proxyless xDS resolver (a bootstrap of their
// own per caller, node metadata GENERATOR=grpc), with a dialer that maps
// each pod IP istiod hands out to that pod's server (the API server
// refuses loopback addresses in EndpointSlices):
//
//	mesh := devenv.StartMesh(t, devenv.MeshOptions{Clusters: []*devenv.Cluster{c}})
//	prom := devenv.StartPrometheus(t, mesh.Target)
//	target, err := mesh.ClusterTarget("cluster-2")   // what cluster-2's sidecars report, for its own Prometheus
//	caller, err := mesh.Call(devenv.CallerOptions{Workload: "frontend", Namespace: "shop", Istiod: ist,
//		Calls: []devenv.Call{{Host: "cart.shop.svc.cluster.local", Port: 80, RPS: 200}}})
//	caller.SetRate("cart.shop.svc.cluster.local", 50)
//	mesh.Set("cart", "1.2.0", devenv.Behaviour{ErrorRatio: 0.3, Latency: 20 * time.Millisecond}) // while running
//	mesh.Answers().Since(t0).To(host).ByVersion()  // what the callers got, by the answering pod's version
//	mesh.Received().Since(t0).To(host).Failed()    // every attempt the pods answered, failures by version
//
// Both ends report istio_requests_total and
// istio_request_duration_milliseconds with Istio's labels (reporter
// "source" and "destination", source_workload, destination_workload (the
// pod's Deployment), destination_version, destination_service_name,
// destination_cluster, response_code, grpc_response_status, ...), so the
// analysis's queries read them as a mesh's. A failure is a bare HTTP
// status (default 503), which Istio reports as response_code 503 and gRPC
// turns into UNAVAILABLE; istiod's default retry policy makes gRPC retry it
// once, so fewer failures reach the caller than the pods answered, as in a
// mesh. With several clusters (each its own PodCIDR) and an istiod reading
// them all, callers reach pods across clusters through istiod's merged
// endpoints, and answers carry each pod's cluster (Tally.ByCluster,
// destination_cluster). A weight change reaches the requests 20 to 120 ms
// after the VirtualService is written (BenchmarkRealTraffic in
// steps/internal/stepgate). Telemetry (synthetic counters that follow set rates exactly)
// stays for tests that need exact numbers.
//
// Everything at once (used by hack/devenv):
//
//	env, err := devenv.Up(ctx, devenv.Options{Clusters: 3, Registry: true, Prometheus: true})
//	env, err := devenv.Up(ctx, devenv.Options{Clusters: 2, Istiod: true}) // an istiod per cluster, each reading the other
//	defer env.Close()
//
// # Binaries and clean-up
//
// Binaries come from internal/toolcache: built once from the tools modules
// under hack/ into the user cache directory (the first build of the
// Kubernetes binaries takes about 19 CPU-minutes, toolcache.Estimate says
// how long on this machine; "go run ./hack/toolcache all"
// does it ahead of time, and keeps a first test run within go test's
// default 10-minute timeout), or taken from AVIARY_TOOLS_DIR. Child processes run
// in their own process groups and are killed on Close; on Linux the kernel
// also kills them when the test process dies (Pdeathsig), even on a test
// timeout. Scratch directories live under $TMPDIR/aviary-devenv and are
// removed on Close; those left by a killed process are swept by the next
// run. Set AVIARY_DEVENV_KEEP=1 to keep them (process logs are *.log in
// Cluster.Dir, Istiod.Dir and Prometheus.Dir).
package devenv
