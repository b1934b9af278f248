package cmdutil

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Table prints rows under a header, aligned.
func Table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

// List prints items as indented JSON (none: []) when asJSON, else as a
// table: header, the rows in first, then each item's row.
func List[T any](w io.Writer, asJSON bool, items []T, header []string, row func(T) []string, first ...[]string) error {
	if asJSON {
		if items == nil {
			items = []T{}
		}
		return PrintJSON(w, items)
	}
	rows := append([][]string(nil), first...)
	for _, it := range items {
		rows = append(rows, row(it))
	}
	Table(w, header, rows)
	return nil
}

// When formats a timestamp for tables ("-" when zero).
func When(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// OrDash returns s or "-" when empty.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
