package markdown

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "web 1.2.0", "web 1.2.0"},
		{"empty", "", ""},
		{"new line", "web\n| evil | row |", `web \| evil \| row \|`},
		{"carriage return and tabs", "a\r\n\tb", "a b"},
		{"table cell", "a|b", `a\|b`},
		{"link", "[click](https://evil.example)", `\[click\](https://evil.example)`},
		{"image", "![x](https://evil.example/t.png)", `!\[x\](https://evil.example/t.png)`},
		{"html", "<script>alert(1)</script>", `\<script\>alert(1)\</script\>`},
		{"autolink", "<https://evil.example>", `\<https://evil.example\>`},
		{"emphasis and code", "*a* _b_ `c` ~~d~~", "\\*a\\* \\_b\\_ \\`c\\` \\~\\~d\\~\\~"},
		{"entity", "&lt;", `\&lt;`},
		{"math", "$x$", `\$x\$`},
		{"backslash", `a\|b`, `a\\\|b`},
		{"workflow command", "::set-output name=x::1", "::set-output name=x::1"},
		{"heading", "# Verified", `\# Verified`},
		{"list", "- item", `\- item`},
		{"ordered list", "1. item", `1\. item`},
		{"ordered list with parenthesis", "12) item", `12\) item`},
		{"version is no list", "1.2.3", "1.2.3"},
		{"quote", "> said", `\> said`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "reg/app@sha256:abc", "`reg/app@sha256:abc`"},
		{"empty", "", ""},
		{"backtick inside", "a`b", "``a`b``"},
		{"two backticks inside", "a``b", "```a``b```"},
		{"backtick at the edge", "`a", "`` `a ``"},
		{"new line", "a\nb", "`a b`"},
		{"table cell", "a|b", "`a\\|b`"},
		{"html stays text", "<script>", "`<script>`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.in); got != tt.want {
				t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzText checks the promise of Text: one line, no unescaped character of
// Markdown's inline syntax.
func FuzzText(f *testing.F) {
	for _, s := range []string{"web", "a\n|b", "[x](y)", `\`, "# h", "1. x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if strings.ContainsAny(got, "\r\n") {
			t.Fatalf("Text(%q) = %q holds a line break", s, got)
		}
		for i := 0; i < len(got); i++ {
			if strings.IndexByte(inline, got[i]) < 0 {
				continue
			}
			if got[i] == '\\' {
				i++ // an escape and what it escapes
				continue
			}
			t.Fatalf("Text(%q) = %q: %q at %d is not escaped", s, got, got[i], i)
		}
	})
}
