// Package testcorpus finds the conformance corpus (Cloudify's own
// integration-test blueprints and what Cloudify's parser says about each)
// for the tests that compare Gantry with Cloudify.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus folder: $GANTRY_CORPUS, else shared/corpus beside
// the repository (where CI puts the reference material). Without it the
// test skips, except in CI (CI=true) where it fails.
func Dir(t testing.TB) string {
	t.Helper()
	candidates := []string{os.Getenv("GANTRY_CORPUS")}
	if root := moduleRoot(); root != "" {
		candidates = append(candidates, filepath.Join(root, "..", "shared", "corpus"))
	}
	for _, d := range candidates {
		if d == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(d, "manager-4.3.3")); err == nil && st.IsDir() {
			abs, err := filepath.Abs(d)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("conformance corpus not found at ../shared/corpus beside the repository or $GANTRY_CORPUS")
	}
	t.Skip("conformance corpus not found at ../shared/corpus beside the repository; set GANTRY_CORPUS")
	return ""
}

// moduleRoot is the nearest folder above the working directory holding go.mod.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}
