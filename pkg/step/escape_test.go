package step

import "testing"

func TestConsoleText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "web 1.2.0", "web 1.2.0"},
		{"lines kept", "a\n\tb", "a\n\tb"},
		{"command at a line start", "a\n::set-output name=x::1", "a\n\\::set-output name=x::1"},
		{"indented command", "  ::error::x", "  \\::error::x"},
		{"command inside a line", "a ::error::x", "a ::error::x"},
		{"legacy marker", "a ##[add-mask]x", `a ##\[add-mask]x`},
		{"ansi", "a\x1b[31mb", `a\x1b[31mb`},
		{"carriage return", "a\rb", `a\x0db`},
		{"nul and del", "a\x00b\x7f", `a\x00b\x7f`},
		{"c1 control", "a\u009bb", `a\u009bb`},
		{"bidi", "a\u202eb\u2066c", `a\u202eb\u2066c`},
		{"invalid utf-8", "a\xffb", `a\xffb`},
		{"unicode kept", "✅ 100 % → ok", "✅ 100 % → ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := consoleText(tt.in); got != tt.want {
				t.Errorf("consoleText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
