package stepinput

import (
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestNamespace(t *testing.T) {
	for ns, ok := range map[string]bool{
		"": true, "shop": true, "shop-canary": true, "a1": true,
		"Bad_NS": false, "shop\n::error::x": false, "-shop": false, "shop.prod": false, "a" + string(make([]byte, 63)): false,
	} {
		err := Namespace(inputs{"namespace": ns})
		if ok != (err == nil) || err != nil && outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("Namespace(%q) = %v, want ok=%v (or an invalid outcome)", ns, err, ok)
		}
	}
}
