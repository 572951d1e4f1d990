// Command toolcache builds the tools that the real-environment tests run and
// prints their paths, one "<name> <path>" line each.
//
//	go run ./hack/toolcache all            # build every tool (CI does this first)
//	go run ./hack/toolcache etcd kwok      # just these
//	go run ./hack/toolcache -list          # the table
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

func main() {
	list := flag.Bool("list", false, "print the tool table and exit")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: toolcache [-list] all | <name>...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *list {
		for _, t := range toolcache.Tools() {
			fmt.Printf("%-24s %-10s hack/%-11s %s\n", t.Name, t.Version, t.Module, t.Package)
		}
		return
	}
	names := flag.Args()
	if len(names) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if len(names) == 1 && names[0] == "all" {
		names = nil
		for _, t := range toolcache.Tools() {
			names = append(names, t.Name)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := false
	for _, name := range names {
		p, err := toolcache.Path(ctx, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "toolcache: %v\n", err)
			failed = true
			continue
		}
		fmt.Printf("%s %s\n", name, p)
	}
	if failed {
		os.Exit(1)
	}
}
