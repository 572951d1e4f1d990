package config_test

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/config"
)

func ExampleParse() {
	_, err := config.Parse("aviary.yaml", []byte(`product: shop
services:
  - name: api
    image: registry.example/shop/api
    manifests: deploy/api
    replicas: 3
topology:
  kind: canary-namespace
  targets:
    - {role: stable, namespace: shop}
`))
	fmt.Println(err)
	// Output:
	// aviary.yaml: 2 problems
	//   aviary.yaml:6:5: services[0].replicas: unknown field "replicas"
	//   aviary.yaml:10:5: topology.targets: canary-namespace needs targets with roles stable, canary; missing canary
}
