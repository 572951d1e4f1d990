package kube_test

import (
	"os"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// TestMain stops the clusters the tests shared.
func TestMain(m *testing.M) { os.Exit(devenv.SharedM{M: m}.Run()) }
