package auth_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/store"
)

// BenchmarkAuthenticate: one token check as the server's middleware makes
// it on every request (a store read, a SHA-256, a constant-time compare).
func BenchmarkAuthenticate(b *testing.B) {
	st, err := store.OpenBolt(filepath.Join(b.TempDir(), "gantry.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a := auth.New(st)
	_, bearer, err := a.CreateToken(context.Background(), auth.Local, "bench", auth.RoleViewer, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Authenticate(context.Background(), bearer); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
