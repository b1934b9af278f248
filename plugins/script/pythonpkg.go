package script

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// pythonPkg is the pure-Python `cloudify` package scripts written for
// Cloudify import (`from cloudify import ctx`). It is written next to the
// ctx command and put first on PYTHONPATH of every script.
//
//go:embed python/cloudify/*.py python/cloudify/workflows/*.py
var pythonPkg embed.FS

// Where the package lives in pythonPkg and under a ctx directory.
const (
	pythonRoot    = "python"
	envPythonPath = "PYTHONPATH"
)

// PythonFile is one file of the cloudify package, by its path relative to
// the PYTHONPATH entry (e.g. cloudify/__init__.py).
type PythonFile struct {
	Path string
	Body []byte
}

// PythonPackage returns the files of the cloudify package, in path order.
func PythonPackage() []PythonFile {
	var out []PythonFile
	_ = fs.WalkDir(pythonPkg, pythonRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := pythonPkg.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(pythonRoot, p)
		out = append(out, PythonFile{Path: filepath.ToSlash(rel), Body: body})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// writePythonPackage writes the package under dir (private: 0700 folders,
// 0600 files) and returns the PYTHONPATH entry.
func writePythonPackage(dir string) (string, error) {
	root := filepath.Join(dir, pythonRoot)
	for _, f := range PythonPackage() {
		full := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			return "", fmt.Errorf("script plugin: python package: %w", err)
		}
		if err := os.WriteFile(full, f.Body, 0o600); err != nil {
			return "", fmt.Errorf("script plugin: python package: %w", err)
		}
	}
	return root, nil
}
