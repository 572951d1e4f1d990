// Package config reads and validates the release config, aviary.yaml: the
// product, its services (name, image, directory of Kubernetes YAML, port),
// the topology that places stable and canary versions, and the default
// canary policy with its metric analysis.
//
// # Strict parsing
//
// Parse decodes with github.com/goccy/go-yaml. It was chosen over
// gopkg.in/yaml.v3 because its syntax tree and its errors carry positions
// and it decodes straight into the same json-tagged structs that
// encoding/json (the plan document) and the JSON Schema use, so there is one
// set of field names. Parse reads through yamldoc.DecodeStrict, which walks
// the syntax tree beside the Go types and reports every unknown field and
// duplicate key at once with its line and column (a decoder stops at the
// first), then validates the decoded config and reports every problem with
// its path (services[2].image) and, where the path is in the file, its line:
//
//	aviary.yaml: 2 problems
//	  aviary.yaml:6:5: services[0].replicas: unknown field "replicas"
//	  aviary.yaml:12:3: canary.initialweight: unknown field "initialweight" (did you mean "initialWeight"?)
//
// Every problem is outcome.Invalid (exit 2).
//
// # What is validated
//
// Product and service names and namespaces are DNS-1123 labels; service
// names are unique; images are repositories with an optional tag, never a
// digest (the plan pins digests); manifests are directories inside the
// repository; the topology kind is known and has exactly the target roles it
// needs (see the rule table in topology.go); canary steps rise within
// 1..100 above the initial weight; analysis thresholds are in range.
// Nothing outside the file (images, manifest files) is looked at here.
//
// # Manifests are plain YAML
//
// A service's manifests are the committed *.yaml and *.yml files of its
// directory. Kustomize is not run: sigs.k8s.io/kustomize/api would bring a
// large dependency tree into every step binary, and kustomizations may pull
// remote bases and run generators at bundle time, which breaks the promise
// that a plan is a pure function of one commit. Render overlays before
// committing them, or commit the rendered output.
//
// # Closing
//
// Config.Close applies every default (canary steps 5,10,25,50, pause 30s,
// and the analysis defaults in analysis.go). The release plan carries the
// closed config, so later steps never apply defaults of their own.
//
// # Schema
//
// schema/aviary.schema.json, for editors, is generated from these types by
// package config/schema (go run ./hack/schema, or go generate here); a test
// fails when it is stale.
package config

//go:generate go run ../../hack/schema
