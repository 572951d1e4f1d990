package step

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// newLogger returns the step's logger on w: human text prefixed with
// "aviary <step>:" or, with format "json", one JSON object per line. Secret
// values are redacted from messages and attributes in both, control
// characters escaped and workflow commands broken (see escape.go).
func newLogger(w io.Writer, format, step string, sec *secrets) *slog.Logger {
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(jsonConsole{w}, nil).WithAttrs([]slog.Attr{slog.String("step", step)})
	} else {
		h = newTextHandler(w, "aviary "+step+": ")
	}
	return slog.New(&redactHandler{next: h, sec: sec})
}

// jsonConsole breaks GitHub's "##[" command marker in JSON log lines the
// way JSON allows: the bracket written as \u005b decodes to the same text.
type jsonConsole struct{ w io.Writer }

func (j jsonConsole) Write(p []byte) (int, error) {
	if !bytes.Contains(p, []byte(commandMarker)) {
		return j.w.Write(p)
	}
	if _, err := j.w.Write(bytes.ReplaceAll(p, []byte(commandMarker), []byte(`##\u005b`))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// textHandler writes "aviary step: [level: ]message key=value ...". The
// attributes are formatted by a slog.TextHandler so that quoting, groups and
// WithAttrs behave as usual.
type textHandler struct {
	prefix string
	attrs  slog.Handler // TextHandler writing into st.buf, without time, level and message
	st     *textState
}

type textState struct {
	mu  sync.Mutex
	out io.Writer
	buf bytes.Buffer
}

func newTextHandler(w io.Writer, prefix string) *textHandler {
	st := &textState{out: w}
	attrs := slog.NewTextHandler(&st.buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 {
				switch a.Key {
				case slog.TimeKey, slog.LevelKey, slog.MessageKey:
					return slog.Attr{}
				}
			}
			return a
		},
	})
	return &textHandler{prefix: prefix, attrs: attrs, st: st}
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *textHandler) Handle(ctx context.Context, r slog.Record) error {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	h.st.buf.Reset()
	if err := h.attrs.Handle(ctx, r); err != nil {
		return err
	}
	level := ""
	switch {
	case r.Level >= slog.LevelError:
		level = "error: "
	case r.Level >= slog.LevelWarn:
		level = "warning: "
	case r.Level < slog.LevelInfo:
		level = "debug: "
	}
	// Every line of a multi-line message carries the prefix, so that no
	// line of the log starts with text the step did not write.
	lines := strings.Split(r.Message, "\n")
	if attrs := strings.TrimSpace(h.st.buf.String()); attrs != "" {
		lines[len(lines)-1] += " " + attrs
	}
	var out strings.Builder
	for i, l := range lines {
		out.WriteString(h.prefix)
		if i == 0 {
			out.WriteString(level)
		} else {
			out.WriteString("  ")
		}
		out.WriteString(breakCommands(l))
		out.WriteString("\n")
	}
	_, err := io.WriteString(h.st.out, out.String())
	return err
}

func (h *textHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &textHandler{prefix: h.prefix, attrs: h.attrs.WithAttrs(as), st: h.st}
}

func (h *textHandler) WithGroup(name string) slog.Handler {
	return &textHandler{prefix: h.prefix, attrs: h.attrs.WithGroup(name), st: h.st}
}

// redactHandler replaces secret values in messages and attributes, and
// escapes their control characters but line breaks and tabs, before the next
// handler sees them.
type redactHandler struct {
	next slog.Handler
	sec  *secrets
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.clean(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.redactAttr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(red), sec: h.sec}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), sec: h.sec}
}

func (h *redactHandler) redactAttr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.clean(a.Value.String()))
	case slog.KindGroup:
		group := a.Value.Group()
		red := make([]slog.Attr, len(group))
		for i, g := range group {
			red[i] = h.redactAttr(g)
		}
		a.Value = slog.GroupValue(red...)
	case slog.KindAny:
		// Errors, Stringers, structs: redact their printed form.
		text := fmt.Sprint(a.Value.Any())
		if red := h.clean(text); red != text {
			a.Value = slog.StringValue(red)
		}
	}
	return a
}

// clean redacts secrets and escapes control characters.
func (h *redactHandler) clean(text string) string {
	return escapeControl(h.sec.redact(text), "\n\t")
}
