package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportOrder: every blueprint after those it imports, the given
// order otherwise; an import not in the list or a cycle (never written by
// a store that checks imports, but read from disk) does not stop it.
func TestImportOrder(t *testing.T) {
	bp := func(id string, imports ...string) *Blueprint { return &Blueprint{ID: id, Imports: imports} }
	for _, tc := range []struct {
		name string
		in   []*Blueprint
		want []string
	}{
		{"none", nil, []string{}},
		{"no imports", []*Blueprint{bp("a"), bp("b")}, []string{"a", "b"}},
		{"importer first", []*Blueprint{bp("a", "c"), bp("b"), bp("c")}, []string{"c", "a", "b"}},
		{"chain", []*Blueprint{bp("a", "b"), bp("b", "c"), bp("c")}, []string{"c", "b", "a"}},
		{"shared", []*Blueprint{bp("a", "z"), bp("b", "z"), bp("z")}, []string{"z", "a", "b"}},
		{"missing import", []*Blueprint{bp("a", "gone"), bp("b")}, []string{"a", "b"}},
		{"cycle", []*Blueprint{bp("a", "b"), bp("b", "a")}, []string{"b", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := []string{}
			for _, b := range ImportOrder(tc.in) {
				ids = append(ids, b.ID)
			}
			require.Equal(t, tc.want, ids)
		})
	}
}
