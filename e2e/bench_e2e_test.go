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

// BenchmarkKubectlOverSSH runs 100 `kubectl get --raw=/readyz` over SSH
// against the test environment's sshd and API server, four ways, in one
// run, and prints the times and the ratios to the pooled connection:
//
//   - pooled: one ssh.Pool (one connection, dial included), 100 sessions, one after another;
//
//   - pooled-10-parallel: the same, 10 commands at a time (the pool's MaxSessions);
//
//   - new-conn-per-op: a new Pool per command (TCP, handshake, auth every
//     time), as the 2016 plugin did with Fabric;
//
//   - ssh-cli: /usr/bin/ssh per command, same key and known_hosts.
//
//     go test -tags e2e -run '^$' -bench KubectlOverSSH -benchtime 1x ./e2e/
func BenchmarkKubectlOverSSH(b *testing.B) {
	const n = 100
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

	modes := []struct {
		name string
		run  func() error // n operations
	}{
		{"pooled", func() error {
			p := ssh.NewPool(ssh.Config{})
			defer p.Close()
			for range n {
				if err := viaPool(p); err != nil {
					return err
				}
			}
			return nil
		}},
		{"pooled-10-parallel", func() error {
			p := ssh.NewPool(ssh.Config{})
			defer p.Close()
			errs := make(chan error, n)
			var wg sync.WaitGroup
			work := make(chan struct{})
			for range 10 {
				wg.Go(func() {
					for range work {
						errs <- viaPool(p)
					}
				})
			}
			for range n {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"new-conn-per-op", func() error {
			for range n {
				p := ssh.NewPool(ssh.Config{})
				err := viaPool(p)
				_ = p.Close()
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"ssh-cli", func() error {
			for range n {
				out, err := exec.CommandContext(ctx, sshCLI, cliArgs...).Output()
				if err := check(out, err); err != nil {
					return err
				}
			}
			return nil
		}},
	}

	per100 := map[string]time.Duration{}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			var total time.Duration
			iters := 0
			for b.Loop() {
				start := time.Now()
				if err := m.run(); err != nil {
					b.Fatalf("%s: %v", m.name, err)
				}
				total += time.Since(start)
				iters++
			}
			d := total / time.Duration(iters)
			per100[m.name] = d
			b.ReportMetric(float64(d.Milliseconds()), "ms/100ops")
			b.ReportMetric(float64(d.Microseconds())/1000/n, "ms/op")
			if base := per100["pooled"]; base > 0 && m.name != "pooled" {
				b.ReportMetric(float64(d)/float64(base), "x-pooled")
			}
		})
	}
	base := per100["pooled"]
	if base == 0 {
		return
	}
	fmt.Printf("\n%d x kubectl get --raw=/readyz over SSH (sshd %s)\n", n, env.SSHAddr())
	fmt.Printf("%-20s %12s %10s %10s\n", "mode", "total", "per op", "vs pooled")
	for _, m := range modes {
		d, ok := per100[m.name]
		if !ok {
			continue
		}
		fmt.Printf("%-20s %12s %10s %9.2fx\n", m.name, d.Round(time.Millisecond), (d / n).Round(10*time.Microsecond), float64(d)/float64(base))
	}
}
