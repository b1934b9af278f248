package ssh

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// BenchmarkHundredCommands runs 100 commands three ways against the same
// sshd, in one run, and reports each time and the ratios:
//   - pooled:  one Pool, one connection, 100 sessions on it;
//   - newconn: a new connection (dial, handshake, auth) per command, as the
//     2016 plugin did with Fabric;
//   - cli:     /usr/bin/ssh per command, same key and known_hosts.
//
// go test -run '^$' -bench HundredCommands -benchtime 3x ./plugins/ssh
func BenchmarkHundredCommands(b *testing.B) {
	const n = 100
	s := startSSHD(b)
	tg := s.target()
	ctx := context.Background()
	cmd := Command{Args: []string{"echo", "ok"}}
	cfg := Config{KnownHostsFile: s.knownHosts}
	check := func(res Result, err error) {
		if err != nil || string(res.Stdout) != "ok\n" {
			b.Fatalf("command failed: %v (%q)", err, res.Stdout)
		}
	}
	cli := func() {
		out, err := exec.Command("/usr/bin/ssh", "-F", "/dev/null",
			"-i", s.clientKey, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
			"-o", "UserKnownHostsFile="+s.knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "StrictHostKeyChecking=yes", "-p", strconv.Itoa(s.port),
			tg.User+"@127.0.0.1", Join(cmd.Args)).CombinedOutput()
		if err != nil || string(out) != "ok\n" {
			b.Fatalf("ssh failed: %v: %s", err, out)
		}
	}
	if _, err := exec.LookPath("/usr/bin/ssh"); err != nil {
		b.Skip("/usr/bin/ssh not installed")
	}

	var pooled, newconn, cliTime time.Duration
	for b.Loop() {
		start := time.Now()
		p := NewPool(cfg) // the one dial is part of the cost
		for range n {
			check(p.Run(ctx, tg, cmd))
		}
		_ = p.Close()
		pooled += time.Since(start)

		start = time.Now()
		for range n {
			p := NewPool(cfg)
			check(p.Run(ctx, tg, cmd))
			_ = p.Close()
		}
		newconn += time.Since(start)

		start = time.Now()
		for range n {
			cli()
		}
		cliTime += time.Since(start)
	}
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
	b.ReportMetric(per(pooled), "pooled-ms/100cmd")
	b.ReportMetric(per(newconn), "newconn-ms/100cmd")
	b.ReportMetric(per(cliTime), "cli-ms/100cmd")
	b.ReportMetric(float64(newconn)/float64(pooled), "newconn/pooled")
	b.ReportMetric(float64(cliTime)/float64(pooled), "cli/pooled")
}
