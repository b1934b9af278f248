package worker

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
)

// DefaultParallel is --parallel's default.
const DefaultParallel = 4

// NewCmd returns `gantry worker`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var name string
	var parallel int
	cmd := &cobra.Command{
		Use:   "worker [--parallel N] [--name NAME] --store etcd://...",
		Short: "Run queued executions of a shared store; take over those of dead workers",
		Long: `Run the executions queued in a shared store (--store etcd://..., or
$GANTRY_STORE): those started with 'gantry executions start --detach' and
everything a 'gantry server --run-executions=false' receives. Up to --parallel
run at once. Each is claimed with a key on this process's etcd lease; when a
worker dies or is cut off, its lease ends (lease-ttl in the store URL, 10s by
default) and another worker takes its executions over, resuming them: tasks
recorded done never run again, operations that were in flight run again. A
worker whose claim was lost stops that execution's operations and writes
nothing more (see docs/ha.md).

SIGTERM or SIGINT: no new executions; the running ones finish. A second
signal exits at once, and other workers take its executions over.`,
		Args: cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(f, name, parallel)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the worker's name in claims and 'gantry status' (default HOSTNAME-PID)")
	cmd.Flags().IntVar(&parallel, "parallel", DefaultParallel, "executions run at once")
	return cmd
}

func run(f *cmdutil.Factory, name string, parallel int) error {
	if parallel <= 0 {
		return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--parallel %d: want at least 1", parallel))
	}
	var mu sync.Mutex
	log := func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(f.IO.ErrOut, msg)
	}
	m, w, err := f.Worker(name, parallel, log)
	if err != nil {
		return err
	}
	defer m.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process
		again := make(chan os.Signal, 1)
		signal.Notify(again, syscall.SIGTERM, syscall.SIGINT)
		<-again
		log(fmt.Sprintf("worker %s: stopped at once; other workers take its executions over", w.Name()))
		os.Exit(cmdutil.ExitCancelled)
	}()
	if err := w.Run(ctx); err != nil {
		return cmdutil.StoreError(err)
	}
	return nil
}
