package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantryhq/gantry/cmd/cli"
	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/tosca"
)

// The install benchmarks measure the whole `gantry install` of a generated
// layered blueprint whose every node's create operation is a script that
// runs `true` (tosca.GenerateLayeredWith; 10 nodes a layer, each depending
// on one node, or on all ten, of the layer before). The target:
// under 2 s for N=1000. Run them with
//
//	go test ./cmd/gantry -run '^$' -bench InstallProcess -benchtime 3x
//
// and profile gantry's own share with
//
//	go test ./cmd/gantry -run '^$' -bench InstallInProcess/N=1000 -benchtime 3x -cpuprofile cpu.out

// trueScript is the create operation: a .sh (run with bash) that execs true.
const trueScript = "#!/bin/sh\nexec true\n"

// benchBlueprint writes the generated blueprint into a new folder.
func benchBlueprint(b *testing.B, n int, shape tosca.Shape) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), fmt.Sprintf("n%d-%s", n, shape))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	bp := tosca.GenerateLayeredWith(tosca.LayeredOptions{Nodes: n, Shape: shape, CreateScript: "true.sh"})
	if err := os.WriteFile(filepath.Join(dir, "blueprint.yaml"), bp, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "true.sh"), []byte(trueScript), 0o755); err != nil {
		b.Fatal(err)
	}
	return dir
}

var benchCases = []struct {
	n     int
	shape tosca.Shape
}{{100, tosca.ShapeOne}, {100, tosca.ShapeAll}, {1000, tosca.ShapeOne}, {1000, tosca.ShapeAll}}

// BenchmarkInstallProcess runs the gantry binary (built by the benchmark)
// as a user would: one `gantry install` process per iteration on a fresh
// store. ns/op is the wall time of the process (max-s the slowest run);
// cpu-s/op is its user+system time including the scripts it ran.
func BenchmarkInstallProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "gantry")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v: %s", err, out)
	}
	for _, c := range benchCases {
		b.Run(fmt.Sprintf("N=%d/shape=%s", c.n, c.shape), func(b *testing.B) {
			bp := benchBlueprint(b, c.n, c.shape)
			var cpu, slowest time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				storePath := filepath.Join(b.TempDir(), "g.db")
				cmd := exec.Command(bin, "install", bp, "-d", "bench")
				cmd.Env = append(os.Environ(), "GANTRY_STORE="+storePath)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				b.StartTimer()
				start := time.Now()
				err := cmd.Run()
				b.StopTimer()
				slowest = max(slowest, time.Since(start))
				if err != nil {
					b.Fatalf("gantry install: %v\n%s", err, out.String())
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				b.StartTimer()
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(slowest.Seconds(), "max-s")
		})
	}
}

// BenchmarkInstallInProcess runs `gantry install` through cli.Main inside
// the benchmark process, so that -cpuprofile sees gantry's own work (the
// scripts still run as processes).
func BenchmarkInstallInProcess(b *testing.B) {
	for _, c := range benchCases {
		b.Run(fmt.Sprintf("N=%d/shape=%s", c.n, c.shape), func(b *testing.B) {
			bp := benchBlueprint(b, c.n, c.shape)
			for b.Loop() {
				b.StopTimer()
				storePath := filepath.Join(b.TempDir(), "g.db")
				var out bytes.Buffer
				io := &cmdutil.IOStreams{In: bytes.NewReader(nil), Out: &out, ErrOut: &out}
				b.StartTimer()
				code := cli.Main([]string{"install", bp, "-d", "bench", "--store", storePath}, io)
				if code != 0 {
					b.Fatalf("gantry install: exit %d\n%s", code, out.String())
				}
			}
		})
	}
}
