package e2eci

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/podman"
	"github.com/aviary-cd/aviary/internal/stepimage"
	"github.com/aviary-cd/aviary/internal/toolcache"
)

// enabled says whether the tests run: make e2e-ci sets AVIARY_E2E_CI=1.
var enabled = os.Getenv("AVIARY_E2E_CI") == "1"

// need skips a test unless the end-to-end tests were asked for.
func need(t *testing.T) {
	t.Helper()
	if !enabled {
		t.Skip("end-to-end CI tests run under make e2e-ci (AVIARY_E2E_CI=1)")
	}
}

// releaseTag is the tag the fixture pushes the step images with.
const releaseTag = "v0.0.0-e2e"

// fixture is what every test shares: the environment, podman, the step
// images pushed and signed, and the cosign key that signed them.
type fixture struct {
	root     string // repository root
	revision string // its HEAD commit
	work     string
	env      *devenv.Env
	podman   *podman.Podman
	cosign   string // cosign-v3 CLI
	key      keyPair
	records  stepimage.Records
	// recordFile is hack/images' --record file; the attestation files
	// are beside it.
	recordFile string
	// pinned is a repository root holding the CI adapters as the release
	// pins them: hack/generate --pin <recordFile>.
	pinned  string
	timings []timing

	pulled sync.Map // ref → error

	runnerOnce sync.Once
	runnerErr  error
}

type keyPair struct {
	Private, Public, Password string // paths, password
}

type timing struct {
	what string
	took time.Duration
}

var (
	shared     *fixture
	sharedErr  error
	sharedOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.report()
		_ = shared.env.Close()
		os.RemoveAll(shared.work)
	}
	os.Exit(code)
}

// get returns the shared fixture, starting it on first use.
func get(t *testing.T) *fixture {
	t.Helper()
	need(t)
	sharedOnce.Do(func() { shared, sharedErr = start() })
	if sharedErr != nil {
		t.Fatalf("starting the end-to-end fixture: %v", sharedErr)
	}
	return shared
}

func (f *fixture) timed(what string, start time.Time) {
	f.timings = append(f.timings, timing{what, time.Since(start)})
}

func (f *fixture) report() {
	fmt.Println("e2e-ci timings:")
	for _, t := range f.timings {
		fmt.Printf("  %-44s %s\n", t.what, t.took.Round(100*time.Millisecond))
	}
}

func start() (_ *fixture, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	f := &fixture{}
	if f.root, err = toolcache.RepoRoot(); err != nil {
		return nil, err
	}
	if out, err := exec.Command("git", "-C", f.root, "rev-parse", "HEAD").Output(); err == nil {
		f.revision = strings.TrimSpace(string(out))
	} else {
		f.revision = strings.Repeat("0", 40)
	}
	if f.work, err = os.MkdirTemp("", "aviary-e2e-ci-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if f.env != nil {
				_ = f.env.Close()
			}
			os.RemoveAll(f.work)
		}
	}()
	if f.podman, err = podman.New(f.work); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if f.cosign, err = toolcache.Path(ctx, "cosign-v3"); err != nil {
		return nil, err
	}
	f.timed("cosign-v3 (toolcache)", t0)

	t0 = time.Now()
	f.env, err = devenv.Up(ctx, devenv.Options{Registry: true, Clusters: 1})
	if err != nil {
		return nil, err
	}
	f.timed("environment (registry, cluster)", t0)

	t0 = time.Now()
	busybox := filepath.Join(f.work, "busybox")
	if err := f.runIn(ctx, f.root, nil, "bash", "hack/images/busybox.sh", busybox); err != nil {
		return nil, err
	}
	f.timed("busybox (Debian packages)", t0)

	// The same command the release workflow runs, against the local
	// registry.
	t0 = time.Now()
	f.recordFile = filepath.Join(f.work, "images", "images.json")
	if err := os.MkdirAll(filepath.Dir(f.recordFile), 0o755); err != nil {
		return nil, err
	}
	if err := f.runIn(ctx, f.root, nil, "go", "run", "./hack/images",
		"--push", f.env.Registry.Host+"/aviary-cd", "--tag", releaseTag,
		"--busybox", busybox, "--record", f.recordFile,
		"--builder", "aviary e2e-ci", "--version", "0.0.0-e2e", "--revision", f.revision); err != nil {
		return nil, err
	}
	if f.records, err = stepimage.ReadRecords(f.recordFile); err != nil {
		return nil, err
	}
	f.timed("hack/images build and push (24 images)", t0)

	// The adapters as the release pins them.
	f.pinned = filepath.Join(f.work, "pinned")
	if err := f.runIn(ctx, f.root, nil, "go", "run", "./hack/generate", "--root", f.pinned, "--pin", f.recordFile); err != nil {
		return nil, err
	}

	t0 = time.Now()
	if f.key, err = f.cosignKeys(ctx, filepath.Join(f.work, "keys")); err != nil {
		return nil, err
	}
	if err := f.signAndAttest(ctx); err != nil {
		return nil, err
	}
	f.timed("cosign sign and attest (24 images)", t0)
	return f, nil
}

// runIn runs a command in dir and returns an error with its output.
func (f *fixture) runIn(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// cosignEnv is the environment of the cosign CLI: its own home, no TUF
// cache, the key's password.
func (f *fixture) cosignEnv() []string {
	home := filepath.Join(f.work, "cosign-home")
	return []string{"HOME=" + home, "TUF_ROOT=" + filepath.Join(home, "tuf"), "SIGSTORE_NO_CACHE=true",
		"DOCKER_CONFIG=" + filepath.Join(home, "docker"), "COSIGN_PASSWORD=" + cosignPassword}
}

const cosignPassword = "e2e-ci-password"

// cosignFlags keep cosign v3 offline: no signing config from the public
// TUF repository, no transparency log, plain HTTP to the local registry.
var cosignFlags = []string{"--tlog-upload=false", "--use-signing-config=false", "--allow-insecure-registry", "--yes"}

func (f *fixture) cosignKeys(ctx context.Context, dir string) (keyPair, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return keyPair{}, err
	}
	if err := f.runIn(ctx, dir, f.cosignEnv(), f.cosign, "generate-key-pair", "--output-key-prefix", "cosign"); err != nil {
		return keyPair{}, err
	}
	return keyPair{Private: filepath.Join(dir, "cosign.key"), Public: filepath.Join(dir, "cosign.pub"), Password: cosignPassword}, nil
}

// signAndAttest signs every image with cosign and attests its SBOM and
// provenance with the script the release workflow runs (there keyless).
func (f *fixture) signAndAttest(ctx context.Context) error {
	env := append(f.cosignEnv(), "COSIGN="+f.cosign)
	args := append([]string{"hack/images/sign.sh", f.recordFile, "--key", f.key.Private}, cosignFlags...)
	return f.runIn(ctx, f.root, env, "bash", args...)
}

// pull pulls ref into podman's storage once.
func (f *fixture) pull(t *testing.T, ref string) string {
	t.Helper()
	res, _ := f.pulled.LoadOrStore(ref, &pullOnce{})
	p := res.(*pullOnce)
	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		p.err = f.podman.Pull(ctx, ref)
	})
	if p.err != nil {
		t.Fatalf("pulling %s: %v", ref, p.err)
	}
	return ref
}

type pullOnce struct {
	once sync.Once
	err  error
}

// writeServiceAccount writes what Kubernetes mounts into a pod for its
// service account (token, ca.crt, namespace) and returns the API server's
// URL. The token is the cluster's admin token.
func (f *fixture) writeServiceAccount(t *testing.T, dir, namespace string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(f.env.Clusters[0].Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc := cfg.Contexts[cfg.CurrentContext]
	cluster, user := cfg.Clusters[kc.Cluster], cfg.AuthInfos[kc.AuthInfo]
	for name, data := range map[string][]byte{
		"token": []byte(user.Token), "ca.crt": cluster.CertificateAuthorityData, "namespace": []byte(namespace),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cluster.Server
}
