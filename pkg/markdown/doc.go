// Package markdown puts text that aviary did not write itself — a service
// name, a version, an error a registry sent, a commit subject — into the
// GitHub-flavoured Markdown of a step summary, so that it reads as the text
// it is and cannot change the document around it: it starts no new line, ends
// no table cell, and makes no link, image, emphasis, math or raw HTML.
//
// Every summary builder embeds outside text through Text or Code, once per
// value. The step runtime's summary writer (package step) then escapes the
// control characters of the whole document, which no builder writes.
package markdown
