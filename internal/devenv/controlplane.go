package devenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/aviary-cd/aviary/internal/toolcache"
	"github.com/aviary-cd/aviary/pkg/clock"
)

// controllers run by kube-controller-manager: enough for Deployments to roll
// out, Services to get EndpointSlices (istiod's endpoints), nodes to lose
// their not-ready taint, namespaces to get a default ServiceAccount and
// deletions to cascade.
const controllers = "deployment-controller,replicaset-controller,endpointslice-controller,node-lifecycle-controller," +
	"serviceaccount-controller,namespace-controller,garbage-collector-controller"

// clusterTools are the binaries a cluster runs (see internal/toolcache).
var clusterTools = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// childEnv keeps the Go runtimes of the control plane frugal with memory.
var childEnv = []string{"GOGC=50"}

// startCluster starts one control plane in a work directory of its own —
// etcd, kube-apiserver, then the controllers, the scheduler and kwok — and
// bootstraps it (bootstrap). On failure it stops whatever it had started.
func startCluster(ctx context.Context, opts ClusterOptions) (_ *Cluster, err error) {
	dir, err := newWorkDir("cluster")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Name: opts.Name, ClusterID: opts.ClusterID, PodCIDR: opts.PodCIDR, Dir: dir, token: randomHex(24)}
	defer func() {
		if err != nil {
			_ = c.Close()
			err = fmt.Errorf("starting cluster %s: %w", opts.Name, err)
		}
	}()

	bins, err := toolPaths(ctx, clusterTools...)
	if err != nil {
		return nil, err
	}
	if err := c.writeSecrets(); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if err := c.startEtcd(ctx, bins["etcd"], etcdURL, "http://127.0.0.1:"+strconv.Itoa(ports[1])); err != nil {
		return nil, err
	}
	if err := c.startAPIServer(ctx, bins["kube-apiserver"], etcdURL, ports[2], opts.Profiling); err != nil {
		return nil, err
	}
	if err := c.connect(); err != nil {
		return nil, err
	}
	if err := c.startNodeProcesses(bins, opts.PodCIDR); err != nil {
		return nil, err
	}
	if err := c.bootstrap(ctx, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// startEtcd starts the cluster's etcd at clientURL and waits until it is
// healthy.
func (c *Cluster) startEtcd(ctx context.Context, bin, clientURL, peerURL string) error {
	etcd, err := startProcess("etcd", bin, []string{
		"--name=default",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + clientURL, "--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}, filepath.Join(c.Dir, "etcd.log"), childEnv...)
	if err != nil {
		return err
	}
	c.addProcess(etcd)
	if err := c.waitHTTP(ctx, http.DefaultClient, clientURL+"/health", ""); err != nil {
		return fmt.Errorf("waiting for etcd: %w", err)
	}
	return nil
}

// startAPIServer starts kube-apiserver on port over etcd, serving the
// certificate and tokens writeSecrets wrote, and waits until it is ready.
func (c *Cluster) startAPIServer(ctx context.Context, bin, etcdURL string, port int, profiling bool) error {
	c.Server = "https://127.0.0.1:" + strconv.Itoa(port)
	dir := c.Dir
	apiserver, err := startProcess("kube-apiserver", bin, []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + dir,
		"--tls-cert-file=" + filepath.Join(dir, "apiserver.pem"),
		"--tls-private-key-file=" + filepath.Join(dir, "apiserver-key.pem"),
		"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(dir, "sa-key.pem"),
		"--service-account-signing-key-file=" + filepath.Join(dir, "sa-key.pem"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true",
		"--profiling=" + strconv.FormatBool(profiling),
		"--enable-priority-and-fairness=false",
		"--endpoint-reconciler-type=none",
		"--v=0",
	}, filepath.Join(dir, "kube-apiserver.log"), childEnv...)
	if err != nil {
		return err
	}
	c.addProcess(apiserver)
	if err := c.waitHTTP(ctx, c.httpClient(), c.Server+"/readyz", c.token); err != nil {
		return fmt.Errorf("waiting for kube-apiserver: %w", err)
	}
	return nil
}

// connect writes the admin kubeconfig and makes the cluster's client.
func (c *Cluster) connect() error {
	c.CAFile = filepath.Join(c.Dir, "ca.pem")
	c.Kubeconfig = filepath.Join(c.Dir, "admin.kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, c.Name, c.Server, c.ca.certPEM, "admin", c.token, ""); err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	c.client = client
	return nil
}

// startNodeProcesses starts what runs beside the API server through the
// admin kubeconfig: kube-controller-manager (the controllers above),
// kube-scheduler and kwok, whose fake nodes give pods IPs from podCIDR.
func (c *Cluster) startNodeProcesses(bins map[string]string, podCIDR string) error {
	kubeconfig := "--kubeconfig=" + c.Kubeconfig
	for _, p := range []struct {
		name string
		args []string
	}{
		{"kube-controller-manager", []string{kubeconfig,
			"--controllers=" + controllers,
			"--leader-elect=false", "--secure-port=0",
			"--use-service-account-credentials=false",
			"--cluster-name=" + c.Name,
			"--kube-api-qps=100", "--kube-api-burst=200",
			"--node-monitor-period=1s",
			"--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10",
			"--v=0"}},
		{"kube-scheduler", []string{kubeconfig, "--leader-elect=false", "--secure-port=0", "--v=0"}},
		{"kwok", []string{kubeconfig, "--manage-all-nodes=true",
			"--config=" + filepath.Join(c.Dir, "kwok.yaml"),
			"--node-lease-duration-seconds=40",
			"--cidr=" + podCIDR, "--node-ip=10.0.0.1"}},
	} {
		proc, err := startProcess(p.name, bins[p.name], p.args, filepath.Join(c.Dir, p.name+".log"), childEnv...)
		if err != nil {
			return err
		}
		c.addProcess(proc)
	}
	return nil
}

// writeSecrets writes the CA, the API server's certificate, the service
// account signing key, the static admin token and kwok's stages.
func (c *Cluster) writeSecrets() error {
	var err error
	if c.ca, err = newCertAuthority("aviary devenv " + c.Name + " CA"); err != nil {
		return err
	}
	certPEM, keyPEM, err := c.ca.issue("kube-apiserver", nil,
		"127.0.0.1", "localhost", "10.96.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc")
	if err != nil {
		return err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating service account key: %w", err)
	}
	saDER, err := x509.MarshalECPrivateKey(saKey)
	if err != nil {
		return fmt.Errorf("encoding service account key: %w", err)
	}
	files := map[string][]byte{
		"ca.pem":            c.ca.certPEM,
		"apiserver.pem":     certPEM,
		"apiserver-key.pem": keyPEM,
		"sa-key.pem":        pemBlock("EC PRIVATE KEY", saDER),
		"tokens.csv":        []byte(c.token + `,admin,admin,"system:masters"` + "\n"),
		"kwok.yaml":         kwokStages(),
	}
	for name, data := range files {
		if err := writeFile(filepath.Join(c.Dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) httpClient() *http.Client {
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: c.ca.pool(), MinVersion: tls.VersionTLS12},
		},
	}
}

// waitHTTP polls url until it answers 200, a process dies or ctx ends.
func (c *Cluster) waitHTTP(ctx context.Context, client *http.Client, url, token string) error {
	return poll(ctx, 50*time.Millisecond, func() (bool, error) {
		if err := c.checkProcesses(); err != nil {
			return false, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// poll calls check every interval until it reports done or an error, or
// ctx ends.
func poll(ctx context.Context, interval time.Duration, check func() (bool, error)) error {
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		if err := clock.Sleep(ctx, interval); err != nil {
			return err
		}
	}
}

func toolPaths(ctx context.Context, names ...string) (map[string]string, error) {
	paths := make(map[string]string, len(names))
	for _, name := range names {
		p, err := toolcache.Path(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", name, err)
		}
		paths[name] = p
	}
	return paths, nil
}

func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	seen := map[int]bool{}
	for len(ports) < n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}
