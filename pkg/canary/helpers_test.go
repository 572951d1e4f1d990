package canary

import (
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/plan"
)

const cartManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  labels: {tier: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
      - name: cart
        image: registry.example/shop/cart:1.0.0
        ports: [{containerPort: 8080}]
      - name: proxy
        image: registry.example/shop/proxy:2
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cart-config}
data: {greeting: hello}
`

const cartService = `apiVersion: v1
kind: Service
metadata: {name: cart}
spec:
  selector: {app: cart, version: old}
  ports: [{port: 80, targetPort: 8080}]
`

const cartDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

// loaded builds a plan in memory, as plan.Read would return it.
func loaded(version string, files map[string]string) *plan.Loaded {
	p := &plan.Plan{
		Version: version,
		Config:  config.Config{Product: "shop", Topology: config.Topology{Kind: config.SingleCluster, Targets: []config.Target{{Role: config.RoleRelease, Namespace: "shop"}}}},
		Services: []plan.Service{
			{Name: "cart", Image: "registry.example/shop/cart@" + cartDigest, Tag: version, Manifests: []string{}},
		},
	}
	l := &plan.Loaded{Ref: "registry.example/shop/plans@sha256:2222222222222222222222222222222222222222222222222222222222222222", Plan: p, Manifests: map[string][]byte{}}
	for path, data := range files {
		l.Manifests[path] = []byte(data)
		p.Services[0].Manifests = append(p.Services[0].Manifests, path)
	}
	return l
}
