package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// smallStore builds a real store with one of everything (and enough events
// for sub-buckets with their own pages) and returns its bytes.
func smallStore(t testing.TB) []byte {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	s, err := OpenBolt(path, Options{NoSync: true})
	require.NoError(t, err)
	data, err := ArchiveDir(t.TempDir(), 0)
	require.NoError(t, err)
	require.NoError(t, s.CreateBlueprint(ctx, &Blueprint{ID: "bp", MainFile: "b.yaml"}, data))
	plan := &tosca.Plan{Nodes: []*tosca.Node{{ID: "web"}},
		NodeInstances: []*tosca.NodeInstance{{ID: "web_1", NodeID: "web"}, {ID: "web_2", NodeID: "web"}}}
	require.NoError(t, s.CreateDeployment(ctx, &Deployment{ID: "d", BlueprintID: "bp", Plan: plan}))
	require.NoError(t, s.CreateExecution(ctx, &Execution{ID: "e", DeploymentID: "d", WorkflowID: "install"}))
	require.NoError(t, s.PutTasks(ctx, "e", []*Task{{ID: "t", Status: TaskSent}}))
	evs := make([]*Event, 300)
	for i := range evs {
		evs[i] = &Event{Type: "log", Message: strings.Repeat("x", i%50)}
	}
	require.NoError(t, s.AppendEvents(ctx, "e", evs))
	require.NoError(t, s.PutSecret(ctx, &Secret{Key: "k", Value: "v"}, false))
	require.NoError(t, s.Close())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return raw
}

// useDamaged opens the file and uses it as the CLI would. It fails the
// test on a panic (by not recovering) and on any error that is not
// ErrDamaged; it reports whether the store was found damaged.
func useDamaged(t testing.TB, path string) bool {
	t.Helper()
	ctx := context.Background()
	s, err := OpenBolt(path, Options{LockTimeout: time.Second})
	if err != nil {
		require.ErrorIs(t, err, ErrDamaged)
		require.Contains(t, err.Error(), "store is damaged: "+path+": ")
		require.Contains(t, err.Error(), "(restore from backup: ")
		problems, err := s0Check(path)
		require.NoError(t, err, "%+v", problems)
		require.NotEmpty(t, problems, "OpenBolt said damaged, Check must too")
		return true
	}
	defer s.Close()
	damaged := false
	note := func(err error) {
		// Not found: a damaged newer header makes bbolt (and verifyFile)
		// fall back to the previous commit, which lacks the last write.
		if err != nil && !errors.Is(err, ErrNotFound) {
			require.ErrorIs(t, err, ErrDamaged)
			damaged = true
		}
	}
	problems, err := s.Check(ctx)
	require.NoError(t, err)
	damaged = len(problems) > 0
	_, err = s.ListDeployments(ctx, "")
	note(err)
	_, err = s.ListNodeInstances(ctx, "d", "")
	note(err)
	_, err = s.Events(ctx, "e", 0, 0)
	note(err)
	_, err = s.GetSecret(ctx, "k")
	note(err)
	return damaged
}

// s0Check runs Check on a store that OpenBolt refused.
func s0Check(path string) ([]string, error) {
	s := &BoltStore{path: path, opts: Options{LockTimeout: time.Second}.withDefaults()}
	s.boltView.s = s
	s.cond = sync.NewCond(&s.mu)
	s.waiters = openWaiters(path + ".waiters")
	defer s.Close()
	return s.Check(context.Background())
}

func writeDamaged(t testing.TB, raw []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gantry.db")
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	return path
}

// TestDamagedStore: every kind of damage gives ErrDamaged with the file and
// a way to restore it, never a panic, and the damaged file is left as it
// was (a 0-byte file is not re-initialised).
func TestDamagedStore(t *testing.T) {
	raw := smallStore(t)
	const psz = 4096
	flip := func(off int) []byte {
		b := bytes.Clone(raw)
		b[off] ^= 0xff
		return b
	}
	notBolt := bytes.Repeat([]byte("not a database\n"), 1000)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "the file is empty (0 bytes)"},
		{"truncated", raw[:len(raw)/2], "truncated"},
		{"truncated inside the first page", raw[:100], "truncated"},
		{"both headers overwritten", append(make([]byte, 2*psz), raw[2*psz:]...), "no bbolt magic number"},
		{"not bbolt", notBolt, "no valid header"},
		{"page id flipped", flip(3 * psz), "says it is page"},
		{"page type flipped", flip(3*psz + 8), "type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeDamaged(t, tc.data)
			_, err := OpenBolt(path, Options{LockTimeout: time.Second})
			require.ErrorIs(t, err, ErrDamaged)
			assert.Contains(t, err.Error(), "store is damaged: "+path+": ")
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "(restore from backup: ")
			assert.True(t, useDamaged(t, path))
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(tc.data, after), "a damaged file is never written")
		})
	}
}

// TestDamageInEveryPage overwrites each page's header in turn: a page in
// use must be found damaged, a free page does not matter, and nothing
// panics.
func TestDamageInEveryPage(t *testing.T) {
	raw := smallStore(t)
	const psz = 4096
	found := 0
	for p := 2; p < len(raw)/psz; p++ {
		b := bytes.Clone(raw)
		copy(b[p*psz:], bytes.Repeat([]byte{0xA5}, 16))
		path := writeDamaged(t, b)
		problems, err := verifyFile(path)
		require.NoError(t, err)
		if useDamaged(t, path) {
			found++
			require.NotEmpty(t, problems, "page %d", p)
		}
	}
	assert.Greater(t, found, 3, "the fixture's pages in use are found damaged")
}

// TestVerifyCleanStore: a healthy store (and one after many writes and
// deletes) verifies clean.
func TestVerifyCleanStore(t *testing.T) {
	path := writeDamaged(t, smallStore(t))
	problems, err := verifyFile(path)
	require.NoError(t, err)
	assert.Empty(t, problems)
	s, err := OpenBolt(path, Options{NoSync: true})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	problems, err = s.Check(ctx)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// FuzzCheckDamaged damages a real small store (flipped bytes at fuzzed
// offsets, then an optional truncation) and uses it: opening, Check and
// reads never panic, and every outcome is "ok" or ErrDamaged.
func FuzzCheckDamaged(f *testing.F) {
	raw := smallStore(f)
	for _, off := range []uint32{0, 20, 4096 + 16, 2*4096 + 8, 3 * 4096, 5*4096 + 40, 8 * 4096} {
		f.Add(off, byte(0xff), uint16(0), uint32(0))
	}
	f.Add(uint32(0), byte(0), uint16(0), uint32(4096*3+7))
	f.Fuzz(func(t *testing.T, off uint32, mask byte, span uint16, cut uint32) {
		b := bytes.Clone(raw)
		start := int(off) % len(b)
		for i := start; i < min(len(b), start+1+int(span)%64); i++ {
			b[i] ^= mask | 1
		}
		if cut > 0 {
			b = b[:int(cut)%len(b)]
		}
		path := writeDamaged(t, b)
		problems, err := verifyFile(path)
		require.NoError(t, err)
		damaged := useDamaged(t, path)
		if len(problems) > 0 {
			require.True(t, damaged, "verifyFile found %q", problems)
		}
	})
}
