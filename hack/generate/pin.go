package main

import (
	"fmt"

	"github.com/aviary-cd/aviary/internal/stepimage"
)

// readPins reads hack/images' record file into pins: every image by
// digest, keyed "<step>" for the nonroot variant and "<step>-<variant>".
func readPins(path string) (map[string]string, error) {
	recs, err := stepimage.ReadRecords(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range recs.Images {
		v, err := stepimage.ParseVariant(r.Variant)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, r.Step, err)
		}
		key := r.Step
		if v != stepimage.Nonroot {
			key += "-" + string(v)
		}
		out[key] = r.Ref
	}
	return out, nil
}
