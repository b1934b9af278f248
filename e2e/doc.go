// Package e2e holds Gantry's end-to-end tests of the reference scenario
// (issue 5): the kubernetes-cluster and quagga-router blueprints, the
// kubernetes, proxy and ssh plugins and the manager, run against the real
// test environment of package testenv (kube-apiserver, kube-scheduler, kwok
// nodes and an OpenSSH server on 127.0.0.1).
//
// Every test file carries the build tag e2e; run them with
//
//	bash testenv/e2e.sh ./e2e/                   # fresh environment, torn down after
//	GANTRY_TESTENV=/tmp/gantry-testenv/env go test -count=1 -tags e2e ./e2e/
//
// and the SSH benchmark (numbers in BENCH.md) with
//
//	go test -tags e2e -run '^$' -bench KubectlOverSSH -benchtime 1x ./e2e/
//
// Files: harness_e2e_test.go (a manager over its own bbolt store, event
// capture, fault hooks, the gantry binary), kube_e2e_test.go (independent
// checks and clean-up with the test environment's kubectl), one file per
// behaviour under test, and testdata/ (small blueprints for the cases the
// reference blueprints do not expose: host keys, a scalable Microservice, a
// lone DeploymentProxy).
package e2e
