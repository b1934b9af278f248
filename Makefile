# Gantry's build, test and demo entry points. See README.md.
GO      ?= go
BIN     ?= bin/gantry
PKGS    ?= ./...
FUZZTIME ?= 10s
# Tools `make deps` installs with `go install` (staticcheck) live here.
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: build deps test unit e2e fuzz bench lint demo testenv-up testenv-down clean console-assets

build: console-assets
	$(GO) build -o $(BIN) ./cmd/gantry

## console-assets: the web console's graph layout library, from npm (manager/console/
## package-lock.json), into the embedded asset set; see docs/console.md.
console-assets:
	@bash manager/console/assets.sh

## deps: what the tests and the demo need on this machine (openssh-server, graphviz,
## staticcheck, the Kubernetes test binaries); installs only what is missing.
deps:
	@bash .ci/install.sh

## test: everything CI runs: gofmt, vet, staticcheck, short fuzzing, then every test
## (unit and end-to-end) in one `go test -tags e2e ./...` with the environment up.
test: deps build lint fuzz e2e

unit:
	$(GO) test -count=1 $(PKGS)

fuzz:
	@bash .ci/fuzz.sh $(FUZZTIME)

## e2e: end-to-end tests against the real test environment (sshd + kube-apiserver + kwok).
## One test alone: make e2e E2E_ARGS="-run TestSelfRouterPodOverSSH ./testenv/"
e2e: build
	@bash testenv/e2e.sh $(E2E_ARGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## bench-compare: Gantry vs Terraform on the same generated graphs (QUICK=1: N=100 only).
.PHONY: bench-compare
bench-compare:
	@bash bench/vs-terraform.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e $(PKGS)
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck $(PKGS) && staticcheck -tags e2e $(PKGS); \
	elif [ "$$CI" = true ]; then echo "staticcheck missing in CI (.ci/install.sh installs it)"; exit 1; \
	else echo "staticcheck not installed: skipped (go install honnef.co/go/tools/cmd/staticcheck@v0.8.2)"; fi

testenv-up:
	@bash testenv/up.sh

testenv-down:
	@bash testenv/down.sh

demo: deps build
	@bash blueprints/demo.sh

## demo-ha: the router scenario on 3 etcd members, 2 servers and 3 workers; a worker is
## killed mid-install and another completes it (docs/ha.md). Same deps as demo.
.PHONY: demo-ha
demo-ha: deps build
	@bash blueprints/demo-ha.sh

clean:
	rm -rf bin manager/console/node_modules manager/console/web/vendor/dagre.*
