package cli

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/gantryhq/gantry/"

// The CLI calls only the Service (manager/api): no file under cmd/, tests
// included, imports the store or the engine, and only the Factory
// (cmd/cli/cmdutil) builds the in-process manager.
func TestCmdCallsOnlyTheService(t *testing.T) {
	forbidden := []string{module + "store", module + "workflow"}
	cmdDir := ".." // cmd/
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(cmdDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(cmdDir, path)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("cmd/%s imports %s: call the Service (manager/api) instead", rel, p)
				}
			}
			if p == module+"manager" && filepath.Dir(rel) != filepath.Join("cli", "cmdutil") {
				t.Errorf("cmd/%s imports the manager: only the Factory (cmd/cli/cmdutil) builds it; use manager/api", rel)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 20, "the walk found the CLI's files")
}
