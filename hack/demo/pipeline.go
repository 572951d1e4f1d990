package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
)

// act is one release of the sample app through the whole pipeline.
type act struct {
	Title string
	// Commit is the commit message of the change released.
	Commit string
	// Changed are the services whose code changes; the others keep their
	// image, so the release leaves them alone.
	Changed []string
	// Faulty is a service whose new version answers ErrorRatio of its
	// requests with errors; the analysis should roll it back.
	Faulty     string
	ErrorRatio float64
	// Close is the closing of the last promoted release, no new one: the
	// passive cluster rebuilt from its plan and switched to, then the
	// other rebuilt too (active-passive-canary-namespace).
	Close bool
}

// actResult is what an act did and where it left the cluster.
type actResult struct {
	N       int
	Title   string
	Version string
	PlanRef string
	// Routes are read from the cluster after the act's last step.
	Routes []route
	// Skipped says why the act did not run, if it did not.
	Skipped string
}

// Analysis settings for the demo: short windows so that a traffic step is
// judged in seconds. Prometheus scrapes every second; a 10% canary gets
// about 10 real requests a second, so a 5 s window holds about 50. The
// latency the demo's gRPC servers answer with is the machine's load, not
// the release's (a busy two-core machine pushed a healthy canary's p99
// past the default 500 ms): the demo judges errors, and latency only
// past 2 s.
var analysisArgs = []string{
	"--analysis-interval=5s",
	"--analysis-measurements=2",
	"--failure-limit=1",
	"--min-requests=10",
	"--success-rate=99",
	"--max-p99-ms=2000",
}

// release runs one act: commit, open the release, build and sign the
// images, bundle and verify the plan, deploy the canary, shift traffic
// under analysis, and promote it, or roll it back when the analysis fails.
func (d *demo) release(ctx context.Context, n int, a act) (*actResult, error) {
	res := &actResult{N: n, Title: a.Title}
	d.res.Acts = append(d.res.Acts, res)
	d.runner.act = n
	fmt.Fprintf(d.out, "\n═══ Act %d: %s ═══\n", n, a.Title)
	if a.Close {
		return res, d.closeRelease(ctx, res)
	}

	hash, err := d.app.change(a.Commit, a.Changed...)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(d.out, "\n   git commit %s  %q  (changes %s)\n", hash[:10], a.Commit, strings.Join(a.Changed, ", "))

	or, err := d.step(ctx, "open-release", 0, "--repo-path="+d.app.Dir)
	if err != nil {
		return res, err
	}
	res.Version = or.Outputs["version"]
	if res.Version == "" {
		return res, fmt.Errorf("open-release gave no version")
	}

	if err := d.publishImages(ctx, res.Version, a.Changed); err != nil {
		return res, err
	}

	bp, err := d.stepEnv(ctx, "bundle-plan", 0, []string{"AVIARY_SIGN_KEY_PASSWORD=" + string(d.key.Password)},
		"--repo-path="+d.app.Dir,
		"--repository="+d.planRepo(),
		"--version="+res.Version,
		"--sign-key="+d.key.PrivateFile)
	if err != nil {
		return res, err
	}
	res.PlanRef = bp.Outputs["plan-ref"]
	d.lastPlan = res.PlanRef
	d.runner.vars = map[string]string{res.PlanRef: "PLAN"}
	fmt.Fprintf(d.out, "   PLAN=%s  (the later steps get it by digest)\n", res.PlanRef)

	if _, err := d.step(ctx, "verify-artifacts", 0,
		"--plan="+res.PlanRef,
		"--key="+d.key.PublicFile,
		"--report-path="+filepath.Join(d.work, "verify-"+res.Version+".json")); err != nil {
		return res, err
	}

	if d.app.switches() {
		return res, d.switchRelease(ctx, res, a)
	}
	if _, err := d.step(ctx, "deploy-canary", 0, d.kubeArgs(res.PlanRef, "--timeout=2m")...); err != nil {
		return res, err
	}
	if err := d.showRoutes(ctx); err != nil {
		return res, err
	}

	d.setBehaviour(a, res.Version)
	shiftArgs := append(d.kubeArgs(res.PlanRef), d.analysis("shift-weight")...) // the schedule comes from aviary.yaml
	want := 0
	if a.Faulty != "" {
		want = 1
	}
	shiftStart := time.Now()
	if _, err := d.step(ctx, "shift-weight", want, shiftArgs...); err != nil {
		return res, err
	}
	if a.Faulty != "" {
		d.showErrors(a.Faulty, shiftStart, time.Now())
	}
	if err := d.showRoutes(ctx); err != nil {
		return res, err
	}

	if want == 0 {
		_, err = d.step(ctx, "promote", 0, append(d.kubeArgs(res.PlanRef, "--timeout=2m"), d.analysis("promote")...)...)
	} else {
		fmt.Fprintf(d.out, "\n   The analysis caught the errors and sent all traffic back to stable: that is the intended outcome.\n")
		fmt.Fprintf(d.out, "   The pipeline's failure path runs rollback, which removes the canary.\n")
		_, err = d.step(ctx, "rollback", 0, d.kubeArgs(res.PlanRef, "--timeout=2m")...)
	}
	if err != nil {
		return res, err
	}
	if err := d.showRoutes(ctx); err != nil {
		return res, err
	}
	res.Routes = d.lastRoutes
	if want == 0 {
		d.promoted, d.promotedVersion = res.PlanRef, res.Version
	}
	return res, nil
}

// switchRelease is a blue/green release: rebuild-cluster builds the plan
// into the side that does not serve, ready first, and switches all traffic
// to it. A faulty release is switched back at once to the previous one,
// whose side kept its Deployments.
func (d *demo) switchRelease(ctx context.Context, res *actResult, a act) error {
	d.setBehaviour(a, res.Version)
	r, err := d.step(ctx, "rebuild-cluster", 0, d.kubeArgs(res.PlanRef, "--side="+d.nextSide, "--timeout=2m")...)
	if err != nil {
		return err
	}
	d.nextSide = r.Outputs["passive"]
	if err := d.showRoutes(ctx); err != nil {
		return err
	}
	if a.Faulty != "" {
		fmt.Fprintf(d.out, "\n   %s %s answers errors behind the switch: the pipeline's failure path switches back to %s,\n", a.Faulty, res.Version, d.promotedVersion)
		fmt.Fprintf(d.out, "   whose Deployments the side switched away from kept: nothing new is applied.\n")
		r, err := d.step(ctx, "rebuild-cluster", 0, d.kubeArgs(d.promoted, "--side="+d.nextSide, "--timeout=2m")...)
		if err != nil {
			return err
		}
		d.nextSide = r.Outputs["passive"]
		if err := d.showRoutes(ctx); err != nil {
			return err
		}
	} else {
		d.promoted, d.promotedVersion = res.PlanRef, res.Version
	}
	res.Routes = d.lastRoutes
	return nil
}

// closeRelease closes the last promoted release of a topology that ends
// its releases with a cluster switch: the passive cluster rebuilt from the
// plan, ready first, and switched to; then the other cluster rebuilt from
// it too, without switching, so that both are equal. gateway-routed-clusters
// rebuilds its release cluster from the plan in place instead.
func (d *demo) closeRelease(ctx context.Context, res *actResult) error {
	if d.promoted == "" {
		return fmt.Errorf("no promoted release to close")
	}
	res.PlanRef, res.Version = d.promoted, d.promotedVersion
	d.runner.vars = map[string]string{res.PlanRef: "PLAN"}
	fmt.Fprintf(d.out, "\n   PLAN=%s  (%s, promoted in act 2)\n", res.PlanRef, res.Version)
	if d.app.closesInPlace() {
		if _, err := d.step(ctx, "rebuild-cluster", 0, d.kubeArgs(res.PlanRef, "--side=stable", "--timeout=2m")...); err != nil {
			return err
		}
		if err := d.showRoutes(ctx); err != nil {
			return err
		}
		res.Routes = d.lastRoutes
		return nil
	}
	r, err := d.step(ctx, "rebuild-cluster", 0, d.kubeArgs(res.PlanRef, "--side=passive", "--timeout=2m")...)
	if err != nil {
		return err
	}
	if err := d.showRoutes(ctx); err != nil {
		return err
	}
	if _, err := d.step(ctx, "rebuild-cluster", 0, d.kubeArgs(res.PlanRef, "--side="+r.Outputs["passive"], "--switch=false", "--timeout=2m")...); err != nil {
		return err
	}
	if err := d.showRoutes(ctx); err != nil {
		return err
	}
	res.Routes = d.lastRoutes
	return nil
}

// analysis returns the analysis arguments when the step takes them.
func (d *demo) analysis(step string) []string {
	if !d.bins.accepts(context.Background(), step, "prometheus-url") {
		return nil
	}
	return append([]string{"--prometheus-url=" + d.env.Prometheus.URL}, analysisArgs...)
}

// step runs a step expecting exit code want.
func (d *demo) step(ctx context.Context, name string, want int, args ...string) (*stepRun, error) {
	return d.stepEnv(ctx, name, want, nil, args...)
}

// stepEnv runs a step with extra environment variables (secrets, which
// the command line would show).
func (d *demo) stepEnv(ctx context.Context, name string, want int, env []string, args ...string) (*stepRun, error) {
	return d.runner.runEnv(ctx, name, want, env, args...)
}

// kubeArgs are the arguments every cluster step takes; the kubeconfig
// comes from KUBECONFIG.
func (d *demo) kubeArgs(planRef string, more ...string) []string {
	return append([]string{"--plan=" + planRef, "--holder=aviary-demo"}, more...)
}

func (d *demo) planRepo() string { return d.env.Registry.Host + "/" + d.app.Product + "/plans" }

// setBehaviour makes the release's new version of the faulty service
// answer errors; everything else is healthy.
func (d *demo) setBehaviour(a act, version string) {
	if a.Faulty == "" {
		fmt.Fprintf(d.out, "\n   workloads: every version is healthy (no errors)\n")
		return
	}
	d.env.Mesh.Set(a.Faulty, canary.VersionValue(version), devenv.Behaviour{ErrorRatio: a.ErrorRatio, ErrorCode: 500})
	fmt.Fprintf(d.out, "\n   workloads: %s %s now answers %.0f%% of its requests with HTTP 500 (stable stays healthy)\n",
		a.Faulty, version, a.ErrorRatio*100)
}

// showRoutes reads and prints the live routes, with the answers each
// version gave once traffic runs.
func (d *demo) showRoutes(ctx context.Context) error {
	routes, err := readRoutes(ctx, d.env.Dynamic, d.env.Cluster.Client(), d.app.Namespace)
	if err != nil {
		return err
	}
	var clients []kubernetes.Interface
	for _, name := range d.env.Order {
		clients = append(clients, d.env.Clusters[name].Client())
	}
	if err := d.env.Traffic.start(ctx, clients, routes); err != nil {
		return err
	}
	d.lastRoutes = routes
	printRoutes(d.out, d.env.Order[0], d.app.Namespace, routes, d.env.Traffic.measure())
	return nil
}

// showErrors prints the errors a faulty service's pods answered, and those
// that reached its callers, while a step ran and after it.
func (d *demo) showErrors(service string, from, to time.Time) {
	during := d.env.Traffic.between(from, to)[service]
	after := d.env.Traffic.measure()[service]
	fmt.Fprintf(d.out, "   %s while shift-weight ran (%s): %.1f errors/s answered, %.1f/s reached its callers (gRPC retried the others)\n",
		service, round(to.Sub(from)), during.Failed, during.UsersSaw)
	fmt.Fprintf(d.out, "   %s after the rollback (%s window): %.1f errors/s answered, %.1f/s reached its callers\n",
		service, trafficWindow, after.Failed, after.UsersSaw)
}

// publishImages builds, pushes and signs the images of a release: a new
// image for each changed service, the previous one tagged again for the
// others (same digest, so the release leaves them alone).
func (d *demo) publishImages(ctx context.Context, version string, changed []string) error {
	start := time.Now()
	fmt.Fprintf(d.out, "\n── images ── build each changed service's image (go-containerregistry), push it, sign it (pkg/signature)\n")
	for _, svc := range d.app.Services {
		ref := d.env.Registry.Host + "/" + d.app.Product + "/" + svc + ":" + version
		prev, had := d.images[svc]
		b := builtImage{Service: svc, Ref: ref}
		if had && !contains(changed, svc) {
			b.Image, b.Reused = prev.Image, true
		} else {
			img, err := buildImage(svc, version)
			if err != nil {
				return fmt.Errorf("building the image of %s: %w", svc, err)
			}
			b.Image = img
		}
		digest, err := pushImage(ctx, ref, b.Image)
		if err != nil {
			return err
		}
		b.Digest = digest
		if !b.Reused {
			if err := signImage(ctx, d.client, b.Pinned(), d.key); err != nil {
				return err
			}
			b.Signed = true
		}
		d.images[svc] = b
		what := "built, pushed, signed"
		if b.Reused {
			what = "unchanged: previous image tagged again (already signed)"
		}
		fmt.Fprintf(d.out, "   %-9s %s  %s  %s\n", svc, ref, short(digest), what)
	}
	d.res.Timeline = append(d.res.Timeline, timing{Act: d.runner.act, Name: "images", Took: time.Since(start)})
	return nil
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19] + "…"
	}
	return digest
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
