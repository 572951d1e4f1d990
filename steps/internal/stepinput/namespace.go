package stepinput

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Namespace checks the namespace input, when it is given: a Kubernetes
// namespace is a DNS-1123 label, and no cluster accepts another name, so one
// is refused (outcome.Invalid) before anything is contacted.
func Namespace(in Inputs) error {
	ns := in.String("namespace")
	if ns == "" {
		return nil
	}
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return outcome.Invalidf("namespace %q is not a Kubernetes namespace name: %s", ns, strings.Join(msgs, "; "))
	}
	return nil
}
