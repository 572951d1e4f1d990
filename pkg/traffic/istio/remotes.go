package istio

import (
	"context"
	"net"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/kube"
)

// Listed is a ServiceEntry aviary wrote for a remote service: the service
// and what it resolves: its port and the address (host:port) it sends to.
type Listed struct {
	Service string
	Host    string
	Port    int
	Address string
}

// Entries returns the ServiceEntries aviary wrote for remote services in
// namespace, by name.
func (r *Router) Entries(ctx context.Context, namespace string) (map[string]Listed, error) {
	sel := metav1.ListOptions{LabelSelector: RemoteLabel}
	var out map[string]Listed
	err := kube.Retry(ctx, func(ctx context.Context) error {
		list, err := r.client.NetworkingV1().ServiceEntries(namespace).List(ctx, sel)
		if err != nil {
			return err
		}
		out = make(map[string]Listed, len(list.Items))
		for _, se := range list.Items {
			l := Listed{Service: se.Labels[RemoteLabel]}
			if len(se.Spec.Hosts) > 0 {
				l.Host = se.Spec.Hosts[0]
			}
			if len(se.Spec.Ports) > 0 {
				l.Port = int(se.Spec.Ports[0].Number)
			}
			if len(se.Spec.Endpoints) > 0 {
				ep := se.Spec.Endpoints[0]
				l.Address = net.JoinHostPort(ep.Address, strconv.Itoa(int(ep.Ports["http"])))
			}
			out[se.Name] = l
		}
		return nil
	})
	if err != nil {
		return nil, kube.Classify(err, "listing ServiceEntries in namespace %q", namespace)
	}
	return out, nil
}

// RemoveEntry deletes the ServiceEntry name of namespace; a missing one is
// not an error.
func (r *Router) RemoveEntry(ctx context.Context, namespace, name string) error {
	err := kube.Retry(ctx, func(ctx context.Context) error {
		return ignoreNotFound(r.client.NetworkingV1().ServiceEntries(namespace).Delete(ctx, name, metav1.DeleteOptions{}))
	})
	return kube.Classify(err, "deleting ServiceEntry %s/%s", namespace, name)
}

// RemoveIngress deletes the Gateway and VirtualService name of namespace
// that IngressObjects made; missing ones are not an error.
func (r *Router) RemoveIngress(ctx context.Context, namespace, name string) error {
	err := kube.Retry(ctx, func(ctx context.Context) error {
		return ignoreNotFound(r.client.NetworkingV1().VirtualServices(namespace).Delete(ctx, name, metav1.DeleteOptions{}))
	})
	if err != nil {
		return kube.Classify(err, "deleting VirtualService %s/%s", namespace, name)
	}
	err = kube.Retry(ctx, func(ctx context.Context) error {
		return ignoreNotFound(r.client.NetworkingV1().Gateways(namespace).Delete(ctx, name, metav1.DeleteOptions{}))
	})
	return kube.Classify(err, "deleting Gateway %s/%s", namespace, name)
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
