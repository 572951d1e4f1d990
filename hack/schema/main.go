// Command schema writes the JSON Schema of aviary.yaml to
// schema/aviary.schema.json. Run it from anywhere inside the module:
//
//	go run ./hack/schema
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aviary-cd/aviary/pkg/config/schema"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "schema:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	data, err := schema.Generate()
	if err != nil {
		return err
	}
	return os.WriteFile(schema.Path, data, 0o644)
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}
