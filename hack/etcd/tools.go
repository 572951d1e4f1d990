//go:build tools

// Package tools pins etcd for internal/devenv. It lives apart from hack/tools
// because k8s.io/apiserver v0.37 requires etcd v3.7 libraries, which would
// move the etcd server there past the v3.6 release the control plane is
// tested with.
package tools

import _ "go.etcd.io/etcd/server/v3"
