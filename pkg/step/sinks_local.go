package step

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// localSink prints one JSON object of all outputs on stdout.
type localSink struct {
	plainConsole
	stdout io.Writer
}

func (l *localSink) write(outs []outputValue) error {
	// Keys in declaration order, so the object reads like the definition.
	var b bytes.Buffer
	b.WriteString("{")
	for i, o := range outs {
		if i > 0 {
			b.WriteString(",")
		}
		k, _ := json.Marshal(o.name)
		v, _ := json.Marshal(o.value)
		fmt.Fprintf(&b, "\n  %s: %s", k, v)
	}
	if len(outs) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	if _, err := l.stdout.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing outputs: %w", err)
	}
	return nil
}
