package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// options configure a demo run.
type options struct {
	// Root is the repository root: the sample app, the steps' sources and
	// bin/ are found there.
	Root string
	// BinDir holds the step binaries; empty, or missing one, builds them.
	BinDir string
	// Keep leaves the environment up until ctx ends, even after a failure,
	// and writes a file a shell can source to reach it.
	Keep bool
	// Out receives everything the demo prints.
	Out io.Writer
	// Topology is the sample app's topology kind (empty: single-cluster);
	// any other kind takes the topology section of its example in
	// examples/topologies/<kind>/aviary.yaml, with a control plane per
	// cluster it names.
	Topology config.TopologyKind
}

// result is what a demo run did.
type result struct {
	Acts []*actResult
	Runs []*stepRun
	// Timeline is every timed thing in order: the environment's start, the
	// images and every step.
	Timeline []timing
	Total    time.Duration
	// EnvFile is the sourceable environment file (Keep only).
	EnvFile string
}

// timing is one timed thing: a step (with its exit code) or another part.
type timing struct {
	Act  int
	Name string
	Exit string // "" for things that are not steps
	Took time.Duration
}

// demo is one run: the environment, the app repository, the signing key
// and everything recorded so far.
type demo struct {
	opts       options
	out        io.Writer
	work       string
	env        *env
	app        *app
	key        *signingKey
	client     *registry.Client
	runner     *runner
	bins       *binaries
	start      time.Time
	gate       bool // shift-weight takes the analysis inputs
	images     map[string]builtImage
	lastRoutes []route
	lastPlan   string
	res        *result
	layout     layout
	// promoted is the plan (and version) of the last release that went
	// to all traffic; nextSide is the side a blue/green release rebuilds
	// next (rebuild-cluster's last passive output). The first release
	// goes into the active target: between namespaces its namespace holds
	// the route, and its Service makes the host the clients call.
	promoted, promotedVersion string
	nextSide                  string
}

// run is the whole demo. It returns an error when anything, a step
// included, ends otherwise than the demo expects.
func run(ctx context.Context, opts options) (_ *result, err error) {
	start := time.Now()
	out := opts.Out
	res := &result{}
	d := &demo{opts: opts, out: out, images: map[string]builtImage{}, res: res, start: start, nextSide: "active"}
	defer func() { res.Total = time.Since(start) }()

	fmt.Fprintf(out, "aviary demo: the release pipeline, step by step, on a sample app in a real local environment\n\n")
	if d.layout, err = readLayout(opts.Root, opts.Topology); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  topology    %s%s\n", d.layout.Kind, clustersNote(d.layout.Clusters))
	if d.work, err = os.MkdirTemp("", "aviary-demo-"); err != nil {
		return res, err
	}
	defer os.RemoveAll(d.work)
	fmt.Fprintf(out, "  scratch     DEMO=%s\n", d.work)

	if d.bins, err = findBinaries(ctx, out, opts.Root, opts.BinDir, d.work); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  steps       %s/{%s}\n", d.bins.shown, joinNames(stepNames))
	d.gate = d.bins.accepts(ctx, "shift-weight", "prometheus-url")

	envStart := time.Now()
	d.env, err = startEnv(ctx, out, d.layout.Clusters, d.work)
	if err != nil {
		return res, err
	}
	defer d.env.Close()
	res.Timeline = append(res.Timeline, timing{Name: "environment", Took: time.Since(envStart)})

	if err := d.prepare(ctx); err != nil {
		return res, err
	}
	for n, a := range d.acts() {
		if a.Faulty != "" && !d.gate && !d.app.switches() {
			why := "shift-weight takes no analysis inputs yet (no --prometheus-url), so nothing would catch a faulty canary"
			res.Acts = append(res.Acts, &actResult{N: n + 1, Title: a.Title, Skipped: why})
			fmt.Fprintf(out, "\n═══ Act %d: %s ═══\n   skipped: %s\n", n+1, a.Title, why)
			continue
		}
		_, err = d.release(ctx, n+1, a)
		res.Runs = d.runner.runs
		if err != nil {
			break
		}
	}
	d.summary()
	if opts.Keep && ctx.Err() == nil {
		if kerr := d.keep(ctx); err == nil {
			err = kerr
		}
	}
	return res, err
}

// prepare makes the signing key, the app repository, its namespace with
// its traffic, and the runner.
func (d *demo) prepare(ctx context.Context) error {
	var err error
	if d.key, err = newSigningKey(d.work); err != nil {
		return err
	}
	dockerConfig := filepath.Join(d.work, "docker")
	if err := os.MkdirAll(dockerConfig, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte("{}\n"), 0o600); err != nil {
		return err
	}
	d.client = registry.New(registry.Options{DockerConfig: filepath.Join(dockerConfig, "config.json")})
	src := filepath.Join(d.opts.Root, "examples", "sample-app")
	if d.app, err = newApp(src, filepath.Join(d.work, "shop"), d.env.Registry.Host, d.layout); err != nil {
		return err
	}
	if err := d.env.startTraffic(ctx, d.out, d.app.Namespaces, d.app.HostNamespace, d.app.Services); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  app         $DEMO/shop: git repository of examples/sample-app (%s), images in the demo registry\n", joinNames(d.app.Services))
	fmt.Fprintf(d.out, "  signing     $DEMO/cosign.key and cosign.pub: a new ECDSA P-256 cosign key pair, password-protected\n")
	summaries := filepath.Join(d.work, "summaries.md")
	fmt.Fprintf(d.out, "  steps see   KUBECONFIG=%s%s\n", d.env.Kubeconfig, contextsNote(d.layout.Clusters))
	fmt.Fprintf(d.out, "              AVIARY_SUMMARY_FILE=$DEMO/summaries.md (their Markdown reports; kept with --keep)\n")
	d.runner = &runner{
		bins: d.bins, out: d.out, env: stepEnv(dockerConfig, d.env.Kubeconfig, summaries), workDir: d.work,
		vars:   map[string]string{},
		record: func(t timing) { d.res.Timeline = append(d.res.Timeline, t) },
	}
	return nil
}

// acts are the releases the demo walks through: a first release, a
// healthy one and a faulty one; a topology that closes its releases with a
// cluster switch closes the healthy one last.
func (d *demo) acts() []act {
	faulty := d.app.Services[len(d.app.Services)-1]
	if contains(d.app.Services, "payments") {
		faulty = "payments"
	}
	second, third := "a new version of every service: canary, traffic shifted under analysis, promoted",
		"a faulty "+faulty+" release: the analysis rolls it back"
	if d.app.switches() {
		second = "a new version of every service: built whole into the side that does not serve, then switched to"
		third = "a faulty " + faulty + " release, switched to, then switched back to the previous release at once"
	}
	acts := []act{{
		Title:   "first release of the shop: every service goes straight to stable",
		Commit:  "feat: the shop, with " + joinNames(d.app.Services),
		Changed: d.app.Services,
	}, {
		Title:   second,
		Commit:  "feat: gift cards across the shop",
		Changed: d.app.Services,
	}, {
		Title:      third,
		Commit:     "fix(" + faulty + "): retry card authorisation",
		Changed:    []string{faulty},
		Faulty:     faulty,
		ErrorRatio: 0.05,
	}}
	if d.app.closesBySwitching() {
		acts = append(acts, act{
			Title: "the release closes: the passive cluster rebuilt from the promoted plan and switched to, then the other rebuilt too",
			Close: true,
		})
	}
	if d.app.closesInPlace() {
		acts = append(acts, act{
			Title: "the release closes: the release cluster rebuilt in place from the promoted plan, every service ready before the gateway's stable subsets move to it",
			Close: true,
		})
	}
	return acts
}

// clustersNote names the clusters of a cluster topology.
func clustersNote(clusters []string) string {
	if len(clusters) == 0 {
		return " (one cluster)"
	}
	return fmt.Sprintf(" (clusters %s, one mesh)", joinNames(clusters))
}

// contextsNote names the kubeconfig's contexts of a cluster topology.
func contextsNote(clusters []string) string {
	if len(clusters) == 0 {
		return ""
	}
	return fmt.Sprintf(" (a context per cluster: %s)", joinNames(clusters))
}

// summary prints the time every step took.
func (d *demo) summary() {
	fmt.Fprintf(d.out, "\n═══ Summary ═══\n\n")
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "   ACT\tSTEP\tEXIT\tTIME")
	var steps time.Duration
	for _, t := range d.res.Timeline {
		a := "-"
		if t.Act > 0 {
			a = fmt.Sprint(t.Act)
		}
		exit := t.Exit
		if exit == "" {
			exit = " "
		} else {
			steps += t.Took
		}
		fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\n", a, t.Name, exit, round(t.Took))
	}
	_ = tw.Flush()
	fmt.Fprintf(d.out, "\n   steps %s in all; total %s\n", round(steps), since(d.start))
	for _, a := range d.res.Acts {
		if a.Skipped != "" {
			fmt.Fprintf(d.out, "   act %d skipped: %s\n", a.N, a.Skipped)
		}
	}
}

// keep writes the environment file and waits for ctx to end (Ctrl-C).
func (d *demo) keep(ctx context.Context) error {
	d.res.EnvFile = filepath.Join(d.work, "env")
	extra := map[string]string{
		"AVIARY_PLAN":           d.lastPlan,
		"AVIARY_PROMETHEUS_URL": d.env.Prometheus.URL,
		"AVIARY_KUBECONFIG":     d.env.Kubeconfig,
		"AVIARY_HOLDER":         "aviary-demo",
	}
	if err := d.env.writeEnvFile(d.res.EnvFile, extra); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nThe environment stays up until Ctrl-C. From another shell, in the repository:\n\n")
	fmt.Fprintf(d.out, "   . %s     # KUBECONFIG, AVIARY_PLAN (the last release), AVIARY_PROMETHEUS_URL, ...\n", d.res.EnvFile)
	fmt.Fprintf(d.out, "   %s/deploy-canary               # the last release's canary, again\n", d.bins.shown)
	fmt.Fprintf(d.out, "   %s/shift-weight --weight=20    # traffic to it, judged by the analysis\n\n", d.bins.shown)
	<-ctx.Done()
	fmt.Fprintf(d.out, "\nstopping the environment\n")
	return nil
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
