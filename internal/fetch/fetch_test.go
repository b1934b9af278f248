package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGet(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(strings.Repeat("x", 64))) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i < 8; i++ { // no Content-Length: the limit is enforced while reading
			_, _ = w.Write([]byte(strings.Repeat("x", 8)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) {
		w.(http.Flusher).Flush()
		<-release
	})
	mux.HandleFunc("/ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/x", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release) // before Close, which waits for the handlers
	lim := Limits{MaxBytes: 32, Timeout: 300 * time.Millisecond}
	for _, tc := range []struct {
		path    string
		want    string
		wantErr error
	}{
		{"/ok", "hello", nil},
		{"/moved", "hello", nil},
		{"/missing", "", ErrStatus},
		{"/big", "", ErrTooLarge},
		{"/chunked", "", ErrTooLarge},
		{"/slow", "", context.DeadlineExceeded},
		{"/ftp", "", ErrScheme},
		{"/loop", "", ErrTooManyRedirects},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body, err := Get(context.Background(), srv.URL+tc.path, lim)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.ErrorContains(t, err, tc.path, "the error names the URL")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, string(body))
		})
	}
}

// Only http(s) URLs are fetched, and a password in the URL is never
// repeated.
func TestGetSchemeAndRedaction(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "ftp://h/x", "blueprints/a.zip", "http://"} {
		_, err := Get(context.Background(), u, Limits{MaxBytes: 1, Timeout: time.Second})
		require.ErrorIs(t, err, ErrScheme, u)
		require.False(t, IsURL(u), u)
	}
	require.True(t, IsURL("https://example.com/a.zip"))
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := Get(context.Background(), strings.Replace(srv.URL, "http://", "http://user:hunter22@", 1)+"/x", Limits{MaxBytes: 1, Timeout: time.Second})
	require.ErrorIs(t, err, ErrStatus)
	require.NotContains(t, err.Error(), "hunter22")
}
