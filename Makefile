# aviary — see README.md. Every target works on a fresh machine with Go 1.26.
SHELL := /bin/bash
GO    ?= go
STEPS := open-release bundle-plan verify-artifacts deploy-canary shift-weight promote rollback rebuild-cluster
BIN   := bin
TEST_TIMEOUT ?= 45m
# Test binaries run at once by make test. The real-environment tests wait on
# their clusters (readiness, analysis windows in real time) about half the
# time, so two cores take four of them.
TEST_P ?= 4
# Test binaries are linked without DWARF (-w): linking the 44 of make test
# took 190 CPU-seconds with it and 119 without. Stack traces and profiles
# do not need it; a debugger does (TEST_LDFLAGS= to keep it).
TEST_LDFLAGS ?= -w

.PHONY: all build test test-short test-lint e2e-ci fuzz fuzz-short generate check-generate lint bench demo env tools images clean

all: build

## build: every step binary into bin/ (static, stripped of local paths)
build:
	@mkdir -p $(BIN)
	@for s in $(STEPS); do \
		echo "go build $$s"; \
		CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/$$s ./steps/$$s || exit 1; \
	done

# The real components the tests run; the benchmarks also use kubectl, crane and oras.
TEST_TOOLS := etcd kube-apiserver kube-controller-manager kube-scheduler kwok pilot-discovery cosign-v2 cosign-v3 prometheus

## tools: build (once, cached) the real components the tests and the demo run, two builds at a time
tools:
	$(GO) run ./hack/toolcache -j 2 $(TEST_TOOLS)

## test: everything, including the tests against real components, and a short fuzzing run;
## the tests that run step binaries run make build's (AVIARY_STEPS_BIN), built once
test: tools build
	AVIARY_STEPS_BIN=$(CURDIR)/$(BIN) $(GO) test -p $(TEST_P) -ldflags='$(TEST_LDFLAGS)' -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) test-lint
	$(MAKE) fuzz-short

# The fuzz targets of the readers of untrusted input (aviary.yaml, the
# policy, the plan document and its manifests bundle) and of the Markdown
# escaping of summaries, as package:Func.
FUZZ_TARGETS := ./pkg/config:FuzzParse ./pkg/policy:FuzzParse ./pkg/plan:FuzzDecode ./pkg/plan:FuzzReadBundle ./pkg/markdown:FuzzText
FUZZTIME_SHORT ?= 10s
FUZZTIME ?= 5m

## fuzz-short: every fuzz target for FUZZTIME_SHORT (10s each; make test runs it)
fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzzing $$fn in $$pkg for $(FUZZTIME_SHORT)"; \
		$(GO) test -ldflags='$(TEST_LDFLAGS)' -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME_SHORT) $$pkg || exit 1; \
	done

## fuzz: every fuzz target for FUZZTIME (5m each)
fuzz:
	$(MAKE) fuzz-short FUZZTIME_SHORT=$(FUZZTIME)

## test-lint: the generated CI adapters pass actionlint and Tekton's own validation
test-lint:
	cd hack/lint && $(GO) test -ldflags='$(TEST_LDFLAGS)' -timeout $(TEST_TIMEOUT) ./...

## e2e-ci: the step images built (hack/images), signed and attested with cosign, verified by
## verify-artifacts, and run as containers (podman) by act (examples/github), gitlab-ci-local
## (examples/gitlab) and Tekton's step contract (examples/tekton); installs what it needs
E2E_TIMEOUT ?= 60m
e2e-ci:
	bash hack/e2e-ci/deps.sh
	AVIARY_E2E_CI=1 $(GO) test -count=1 -timeout $(E2E_TIMEOUT) -v ./hack/e2e-ci/

## test-short: fast unit tests only (no real components)
test-short:
	$(GO) test -short ./...

## generate: CI adapters, reference pages and the config schema from the step definitions
generate:
	$(GO) run ./hack/generate
	$(GO) run ./hack/schema

## check-generate: fail when a generated file is stale
check-generate: generate
	@git diff --exit-code -- actions tekton templates docs/steps schema || \
		(echo "generated files are stale: run make generate and commit" >&2; exit 1)

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## bench: Go benchmarks plus side-by-side comparisons with the CLIs people use by hand
bench: tools
	$(GO) run ./hack/toolcache kubectl crane oras
	$(GO) test -run '^$$' -bench . -skip TimeToRollback -benchmem -benchtime 3x ./pkg/... ./steps/...
	$(GO) test -run '^$$' -bench TimeToRollback -benchtime 10x ./steps/internal/stepgate/
	bash hack/bench/run.sh

## demo: start the local environment and run the whole release pipeline on a sample application (TOPOLOGY=<kind> for another topology)
demo: build
	$(GO) run ./hack/demo $(if $(TOPOLOGY),--topology $(TOPOLOGY))

## env: start the local environment (clusters, registry, Prometheus) until Ctrl-C; ISTIOD=1 adds an istiod per cluster
env:
	$(GO) run ./hack/devenv up $(if $(ISTIOD),--istiod)

clean:
	rm -rf $(BIN) .env
