package tokens

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

// auditPage is how many records one request reads.
const auditPage = 1000

func newAuditCmd(f *cmdutil.Factory) *cobra.Command {
	var after uint64
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit [--after SEQ] [--limit N] [--json]",
		Short: "Show the audit log: who changed what, when (admins)",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			var rows [][]string
			for left := limit; limit <= 0 || left > 0; {
				n := auditPage
				if limit > 0 && left < n {
					n = left
				}
				page, err := svc.ListAudit(context.Background(), after, n)
				if err != nil {
					return cmdutil.StoreError(err)
				}
				for _, r := range page {
					if asJSON {
						if err := cmdutil.PrintNDJSON(f.IO.Out, r); err != nil {
							return err
						}
						continue
					}
					rows = append(rows, auditRow(r))
				}
				if len(page) < n {
					break
				}
				after, left = page[len(page)-1].Seq, left-len(page)
			}
			if !asJSON {
				cmdutil.Table(f.IO.Out, []string{"SEQ", "TIME", "WHO", "ROLE", "ACTION", "TARGET", "OUTCOME", "FROM"}, rows)
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&after, "after", 0, "only records after this sequence number")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many records (default: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print NDJSON, one record a line")
	return cmd
}

// auditRow is a record as the table shows it.
func auditRow(r *api.AuditRecord) []string {
	who := r.Principal
	if r.TokenID != "" {
		who += " (" + r.TokenID + ")"
	}
	return []string{strconv.FormatUint(r.Seq, 10), cmdutil.When(r.Time), who, cmdutil.OrDash(r.Role),
		r.Action, cmdutil.OrDash(r.Target), r.Outcome, cmdutil.OrDash(r.Remote)}
}
