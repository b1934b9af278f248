package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed all:web
var assets embed.FS

// indexPage is the console's one HTML page.
const indexPage = "index.html"

// Headers every console response carries: only this origin's scripts,
// styles and connections; no framing; no referrer; no sniffing.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"X-Frame-Options":        "DENY",
}

// asset is one file, as served.
type asset struct {
	ctype string
	plain []byte
	gz    []byte
	etag  string
}

var (
	loadOnce sync.Once
	loaded   map[string]*asset
	loadErr  error
)

// load reads and compresses every embedded asset once.
func load() (map[string]*asset, error) {
	loadOnce.Do(func() {
		loaded = map[string]*asset{}
		loadErr = fs.WalkDir(assets, "web", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := assets.ReadFile(p)
			if err != nil {
				return err
			}
			var gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
			_, _ = zw.Write(b)
			_ = zw.Close()
			sum := sha256.Sum256(b)
			ctype := mime.TypeByExtension(path.Ext(p))
			if ctype == "" {
				ctype = "application/octet-stream"
			}
			loaded[strings.TrimPrefix(p, "web/")] = &asset{ctype: ctype, plain: b, gz: gz.Bytes(),
				etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
			return nil
		})
	})
	return loaded, loadErr
}

// Handler serves the console's assets (see the package's contracts).
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		files, err := load()
		if err != nil {
			http.Error(w, "console assets: "+err.Error(), http.StatusInternalServerError)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		a, ok := files[name]
		if !ok {
			a = files[indexPage]
		}
		h := w.Header()
		for k, v := range securityHeaders {
			h.Set(k, v)
		}
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		h.Add("Vary", "Accept-Encoding")
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := a.plain
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
		_, _ = w.Write(body)
	})
}

// Weight is the size of every asset as sent compressed, in bytes: the
// console's page weight (all of it loads on the first visit).
func Weight() (compressed, plain int, err error) {
	files, err := load()
	for _, a := range files {
		compressed += len(a.gz)
		plain += len(a.plain)
	}
	return compressed, plain, err
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
