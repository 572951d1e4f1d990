package step

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
)

func TestTextLog(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "text", "deploy-canary", nil)
	log.Info("weight set", "service", "web", "weight", 10)
	log.With("ns", "prod").Warn("slow rollout", "note", "two words")
	log.WithGroup("req").Error("failed", "err", errors.New("boom"))
	log.Debug("hidden")
	want := `aviary deploy-canary: weight set service=web weight=10
aviary deploy-canary: warning: slow rollout ns=prod note="two words"
aviary deploy-canary: error: failed req.err=boom
`
	if got := buf.String(); got != want {
		t.Errorf("text log =\n%s\nwant\n%s", got, want)
	}
}

func TestTextLogLines(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "text", "promote", nil)
	log.Warn("two\n::error::lines ##[x]", "service", "a\nb")
	log.Info("ansi \x1b[31mred")
	want := `aviary promote: warning: two
aviary promote:   \::error::lines ##\[x] service="a\nb"
aviary promote: ansi \x1b[31mred
`
	if got := buf.String(); got != want {
		t.Errorf("text log =\n%s\nwant\n%s", got, want)
	}
}

func TestJSONLogBreaksCommands(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "json", "promote", nil).Info("a ##[add-mask]x\x1b")
	if bytes.Contains(buf.Bytes(), []byte("##[")) {
		t.Errorf("JSON log holds ##[: %s", buf.Bytes())
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, buf.String())
	}
	if want := `a ##[add-mask]x\x1b`; rec["msg"] != want {
		t.Errorf("record[msg] = %q, want %q", rec["msg"], want)
	}
}

func TestJSONLog(t *testing.T) {
	var buf bytes.Buffer
	sec := &secrets{values: []string{"hunter2"}}
	newLogger(&buf, "json", "promote", sec).Info("login hunter2", "password", "hunter2", "n", 3)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, buf.String())
	}
	for k, want := range map[string]any{"msg": "login ***", "password": "***", "step": "promote", "level": "INFO", "n": 3.0} {
		if rec[k] != want {
			t.Errorf("record[%q] = %v, want %v", k, rec[k], want)
		}
	}
}

func TestRedactHandlerKeepsNonSecretValues(t *testing.T) {
	var buf bytes.Buffer
	sec := &secrets{values: []string{"s3cret"}}
	type point struct{ X int }
	newLogger(&buf, "text", "x", sec).Info("m", slog.Any("p", point{1}), slog.Any("e", errors.New("s3cret!")))
	want := "aviary x: m p={X:1} e=***!\n"
	if buf.String() != want {
		t.Errorf("log = %q, want %q", buf.String(), want)
	}
}
