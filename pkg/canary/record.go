package canary

import (
	"context"
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/aviary-cd/aviary/pkg/kube"
)

// Record is where a service of a release stands: what serves, what is
// under test, what was kept for a rollback. The operations read it first
// and write it as they finish each move; the route objects say where
// traffic goes, the record what it means.
type Record struct {
	// Phase is stable, canary, promoted or rolled-back.
	Phase string
	// Stable is the version the stable side serves.
	Stable string
	// Canary is the version under test, if any.
	Canary string
	// Previous is the version kept passive by the last promotion, if any.
	Previous string
	// Active is the role of the side that serves in a blue/green (empty:
	// the topology's stable side).
	Active string
	// Plan is the plan reference of the last change.
	Plan string
	// Switching, while a stepped blue/green switch is in progress, is the
	// role of the side being switched to (running Canary); Active, the
	// side switched from, serves the rest (see SwitchInProgress).
	Switching string
}

// Phases recorded in Record.Phase.
const (
	PhaseStable     = "stable"
	PhaseCanary     = "canary"
	PhasePromoted   = "promoted"
	PhaseRolledBack = "rolled-back"
)

// RecordPrefix starts the name of a service's record ConfigMap:
// aviary-record-<service>.
const RecordPrefix = "aviary-record-"

// LabelRecord marks aviary's record ConfigMaps.
const LabelRecord = "aviary.dev/record"

// Keys of a record ConfigMap's data.
var recordKeys = []string{"phase", "stable", "canary", "previous", "active", "plan", "switching"}

func (r Record) data() map[string]string {
	out := map[string]string{}
	for i, v := range []string{r.Phase, r.Stable, r.Canary, r.Previous, r.Active, r.Plan, r.Switching} {
		if v != "" {
			out[recordKeys[i]] = v
		}
	}
	return out
}

func recordOf(data map[string]string) Record {
	return Record{Phase: data["phase"], Stable: data["stable"], Canary: data["canary"], Previous: data["previous"], Active: data["active"], Plan: data["plan"], Switching: data["switching"]}
}

// ConfigMapRecords keeps each service's record in a ConfigMap of its own,
// aviary-record-<service>, in Namespace: the namespace holding the
// release's route and lock. A ConfigMap per service lets services move in
// parallel without conflicting writes. What Load lists serves as the base
// of the next Save of each record, as with the router.
type ConfigMapRecords struct {
	Client    kubernetes.Interface
	Namespace string

	mu   sync.Mutex
	seen map[string]*corev1.ConfigMap
}

var _ Records = (*ConfigMapRecords)(nil)

// Load lists the records, one request whatever their number.
func (s *ConfigMapRecords) Load(ctx context.Context) (map[string]Record, error) {
	var list *corev1.ConfigMapList
	err := kube.Retry(ctx, func(ctx context.Context) error {
		var err error
		list, err = s.Client.CoreV1().ConfigMaps(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelRecord + "=true"})
		return err
	})
	if err != nil {
		return nil, kube.Classify(err, "listing aviary's records in namespace %q", s.Namespace)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]*corev1.ConfigMap{}
	}
	out := map[string]Record{}
	for i := range list.Items {
		cm := &list.Items[i]
		svc := cm.Labels[LabelService]
		if svc == "" {
			continue
		}
		out[svc] = recordOf(cm.Data)
		s.seen[svc] = cm
	}
	return out, nil
}

// Save writes r as service's record.
func (s *ConfigMapRecords) Save(ctx context.Context, service string, r Record) error {
	want := r.data()
	cms := s.Client.CoreV1().ConfigMaps(s.Namespace)
	s.mu.Lock()
	base := s.seen[service]
	s.mu.Unlock()
	err := kube.Retry(ctx, func(ctx context.Context) error {
		if base == nil {
			cur, err := cms.Get(ctx, RecordPrefix+service, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				cm := &corev1.ConfigMap{
					ObjectMeta: metav1.ObjectMeta{Name: RecordPrefix + service, Namespace: s.Namespace, Labels: map[string]string{
						LabelRecord: "true", LabelService: service, LabelManagedBy: ManagedBy,
					}},
					Data: want,
				}
				out, err := cms.Create(ctx, cm, metav1.CreateOptions{FieldManager: kube.FieldManager})
				if err == nil {
					base = out
				}
				return err
			case err != nil:
				return err
			}
			base = cur
		}
		if maps.Equal(base.Data, want) {
			return nil
		}
		next := base.DeepCopy()
		next.Data = want
		out, err := cms.Update(ctx, next, metav1.UpdateOptions{FieldManager: kube.FieldManager})
		if err != nil {
			base = nil // a conflict re-reads
			return err
		}
		base = out
		return nil
	})
	if err != nil {
		return kube.Classify(err, "saving the record of %s in namespace %q", service, s.Namespace)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]*corev1.ConfigMap{}
	}
	s.seen[service] = base
	return nil
}
