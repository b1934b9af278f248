package tokens

import (
	"context"
	"errors"
	"fmt"
	"github.com/gantryhq/gantry/internal/atomicfile"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

// NewCmds returns `tokens` and `audit`, the children of `gantry server`.
func NewCmds(f *cmdutil.Factory) []*cobra.Command {
	tokens := &cobra.Command{
		Use:     "tokens",
		Aliases: []string{"token"},
		Short:   "API tokens of the server: create, list, revoke (admins)",
		Long: `Tokens authenticate clients of a gantry server. Each has a role:
  admin     everything, including tokens, the audit log and secret values
  operator  blueprints, deployments, executions; secrets by name (never values)
  viewer    reads, never secret values

Against a server (a profile in use, or GANTRY_URL) these commands need an
admin token. With --store (or no profile) they work on the store file
directly: that is how the first admin token is made, on the server's machine:

  gantry server tokens create --name root --role admin --out ~/.gantry/root.token --store /var/lib/gantry/gantry.db`,
	}
	tokens.AddCommand(newCreateCmd(f), newListCmd(f), newRevokeCmd(f))
	return []*cobra.Command{tokens, newAuditCmd(f)}
}

func newCreateCmd(f *cmdutil.Factory) *cobra.Command {
	var req api.CreateTokenRequest
	var out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name NAME --role admin|operator|viewer [--ttl DURATION] [--out FILE]",
		Short: "Create a token; it is shown once (or written 0600 to --out)",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Name == "" || req.Role == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--name and --role are required"))
			}
			if req.TTL < 0 {
				return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--ttl %s: must be positive", req.TTL))
			}
			if out != "" {
				if _, err := os.Lstat(out); err == nil {
					return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--out %s exists: choose another file (a token file is never overwritten)", out))
				}
			}
			svc, err := f.Service()
			if err != nil {
				return err
			}
			created, err := svc.CreateToken(context.Background(), req)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if out != "" {
				// Created, never over a file (one may have come since the check above).
				if err := atomicfile.WriteBytes(out, atomicfile.Create, []byte(created.Bearer+"\n")); err != nil {
					return cmdutil.Exit(cmdutil.ExitFailed, fmt.Errorf("token %s was created but could not be written (revoke it): %w", created.Token.ID, err))
				}
				created.Bearer = ""
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, created)
			}
			t := created.Token
			fmt.Fprintf(f.IO.Out, "token %s created: id %s, role %s, expires %s\n", t.Name, t.ID, t.Role, expires(t))
			if out != "" {
				fmt.Fprintf(f.IO.Out, "written to %s (mode 0600)\n", out)
				return nil
			}
			fmt.Fprintln(f.IO.Out, created.Bearer)
			fmt.Fprintln(f.IO.ErrOut, "Store the token now (e.g. in a 0600 file for --token-file): it is not shown again.")
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Name, "name", "", "whose token it is (shown in lists and the audit log)")
	cmd.Flags().StringVar(&req.Role, "role", "", "admin, operator or viewer")
	cmd.Flags().DurationVar(&req.TTL, "ttl", 0, "expire after this long, e.g. 720h (default: never)")
	cmd.Flags().StringVar(&out, "out", "", "write the token to this file (mode 0600) instead of printing it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (with the token unless --out)")
	return cmd
}

// expires renders a token's expiry for humans.
func expires(t *api.Token) string {
	if t.ExpiresAt.IsZero() {
		return "never"
	}
	return t.ExpiresAt.Local().Format(time.RFC3339)
}

// status tells whether a token is active, revoked or expired.
func status(t *api.Token, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ts, err := svc.ListTokens(context.Background())
			if err != nil {
				return cmdutil.StoreError(err)
			}
			now := time.Now()
			return cmdutil.List(f.IO.Out, asJSON, ts, []string{"ID", "NAME", "ROLE", "STATUS", "CREATED", "EXPIRES", "CREATED BY"}, func(t *api.Token) []string {
				return []string{t.ID, t.Name, t.Role, status(t, now), cmdutil.When(t.CreatedAt), cmdutil.When(t.ExpiresAt), cmdutil.OrDash(t.CreatedBy)}
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newRevokeCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: requests with it are refused from now on",
		Args:  cmdutil.ExactArgs(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			t, err := svc.RevokeToken(context.Background(), args[0])
			if err != nil {
				return cmdutil.StoreError(err)
			}
			fmt.Fprintf(f.IO.Out, "token %s (%s) revoked\n", t.ID, t.Name)
			return nil
		},
	}
}
