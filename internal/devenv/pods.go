package devenv

import (
	"context"
	"fmt"
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodIPs returns the IPs of the running pods of namespace that match the
// label selector ("app=cart,aviary.dev/version=1.0.0"), in address order;
// pods being deleted are left out. kwok hands them out of c.PodCIDR.
func (c *Cluster) PodIPs(ctx context.Context, namespace, selector string) ([]string, error) {
	pods, err := c.client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %s in %s: %w", selector, namespace, err)
	}
	var ips []netip.Addr
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			continue
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil {
			return nil, fmt.Errorf("parsing the IP of pod %s/%s: %w", namespace, p.Name, err)
		}
		ips = append(ips, ip)
	}
	sort.Slice(ips, func(i, j int) bool { return ips[i].Less(ips[j]) })
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out, nil
}
