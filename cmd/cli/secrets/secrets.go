package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/internal/readlimit"
	"github.com/gantryhq/gantry/manager/api"
)

// NewCmd returns `gantry secrets`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "secrets",
		Aliases: []string{"secret"},
		Short:   "Manage secrets (get_secret values, SSH keys)",
	}
	cmd.AddCommand(newCreateCmd(f), newGetCmd(f), newListCmd(f), newDeleteCmd(f), newRotateKeyCmd(f))
	return cmd
}

func newCreateCmd(f *cmdutil.Factory) *cobra.Command {
	var value, file, visibility string
	var update bool
	cmd := &cobra.Command{
		Use:   "create KEY (-s VALUE | --from-file FILE | -  for stdin)",
		Short: "Store a secret",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := args[0]
			fromStdin := len(args) == 2 && args[1] == "-"
			if len(args) == 2 && !fromStdin {
				return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("unexpected argument %q: give the value with -s, --from-file or - (stdin)", args[1]))
			}
			n := 0
			for _, b := range []bool{cmd.Flags().Changed("secret-string"), file != "", fromStdin} {
				if b {
					n++
				}
			}
			if n != 1 {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("give the value exactly one way: -s VALUE, --from-file FILE, or - to read stdin"))
			}
			switch {
			case file != "":
				b, err := readlimit.File(file, readlimit.MaxSecretSize)
				if err != nil {
					return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--from-file: %w", err))
				}
				value = string(b)
			case fromStdin:
				b, err := readlimit.All(f.IO.In, readlimit.MaxSecretSize)
				if err != nil {
					return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("reading stdin: %w", err))
				}
				value = strings.TrimSuffix(string(b), "\n")
			}
			svc, err := f.Service()
			if err != nil {
				return err
			}
			if err := svc.PutSecret(context.Background(), &api.Secret{Key: key, Value: value, Visibility: visibility}, update); err != nil {
				return cmdutil.StoreError(err)
			}
			fmt.Fprintf(f.IO.Out, "secret %s stored\n", key)
			return nil
		},
	}
	cmd.Flags().StringVarP(&value, "secret-string", "s", "", "the value (visible in your shell history: prefer --from-file or stdin)")
	cmd.Flags().StringVar(&file, "from-file", "", "read the value from a file (e.g. an SSH private key)")
	cmd.Flags().StringVar(&visibility, "visibility", api.VisibilityTenant, "private, tenant or global")
	cmd.Flags().BoolVarP(&update, "update-if-exists", "u", false, "replace an existing secret")
	return cmd
}

func newGetCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Print a secret's value",
		Long: `Print a secret's value: text followed by a newline, a value that is not
UTF-8 text (a binary key, a keystore) exactly as it is, with no newline added,
so that "gantry secrets get KEY > FILE" gives back the bytes stored. With --json
such a value is base64 ("encoding": "base64"), as the REST API carries it.`,
		Args: cmdutil.ExactArgs(1, "KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			s, err := svc.GetSecret(context.Background(), args[0])
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, s)
			}
			if !utf8.ValidString(s.Value) {
				// Not text (a binary key, a keystore): exactly its bytes,
				// for a redirect to a file; no newline is added.
				_, err = io.WriteString(f.IO.Out, s.Value)
				return err
			}
			fmt.Fprintln(f.IO.Out, s.Value)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (with the value)")
	return cmd
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List secret keys (never values)",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ss, err := svc.ListSecrets(context.Background())
			if err != nil {
				return cmdutil.StoreError(err)
			}
			return cmdutil.List(f.IO.Out, asJSON, ss, []string{"KEY", "VISIBILITY", "CREATED", "UPDATED"}, func(s *api.Secret) []string {
				return []string{s.Key, s.Visibility, cmdutil.When(s.CreatedAt), cmdutil.When(s.UpdatedAt)}
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newDeleteCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "delete KEY",
		Short: "Delete a secret",
		Args:  cmdutil.ExactArgs(1, "KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			if err := svc.DeleteSecret(context.Background(), args[0]); err != nil {
				return cmdutil.StoreError(err)
			}
			fmt.Fprintf(f.IO.Out, "secret %s deleted\n", args[0])
			return nil
		},
	}
}

func newRotateKeyCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-key",
		Short: "Re-encrypt every secret under a new key (the key file next to the store)",
		Long: `Re-encrypt every secret value under a new random key and replace the key file
(next to the store, e.g. gantry.db.key) with it, in a way that survives a crash.
Back the new key file up afterwards. With GANTRY_SECRET_KEY set, rotate by hand
(docs/security.md, "State file at rest").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			n, err := svc.RotateSecretKey(context.Background())
			if err != nil {
				return cmdutil.StoreError(err)
			}
			fmt.Fprintf(f.IO.Out, "%d secret(s) re-encrypted under a new key\n", n)
			return nil
		},
	}
}
