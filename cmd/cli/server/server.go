package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/console"
	mserver "github.com/gantryhq/gantry/manager/server"
)

// DefaultListen is where `gantry server` listens without --listen.
const DefaultListen = "127.0.0.1:8700"

// options are the command's flags.
type options struct {
	listen          string
	tlsCert, tlsKey string
	shutdownTimeout time.Duration
	runExecutions   bool
}

// NewCmd returns `gantry server`; children (tokens, audit) are added to it.
func NewCmd(f *cmdutil.Factory, children ...*cobra.Command) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "server [--listen ADDR] [--store PATH] [--tls-cert FILE --tls-key FILE]",
		Short: "Serve the REST API over a store: a gantry shared by CI and a team",
		Long: `Serve Gantry's REST API (/api/v1) over the store (--store, $GANTRY_STORE or
~/.gantry/gantry.db). Executions started through it run in this process, or,
with --run-executions=false over a shared etcd store, are queued for
'gantry worker' processes (several servers can then serve one store).
Every request but /api/v1/health needs a bearer token: make the first admin
token on this machine with 'gantry server tokens create --name NAME --role admin
--out FILE --store STORE' (see docs/server.md).

Plain HTTP is for loopback addresses only; any other --listen needs
--tls-cert and --tls-key. SIGTERM or SIGINT stops it gracefully: running
executions are cancelled (running operations finish) and can be resumed.`,
		Args: cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), f, o)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", DefaultListen, "address to listen on (host:port; port 0 picks one)")
	cmd.Flags().StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM) to serve https")
	cmd.Flags().StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM) of --tls-cert")
	cmd.Flags().DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long running executions may take to stop gracefully")
	cmd.Flags().BoolVar(&o.runExecutions, "run-executions", true, "run executions in this process; false queues them for 'gantry worker' (shared etcd store)")
	cmd.AddCommand(children...)
	return cmd
}

// checkListen refuses plain HTTP off loopback; it returns whether a
// warning is due (plain HTTP on loopback).
func checkListen(addr string, tls bool) (warn bool, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--listen %q: %w", addr, err))
	}
	if tls {
		return false, nil
	}
	if host == "localhost" {
		return true, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true, nil
	}
	return false, cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--listen %s: %w", addr, ErrPlainHTTP))
}

func run(ctx context.Context, f *cmdutil.Factory, o options) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return cmdutil.Exit(cmdutil.ExitUsage, ErrTLSPair)
	}
	useTLS := o.tlsCert != ""
	warn, err := checkListen(o.listen, useTLS)
	if err != nil {
		return err
	}
	f.QueueExecutions = !o.runExecutions
	m, err := f.Local(true)
	if err != nil {
		return err
	}
	defer m.Close()
	if f.QueueExecutions {
		if err := m.CheckQueue(); err != nil {
			return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--run-executions=false: %w", err))
		}
	}
	// Executions a previous server left running are interrupted now.
	if _, err := m.ListExecutions(ctx, ""); err != nil {
		return cmdutil.StoreError(err)
	}
	info, err := m.Info(ctx)
	if err != nil {
		return cmdutil.StoreError(err)
	}
	a := auth.New(m.Store())
	log := slog.New(slog.NewTextHandler(f.IO.ErrOut, nil))
	srv, err := mserver.New(mserver.Config{Service: m, Auth: a, Audit: a, Version: f.Version, Log: log, Console: console.Handler()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return cmdutil.Exit(cmdutil.ExitBusy, fmt.Errorf("listen on %s: %w", o.listen, err))
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	fmt.Fprintf(f.IO.ErrOut, "gantry server listening on %s://%s (store %s)\n", scheme, ln.Addr(), info.Store)
	if warn {
		fmt.Fprintf(f.IO.ErrOut, "warning: serving plain HTTP on %s: fine on this machine, use --tls-cert/--tls-key for anything else\n", ln.Addr())
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() {
		if useTLS {
			served <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			served <- hs.Serve(ln)
		}
	}()

	sig, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	select {
	case err := <-served:
		return cmdutil.Exit(cmdutil.ExitFailed, fmt.Errorf("server: %w", err))
	case <-sig.Done():
	}
	fmt.Fprintf(f.IO.ErrOut, "gantry server stopping: cancelling running executions (at most %s)\n", o.shutdownTimeout)
	runsCtx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	srv.Shutdown(runsCtx)
	cancel()
	// Event streams of the stopped executions have ended; other requests
	// get a few seconds.
	httpCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(httpCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return cmdutil.Exit(cmdutil.ExitFailed, fmt.Errorf("server shutdown: %w", err))
	}
	_ = hs.Close()
	fmt.Fprintln(f.IO.ErrOut, "gantry server stopped")
	return nil
}
