package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/scripttest"
)

// TestMain also stops the clusters the tests shared (devenv.SharedM).
func TestMain(m *testing.M) {
	testscript.Main(devenv.SharedM{M: m}, map[string]func(){"promote": main})
}

// TestBadInput runs the step's bad-input corpus,
// ../testdata/badinput/promote.txtar, against its main.
func TestBadInput(t *testing.T) { scripttest.BadInput(t, "promote") }
