package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/aviary-cd/aviary/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"promote": main})
}

// TestBadInput runs the step's bad-input corpus,
// ../testdata/badinput/promote.txtar, against its main.
func TestBadInput(t *testing.T) { scripttest.BadInput(t, "promote") }
