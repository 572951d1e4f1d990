package markdown

import (
	"strings"
)

// inline lists the ASCII punctuation that has a meaning inside a line of
// GitHub-flavoured Markdown: escapes, code, emphasis, strikethrough, links
// and images, autolinks and HTML, entities, table cells and math.
const inline = "\\`*_~[]<>&|$"

// Text returns s as inline Markdown text: line breaks and runs of white
// space become one space, the punctuation that Markdown would interpret is
// escaped with a backslash, and so is a start that would open a block
// (heading, list, quote) if the text began a line.
func Text(s string) string {
	s = oneLine(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	block := blockMarker(s)
	for i := 0; i < len(s); i++ {
		if i == block || strings.IndexByte(inline, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Code returns s as an inline code span, which shows it verbatim: line
// breaks become spaces, the fence is longer than any run of backticks in s,
// and '|' is written '\|' as a table cell needs (outside a table the
// backslash shows). An empty s gives an empty string.
func Code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", `\|`).Replace(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if s[0] == '`' || s[len(s)-1] == '`' || s[0] == ' ' && s[len(s)-1] == ' ' {
		s = " " + s + " "
	}
	return fence + s + fence
}

// oneLine joins the fields of s with single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// blockMarker returns the index of the character that would make s, at the
// start of a line, open a block — a heading, a list item, a setext underline
// or a thematic break — or -1. ('>', which opens a quote, is escaped
// everywhere.)
func blockMarker(s string) int {
	if s == "" {
		return -1
	}
	switch s[0] {
	case '#', '-', '+', '=':
		return 0
	}
	i := 0
	for i < len(s) && i < 10 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') && (i+1 == len(s) || s[i+1] == ' ') {
		return i
	}
	return -1
}
