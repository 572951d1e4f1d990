package canary_test

import (
	"os"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// TestMain stops the clusters the tests shared (canarytest takes them
// from devenv's pool).
func TestMain(m *testing.M) { os.Exit(devenv.SharedM{M: m}.Run()) }
