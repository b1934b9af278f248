package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		old     string // "" for none
		how     How
		fill    string
		fillErr error
		want    string // the destination's content after
		wantErr error
	}{
		{name: "new file", how: Replace, fill: "new", want: "new"},
		{name: "replace", old: "old", how: Replace, fill: "new", want: "new"},
		{name: "create new", how: Create, fill: "new", want: "new"},
		{name: "create keeps", old: "old", how: Create, fill: "new", want: "old", wantErr: ErrExists},
		{name: "failed fill keeps", old: "old", how: Replace, fill: "half", fillErr: boom, want: "old", wantErr: boom},
		{name: "failed fill leaves none", how: Replace, fill: "half", fillErr: boom, wantErr: boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "made")
			path := filepath.Join(dir, "f")
			if tc.old != "" {
				require.NoError(t, os.MkdirAll(dir, 0o700))
				require.NoError(t, os.WriteFile(path, []byte(tc.old), 0o600))
			}
			err := Write(path, tc.how, func(f *os.File) error {
				_, _ = f.WriteString(tc.fill)
				return tc.fillErr
			})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			got, rerr := os.ReadFile(path)
			if tc.want == "" {
				require.ErrorIs(t, rerr, os.ErrNotExist)
			} else {
				require.NoError(t, rerr)
				assert.Equal(t, tc.want, string(got))
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				assert.Equal(t, "f", e.Name(), "a temporary file was left")
			}
			if tc.want != "" && tc.wantErr == nil {
				fi, err := os.Stat(path)
				require.NoError(t, err)
				assert.Equal(t, Mode, fi.Mode().Perm())
				di, err := os.Stat(dir)
				require.NoError(t, err)
				if tc.old == "" {
					assert.Equal(t, dirMode, di.Mode().Perm(), "a folder it made")
				}
			}
		})
	}
}
