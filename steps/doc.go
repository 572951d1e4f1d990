// Package steps holds one directory per step binary (steps/<name>/main.go)
// and, in depcheck_test.go, the guard that keeps each binary from linking
// packages its job does not need. It has no code of its own.
package steps
