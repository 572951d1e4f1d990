package devenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

// IstiodNamespace is the namespace istiod runs for: leader election, remote
// secrets and the mesh's root namespace.
const IstiodNamespace = "istio-system"

// IstiodOptions configures istiod. The zero value serves the cluster it
// runs for alone.
type IstiodOptions struct {
	// Remotes are further clusters istiod reads services and endpoints
	// from, each through a remote secret named after its ClusterID.
	Remotes []*Cluster
	// Env adds environment variables: Istio feature flags such as
	// "PILOT_DEBOUNCE_AFTER=10ms".
	Env []string
}

// Istiod is a real istiod (pilot-discovery, built by internal/toolcache from
// hack/istiod) serving one cluster from outside it: plain-text xDS on
// loopback, no TLS, no CA, no webhooks. Its config cluster is the cluster it
// was started for; remote clusters join through remote secrets.
type Istiod struct {
	// ClusterID is the Istio cluster ID of its config cluster.
	ClusterID string
	// GRPCAddr is the plain-text xDS address, "127.0.0.1:<port>".
	GRPCAddr string
	// HTTPAddr serves /ready and the debug endpoints (/debug/configz,
	// /debug/registryz, /debug/endpointShardz, /debug/clusterz, ...).
	HTTPAddr string
	// MonitoringAddr serves istiod's own metrics.
	MonitoringAddr string
	// Dir holds its mesh configuration and log (istiod.log); it is removed
	// on Close.
	Dir string
	// Ready is how long it took from start to its first 200 on /ready.
	Ready time.Duration

	proc      *process
	closeOnce sync.Once
}

// NewIstiod starts istiod for cluster c, adds a remote secret for each of
// opts.Remotes and waits until istiod is ready and has synced every
// cluster. Close stops it.
func NewIstiod(ctx context.Context, c *Cluster, opts IstiodOptions) (*Istiod, error) {
	bin, err := toolcache.Path(ctx, "pilot-discovery")
	if err != nil {
		return nil, fmt.Errorf("finding pilot-discovery: %w", err)
	}
	if err := c.EnsureNamespace(ctx, IstiodNamespace); err != nil {
		return nil, fmt.Errorf("starting istiod for %s: %w", c.Name, err)
	}
	for _, r := range opts.Remotes {
		if err := addRemoteSecret(ctx, c, r); err != nil {
			return nil, fmt.Errorf("starting istiod for %s: %w", c.Name, err)
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		i, err := startIstiod(ctx, bin, c, opts)
		if err == nil {
			return i, nil
		}
		lastErr = fmt.Errorf("starting istiod for %s: %w", c.Name, err)
		if !addressInUse(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// StartIstiod starts istiod for the test and stops it when the test ends.
// If the test failed, the end of istiod's log goes to the test log.
func StartIstiod(t testing.TB, c *Cluster, opts IstiodOptions) *Istiod {
	t.Helper()
	// Finding (on first use, building) the binary is not bounded; the start is.
	if _, err := toolcache.Path(context.Background(), "pilot-discovery"); err != nil {
		t.Fatalf("starting istiod: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	i, err := NewIstiod(ctx, c, opts)
	if err != nil {
		t.Fatalf("starting istiod: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("istiod for %s, end of its log:\n%s", i.ClusterID, i.LogTail(60))
		}
		_ = i.Close()
	})
	return i
}

func startIstiod(ctx context.Context, bin string, c *Cluster, opts IstiodOptions) (_ *Istiod, err error) {
	dir, err := newWorkDir("istiod")
	if err != nil {
		return nil, err
	}
	i := &Istiod{ClusterID: c.ClusterID, Dir: dir}
	defer func() {
		if err != nil {
			_ = i.Close()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	i.GRPCAddr = "127.0.0.1:" + strconv.Itoa(ports[0])
	i.HTTPAddr = "127.0.0.1:" + strconv.Itoa(ports[1])
	i.MonitoringAddr = "127.0.0.1:" + strconv.Itoa(ports[2])
	mesh := filepath.Join(dir, "mesh.yaml")
	networks := filepath.Join(dir, "networks.yaml")
	if err := writeFile(mesh, []byte("defaultConfig:\n  discoveryAddress: "+i.GRPCAddr+"\n")); err != nil {
		return nil, err
	}
	if err := writeFile(networks, []byte("{}\n")); err != nil {
		return nil, err
	}
	env := append([]string{
		"POD_NAMESPACE=" + IstiodNamespace,
		"POD_NAME=istiod-" + c.ClusterID,
		"ENABLE_CA_SERVER=false",
		"INJECTION_WEBHOOK_CONFIG_NAME=",
		"VALIDATION_WEBHOOK_CONFIG_NAME=",
	}, childEnv...)
	start := time.Now()
	i.proc, err = startProcess("istiod", bin, []string{
		"discovery",
		"--kubeconfig=" + c.Kubeconfig,
		"--clusterID=" + c.ClusterID,
		"--meshConfig=" + mesh,
		"--networksConfig=" + networks,
		"--grpcAddr=" + i.GRPCAddr,
		"--httpAddr=" + i.HTTPAddr,
		"--monitoringAddr=" + i.MonitoringAddr,
		"--secureGRPCAddr=",
		"--httpsAddr=",
		"--ctrlz_port=0", "--ctrlz_address=127.0.0.1",
	}, filepath.Join(dir, "istiod.log"), append(env, opts.Env...)...)
	if err != nil {
		return nil, err
	}
	want := []string{c.ClusterID}
	for _, r := range opts.Remotes {
		want = append(want, r.ClusterID)
	}
	if err := i.waitSynced(ctx, want); err != nil {
		return nil, err
	}
	i.Ready = time.Since(start)
	return i, nil
}

// waitSynced waits until istiod answers /ready and reports every cluster
// in ids synced on /debug/clusterz.
func (i *Istiod) waitSynced(ctx context.Context, ids []string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	err := poll(ctx, 50*time.Millisecond, func() (bool, error) {
		if i.proc != nil {
			if done, err := i.proc.exited(); done {
				return false, err
			}
		}
		resp, err := client.Get("http://" + i.HTTPAddr + "/ready")
		if err != nil {
			last = "not answering /ready"
			return false, nil
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			last = "/ready answered " + resp.Status
			return false, nil
		}
		status, err := i.clusters(ctx, client)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = fmt.Sprintf("clusters %v", status)
		for _, id := range ids {
			if status[id] != "synced" {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for istiod to sync %s (last: %s): %w", strings.Join(ids, ", "), last, err)
	}
	return nil
}

// clusters reads /debug/clusterz: cluster ID to sync status.
func (i *Istiod) clusters(ctx context.Context, client *http.Client) (map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+i.HTTPAddr+"/debug/clusterz", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading /debug/clusterz: %w", err)
	}
	defer resp.Body.Close()
	var list []struct {
		ID         string `json:"id"`
		SyncStatus string `json:"syncStatus"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("decoding /debug/clusterz: %w", err)
	}
	out := make(map[string]string, len(list))
	for _, c := range list {
		out[c.ID] = c.SyncStatus
	}
	return out, nil
}

// LogTail returns the last n lines of istiod's log, for failure reports.
func (i *Istiod) LogTail(n int) string {
	if i.proc == nil {
		return ""
	}
	return i.proc.logTail(n)
}

// Close stops istiod and removes its files. Remote secrets stay in the
// cluster.
func (i *Istiod) Close() error {
	var err error
	i.closeOnce.Do(func() {
		if i.proc != nil {
			i.proc.kill()
		}
		if os.Getenv("AVIARY_DEVENV_KEEP") == "" {
			err = os.RemoveAll(i.Dir)
		}
	})
	return err
}
