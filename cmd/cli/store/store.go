package store

import (
	"context"
	"fmt"
	"github.com/gantryhq/gantry/internal/atomicfile"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

// NewCmd returns `gantry store`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Check, back up, compact and migrate the state store",
	}
	cmd.AddCommand(newCheckCmd(f), newBackupCmd(f), newCompactCmd(f), newMigrateCmd(f))
	return cmd
}

func newCheckCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	return withJSON(&cobra.Command{
		Use:   "check",
		Short: "Verify the store's structure and the references between its records",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.Maintenance = true
			svc, info, err := serviceOf(f)
			if err != nil {
				return err
			}
			problems, err := svc.CheckStore(context.Background())
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				if problems == nil {
					problems = []string{}
				}
				if err := cmdutil.PrintJSON(f.IO.Out, map[string]any{"store": info.Store, "problems": problems}); err != nil {
					return err
				}
			} else {
				for _, p := range problems {
					fmt.Fprintln(f.IO.Out, p)
				}
			}
			if len(problems) > 0 {
				return cmdutil.Exit(cmdutil.ExitFailed, fmt.Errorf("%w: %s: %d problem(s) (%s)", api.ErrDamaged, info.Store, len(problems), api.RestoreHint(info.Store)))
			}
			if !asJSON {
				fmt.Fprintf(f.IO.Out, "store %s: ok\n", info.Store)
			}
			return nil
		},
	}, &asJSON)
}

func newBackupCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the store to FILE (0600), while gantry keeps running",
		Long: `Write a consistent copy of the store to FILE, taken in one read transaction
while other gantry commands keep using the store. FILE is written 0600 under a
temporary name and renamed into place, so it is never half written. To restore,
stop every gantry using the store and copy FILE over it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, info, err := serviceOf(f)
			if err != nil {
				return err
			}
			dst, err := filepath.Abs(args[0])
			if err != nil {
				return cmdutil.Exit(cmdutil.ExitUsage, err)
			}
			if same(dst, info.Store) {
				return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("%s is the store itself: back it up to another file", args[0]))
			}
			var n int64
			err = atomicfile.Write(dst, atomicfile.Replace, func(w *os.File) (err error) {
				n, err = svc.BackupStore(context.Background(), w)
				return err
			})
			if err != nil {
				return cmdutil.StoreError(err)
			}
			fmt.Fprintf(f.IO.Out, "backup of %s written to %s (%s)\n", info.Store, dst, size(n))
			return nil
		},
	}
}

func newCompactCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	return withJSON(&cobra.Command{
		Use:   "compact",
		Short: "Rewrite the store without its free space (other gantry commands wait meanwhile)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			res, err := svc.CompactStore(context.Background())
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, res)
			}
			fmt.Fprintf(f.IO.Out, "store %s compacted: %s -> %s in %s\n", res.Path, size(res.BytesBefore), size(res.BytesAfter), res.Took.Round(time.Millisecond))
			return nil
		},
	}, &asJSON)
}

func newMigrateCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	var from string
	var req api.MigrateRequest
	cmd := withJSON(&cobra.Command{
		Use:   "migrate --from STORE --to STORE",
		Short: "Copy every record of one store into another (bbolt <-> etcd)",
		Long: `Copy every record of the store --from names into the store --to names: blueprints
with their files, deployments with their node instances, dependencies, executions with
their task records and events, secrets (re-encrypted under the destination's key), API
tokens and the audit log. Either side is a bbolt file (PATH or bolt://PATH) or an etcd
URL (etcd://HOST:PORT[,HOST:PORT...][/PREFIX][?ca=F&cert=F&key=F]).

The source is read in one transaction; every execution must have ended, and no
gantry server or worker should use either store meanwhile. The destination must be
empty unless --into-non-empty (then no record may share an id). Afterwards the
destination's records are counted and checked. See docs/ha.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || req.To == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("both --from and --to are required"))
			}
			f.StorePath = from
			svc, err := f.Service()
			if err != nil {
				return err
			}
			res, err := svc.MigrateStore(context.Background(), req)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, res)
			}
			c := res.Copied
			fmt.Fprintf(f.IO.Out, "migrated %s to %s in %s: %d blueprints, %d deployments, %d node instances, %d dependencies, %d executions, %d task records, %d events, %d secrets, %d tokens, %d console sessions, %d audit records (counts verified, check ok)\n",
				res.From, res.To, res.Took.Round(time.Millisecond), c.Blueprints, c.Deployments, c.NodeInstances, c.Dependencies,
				c.Executions, c.Tasks, c.Events, c.Secrets, c.Tokens, c.Sessions, c.AuditRecords)
			return nil
		},
	}, &asJSON)
	cmd.Flags().StringVar(&from, "from", "", "the store to copy (bbolt file or etcd URL)")
	cmd.Flags().StringVar(&req.To, "to", "", "the store to copy into (bbolt file or etcd URL)")
	cmd.Flags().BoolVar(&req.IntoNonEmpty, "into-non-empty", false, "copy into a store that holds records already (none of the same id)")
	return cmd
}

// serviceOf returns the Service the command runs against and what it says
// of its store.
func serviceOf(f *cmdutil.Factory) (api.Service, *api.Info, error) {
	svc, err := f.Service()
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Info(context.Background())
	if err != nil {
		return nil, nil, err
	}
	return svc, info, nil
}

func withJSON(cmd *cobra.Command, asJSON *bool) *cobra.Command {
	cmd.Flags().BoolVar(asJSON, "json", false, "print JSON")
	return cmd
}

// same reports whether two paths name one file.
func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return os.SameFile(fa, fb)
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
