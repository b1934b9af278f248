package profiles

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/cmd/cli/profile"
)

// NewCmd returns `gantry profiles`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "profiles",
		Aliases: []string{"profile"},
		Short:   "Servers the CLI talks to (the embedded store is profile \"local\")",
		Long: `A profile names a gantry server: its URL, the file holding your token and,
for a private CA, the CA's certificate. With a profile in use, every command
runs against that server. GANTRY_URL and GANTRY_TOKEN (or GANTRY_TOKEN_FILE,
GANTRY_CA) win over the profile in use, for CI.

Profiles live in ~/.gantry/profiles.json (mode 0600; $GANTRY_PROFILES moves it).`,
	}
	cmd.AddCommand(newAddCmd(f), newUseCmd(f), newListCmd(f), newDeleteCmd(f))
	return cmd
}

// load reads the profiles file.
func load() (*profile.File, error) {
	path, err := profile.DefaultPath(os.Getenv)
	if err != nil {
		return nil, exitErr(err)
	}
	pf, err := profile.Load(path)
	return pf, exitErr(err)
}

// save writes the profiles file.
func save(pf *profile.File) error {
	if err := pf.Save(); err != nil {
		return cmdutil.Exit(cmdutil.ExitFailed, fmt.Errorf("write %s: %w", pf.Path(), err))
	}
	return nil
}

// exitErr maps the profile package's errors to exit codes.
func exitErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, profile.ErrNoProfile):
		return cmdutil.Exit(cmdutil.ExitNotFound, err)
	case errors.Is(err, profile.ErrExists):
		return cmdutil.Exit(cmdutil.ExitBusy, err)
	case errors.Is(err, profile.ErrBadName), errors.Is(err, profile.ErrBadURL),
		errors.Is(err, profile.ErrBadToken), errors.Is(err, profile.ErrBadFile):
		return cmdutil.Exit(cmdutil.ExitUsage, err)
	}
	return cmdutil.Exit(cmdutil.ExitFailed, err)
}

func newAddCmd(f *cmdutil.Factory) *cobra.Command {
	var p profile.Profile
	var use, replace bool
	cmd := &cobra.Command{
		Use:   "add NAME --url URL --token-file FILE [--ca FILE]",
		Short: "Add a server profile",
		Args:  cmdutil.ExactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p.Name = args[0]
			if p.URL == "" || p.TokenFile == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--url and --token-file are required (a token never goes on the command line)"))
			}
			pf, err := load()
			if err != nil {
				return err
			}
			if err := pf.Add(&p, replace); err != nil {
				return exitErr(err)
			}
			if use {
				_ = pf.Use(p.Name)
			}
			if err := save(pf); err != nil {
				return err
			}
			if mode, loose := profile.LooseMode(p.TokenFile); loose {
				fmt.Fprintf(f.IO.ErrOut, "warning: token file %s can be read by others (mode %04o): chmod 600 %s\n", p.TokenFile, mode, p.TokenFile)
			}
			fmt.Fprintf(f.IO.Out, "profile %s added (%s)\n", p.Name, p.URL)
			if use {
				fmt.Fprintf(f.IO.Out, "using profile %s\n", p.Name)
			} else {
				fmt.Fprintf(f.IO.Out, "use it with: gantry profiles use %s\n", p.Name)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&p.URL, "url", "", "the server, https://HOST:PORT (http only to loopback)")
	cmd.Flags().StringVar(&p.TokenFile, "token-file", "", "file holding the token (keep it 0600)")
	cmd.Flags().StringVar(&p.CAFile, "ca", "", "PEM file of the CA that signed the server's certificate")
	cmd.Flags().BoolVar(&use, "use", false, "use the profile right away")
	cmd.Flags().BoolVar(&replace, "replace", false, "replace a profile of that name")
	return cmd
}

func newUseCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Run commands against a profile's server (\"local\": the embedded store)",
		Args:  cmdutil.ExactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pf, err := load()
			if err != nil {
				return err
			}
			if err := pf.Use(args[0]); err != nil {
				return exitErr(err)
			}
			if err := save(pf); err != nil {
				return err
			}
			if pf.Current == "" {
				fmt.Fprintln(f.IO.Out, "using the local store")
			} else {
				fmt.Fprintf(f.IO.Out, "using profile %s (%s)\n", pf.Current, pf.Profiles[pf.Current].URL)
			}
			return nil
		},
	}
}

// listed is a profile as `profiles list --json` shows it.
type listed struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	TokenFile string `json:"token_file"`
	CAFile    string `json:"ca_file,omitempty"`
	Current   bool   `json:"current"`
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List profiles (never tokens); * marks the one in use",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			pf, err := load()
			if err != nil {
				return err
			}
			out := []listed{}
			for _, n := range pf.Names() {
				p := pf.Profiles[n]
				out = append(out, listed{Name: n, URL: p.URL, TokenFile: p.TokenFile, CAFile: p.CAFile, Current: n == pf.Current})
			}
			mark := func(b bool) string {
				if b {
					return "*"
				}
				return ""
			}
			return cmdutil.List(f.IO.Out, asJSON, out, []string{"", "NAME", "URL", "TOKEN FILE", "CA"}, func(l listed) []string {
				return []string{mark(l.Current), l.Name, l.URL, l.TokenFile, cmdutil.OrDash(l.CAFile)}
			}, []string{mark(pf.Current == ""), profile.Local, "(embedded store)", "-", "-"})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newDeleteCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a profile (its token file is left alone)",
		Args:  cmdutil.ExactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pf, err := load()
			if err != nil {
				return err
			}
			wasCurrent := pf.Current == args[0]
			if err := pf.Delete(args[0]); err != nil {
				return exitErr(err)
			}
			if err := save(pf); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "profile %s deleted\n", args[0])
			if wasCurrent {
				fmt.Fprintln(f.IO.Out, "using the local store")
			}
			return nil
		},
	}
}
