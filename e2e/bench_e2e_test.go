//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/plugins/ssh"
	"github.com/gantryhq/gantry/testenv"
)

// benchMode is one way of running kubectl; start returns a function that
// runs k operations and a function that releases what start set up.
type benchMode struct {
	name  string
	start func() (run func(k int) error, stop func())
}

// BenchmarkKubectlOverSSH runs 100 `kubectl get --raw=/readyz` over SSH
// against the test environment's sshd and API server, several ways, in one
// run, and reports each way's time for the 100 and its ratio to the pooled
// connection:
//
//   - pooled: one ssh.Pool (one connection, its dial included), a session
//     per command, one command after another;
//   - pooled-10-parallel: the same pool, 10 commands at a time (its MaxSessions);
//   - new-conn-per-op: a new Pool per command (TCP, handshake, auth every
//     time), as the 2016 plugin did with Fabric;
//   - ssh-cli: /usr/bin/ssh per command, same key and known_hosts;
//   - local-kubectl-no-ssh: kubectl run here, without SSH: the floor, what
//     kubectl itself costs (the other rows minus this one are SSH's cost).
//
// The ways take turns, 10 commands each, ten times, so that load from
// elsewhere on the machine falls on all of them alike.
//
//	go test -tags e2e -run '^$' -bench KubectlOverSSH -benchtime 1x ./e2e/
func BenchmarkKubectlOverSSH(b *testing.B) {
	const n, chunk = 100, 10
	env := testenv.Require(b)
	target := ssh.Target{Host: env.SSHHost, Port: env.SSHPort, User: env.SSHUser,
		KeyFile: env.SSHKeyPath, KnownHostsFile: env.KnownHostsPath}
	cmd := ssh.Command{Args: []string{"kubectl", "get", "--raw=/readyz"}}
	ctx := context.Background()
	check := func(out []byte, err error) error {
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(out)) != "ok" {
			return fmt.Errorf("kubectl said %q, want ok", out)
		}
		return nil
	}
	viaPool := func(p *ssh.Pool) error {
		res, err := p.Run(ctx, target, cmd)
		return check(res.Stdout, err)
	}
	sshCLI, err := exec.LookPath("ssh")
	if err != nil {
		b.Skip("no ssh command line client")
	}
	cliArgs := []string{"-F", "/dev/null", "-i", env.SSHKeyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + env.KnownHostsPath, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-p", strconv.Itoa(env.SSHPort), env.SSHUser + "@" + env.SSHHost,
		"kubectl get --raw=/readyz"}
	serial := func(op func() error) func(int) error {
		return func(k int) error {
			for range k {
				if err := op(); err != nil {
					return err
				}
			}
			return nil
		}
	}
	modes := []benchMode{
		{"pooled", func() (func(int) error, func()) {
			p := ssh.NewPool(ssh.Config{})
			return serial(func() error { return viaPool(p) }), func() { _ = p.Close() }
		}},
		{"pooled-10-parallel", func() (func(int) error, func()) {
			p := ssh.NewPool(ssh.Config{})
			return func(k int) error {
				errs := make(chan error, k)
				var wg sync.WaitGroup
				for range k {
					wg.Go(func() { errs <- viaPool(p) })
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						return err
					}
				}
				return nil
			}, func() { _ = p.Close() }
		}},
		{"new-conn-per-op", func() (func(int) error, func()) {
			return serial(func() error {
				p := ssh.NewPool(ssh.Config{})
				defer p.Close()
				return viaPool(p)
			}), func() {}
		}},
		{"ssh-cli", func() (func(int) error, func()) {
			return serial(func() error {
				return check(exec.CommandContext(ctx, sshCLI, cliArgs...).Output())
			}), func() {}
		}},
		{"local-kubectl-no-ssh", func() (func(int) error, func()) {
			return serial(func() error {
				return check(env.KubectlCmd(ctx, "get", "--raw=/readyz").Output())
			}), func() {}
		}},
	}

	total := make([]time.Duration, len(modes))
	for b.Loop() {
		runs := make([]func(int) error, len(modes))
		stops := make([]func(), len(modes))
		for i, m := range modes {
			start := time.Now()
			runs[i], stops[i] = m.start()
			total[i] += time.Since(start)
		}
		for range n / chunk {
			for i, m := range modes {
				start := time.Now()
				if err := runs[i](chunk); err != nil {
					b.Fatalf("%s: %v", m.name, err)
				}
				total[i] += time.Since(start)
			}
		}
		for i := range modes {
			start := time.Now()
			stops[i]()
			total[i] += time.Since(start)
		}
	}
	per := func(i int) time.Duration { return total[i] / time.Duration(b.N) }
	base := per(0)
	fmt.Printf("\n%d x kubectl get --raw=/readyz over SSH (sshd %s), mean of %d run(s)\n", n, env.SSHAddr(), b.N)
	fmt.Printf("%-22s %10s %10s %10s\n", "way", "100 ops", "per op", "vs pooled")
	for i, m := range modes {
		d := per(i)
		b.ReportMetric(float64(d.Milliseconds()), m.name+"-ms/100ops")
		if i > 0 {
			b.ReportMetric(float64(d)/float64(base), m.name+"/pooled")
		}
		fmt.Printf("%-22s %10s %10s %9.2fx\n", m.name, d.Round(time.Millisecond), (d / n).Round(100*time.Microsecond), float64(d)/float64(base))
	}
}
