package outcome

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, KindUnknown},
		{"plain", base, KindUnknown},
		{"negative", Negative(base), KindNegative},
		{"invalid wrapped by fmt", fmt.Errorf("reading plan: %w", Invalid(base)), KindInvalid},
		{"external formatted", Externalf("registry: %w", base), KindExternal},
		{"outermost wins", Negative(External(base)), KindNegative},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if !errors.Is(Invalid(base), base) {
		t.Error("Invalid(base) does not unwrap to base")
	}
	if Negative(nil) != nil {
		t.Error("Negative(nil) != nil")
	}
}
