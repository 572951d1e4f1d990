// Package catalog holds the definition of every aviary step: its name,
// inputs and outputs. The step binaries read their definition from here and
// `make generate` writes every CI adapter and reference page from it, so the
// adapters cannot drift from the code. The package is data only and links
// nothing heavier than package step.
package catalog
