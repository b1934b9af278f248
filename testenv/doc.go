// Package testenv gives end-to-end tests the endpoints of Gantry's test environment: a
// real OpenSSH server and a real Kubernetes control plane (etcd, kube-apiserver,
// kube-scheduler, kwok-simulated nodes) on 127.0.0.1, started by testenv/up.sh.
//
// Tests that need it are built with the tag e2e and call [Require] (or
// [RequireExclusive] to stop and restart components or change cluster-wide state):
//
//	//go:build e2e
//
//	func TestSomething(t *testing.T) {
//		env := testenv.Require(t)
//		// env.SSHAddr(), env.SSHUser, env.SSHKeyPath, env.KnownHostsPath, env.Kubeconfig ...
//	}
//
// The environment is described by an env file (KEY=VALUE lines) named by $GANTRY_TESTENV,
// which `make e2e` (testenv/e2e.sh) sets; without it, the file of `make testenv-up`
// ($GANTRY_TESTENV_DIR/env, default /tmp/gantry-testenv/env) is used. When no environment
// is reachable a test is skipped with instructions, except under CI=true, where it fails.
//
// By default (GANTRY_TESTENV_REAL_NODE=0 opts out) the environment also has a real node (kubelet and
// containerd in a network namespace of their own, realnode.sh): [RequireRealNode] gives it
// to a test as a [RealNode] (namespaces, addresses, the containerd socket, helpers to run
// commands in the node's and the peer's namespaces).
//
// The shell scripts next to this file own the processes (build.sh, up.sh, down.sh,
// ctl.sh, e2e.sh, realnode.sh); this package only reads the env file, takes the
// shared/exclusive lock, calls ctl.sh for the fault controls and runs nsenter, ip and ctr
// for the real node. It depends on the standard library only.
// See docs/testing.md.
package testenv
