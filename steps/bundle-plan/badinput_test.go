package main

import (
	"testing"

	"github.com/aviary-cd/aviary/internal/scripttest"
)

// TestBadInput runs the step's bad-input corpus,
// ../testdata/badinput/bundle-plan.txtar, against its main.
func TestBadInput(t *testing.T) { scripttest.BadInput(t, "bundle-plan") }
