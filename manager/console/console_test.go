package console_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/console"
)

func get(t *testing.T, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	console.Handler().ServeHTTP(w, req)
	return w.Result()
}

func TestHandler(t *testing.T) {
	plain := get(t, "/", nil)
	require.Equal(t, http.StatusOK, plain.StatusCode)
	page, _ := io.ReadAll(plain.Body)
	assert.Contains(t, string(page), "<title>Gantry")
	assert.Empty(t, plain.Header.Get("Content-Encoding"))
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "ETag"} {
		assert.NotEmpty(t, plain.Header.Get(h), h)
	}

	// Compressed when accepted, the same bytes once inflated.
	gz := get(t, "/index.html", map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	assert.Equal(t, "gzip", gz.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(gz.Body)
	require.NoError(t, err)
	inflated, _ := io.ReadAll(zr)
	assert.True(t, bytes.Equal(page, inflated))
	assert.Equal(t, "no-cache", gz.Header.Get("Cache-Control"))

	// Revalidation, an unknown path (a bookmark): index.html; scripts as JS.
	assert.Equal(t, http.StatusNotModified, get(t, "/", map[string]string{"If-None-Match": plain.Header.Get("ETag")}).StatusCode)
	other, _ := io.ReadAll(get(t, "/deployments/x", nil).Body)
	assert.Equal(t, page, other)
	assert.Contains(t, get(t, "/app.js", nil).Header.Get("Content-Type"), "javascript")
	assert.Equal(t, page, mustRead(get(t, "/../../etc/passwd", nil)))
}

// TestModulePreload: index.html preloads every module of the console (the
// browser fetches them in parallel instead of one import level at a time).
func TestModulePreload(t *testing.T) {
	page := string(mustRead(get(t, "/", nil)))
	var mods []string
	require.NoError(t, fs.WalkDir(os.DirFS("web"), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") && !strings.HasPrefix(p, "vendor/") {
			mods = append(mods, p)
		}
		return err
	}))
	require.NotEmpty(t, mods)
	for _, m := range mods {
		assert.Contains(t, page, `<link rel="modulepreload" href="`+m+`">`, "index.html preloads %s", m)
	}
}

// TestWeight: the whole console, compressed, stays under 300 KB.
func TestWeight(t *testing.T) {
	compressed, plain, err := console.Weight()
	require.NoError(t, err)
	t.Logf("console assets: %d bytes compressed, %d plain", compressed, plain)
	assert.LessOrEqual(t, compressed, 300_000)
}

func mustRead(r *http.Response) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}
