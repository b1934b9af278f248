package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// hashOf is what manager/auth stores for a secret.
func hashOf(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	const secret = "s3cr3t-token-material"
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := &store.Token{ID: "b2", Name: "ci", Role: "operator", Hash: hashOf(secret), CreatedBy: "root", ExpiresAt: exp}
	require.NoError(t, s.CreateToken(ctx, tok))
	assert.False(t, tok.CreatedAt.IsZero(), "created_at filled")
	require.NoError(t, s.CreateToken(ctx, &store.Token{ID: "a1", Name: "admin", Role: "admin", Hash: hashOf("other")}))

	err := s.CreateToken(ctx, &store.Token{ID: "b2", Name: "x", Role: "viewer", Hash: hashOf("x")})
	assert.ErrorIs(t, err, store.ErrExists)

	got, err := s.GetToken(ctx, "b2")
	require.NoError(t, err)
	assert.Equal(t, hashOf(secret), got.Hash, "get returns the hash")
	assert.Equal(t, "ci", got.Name)
	assert.Equal(t, "operator", got.Role)
	assert.Equal(t, "root", got.CreatedBy)
	assert.True(t, got.ExpiresAt.Equal(exp))
	assert.True(t, got.RevokedAt.IsZero())
	_, err = s.GetToken(ctx, "zz")
	assert.ErrorIs(t, err, store.ErrNotFound)

	list, err := s.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "a1", list[0].ID, "ordered by id")
	assert.Equal(t, "b2", list[1].ID)
	for _, l := range list {
		assert.Empty(t, l.Hash, "lists carry no hashes")
	}

	rev, err := s.RevokeToken(ctx, "b2")
	require.NoError(t, err)
	assert.False(t, rev.RevokedAt.IsZero())
	assert.Empty(t, rev.Hash)
	again, err := s.RevokeToken(ctx, "b2")
	require.NoError(t, err)
	assert.True(t, again.RevokedAt.Equal(rev.RevokedAt), "revoking twice keeps the first time")
	got, err = s.GetToken(ctx, "b2")
	require.NoError(t, err)
	assert.True(t, got.RevokedAt.Equal(rev.RevokedAt), "revocation stored")
	assert.Equal(t, hashOf(secret), got.Hash, "revocation keeps the hash")
	_, err = s.RevokeToken(ctx, "zz")
	assert.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.DeleteToken(ctx, "a1"))
	_, err = s.GetToken(ctx, "a1")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.DeleteToken(ctx, "a1"), store.ErrNotFound)
	requireClean(t, s)
}

// testTokensRefused: a secret (or anything that is not a SHA-256 in hex)
// is never stored, nor a token without a name or role.
func testTokensRefused(t *testing.T, s store.Store) {
	ctx := context.Background()
	const secret = "gtk_abc_plain-secret-that-must-not-be-stored"
	for _, tok := range []*store.Token{
		nil,
		{ID: "", Name: "n", Role: "admin", Hash: hashOf("x")},
		{ID: "t", Name: "", Role: "admin", Hash: hashOf("x")},
		{ID: "t", Name: "n", Role: "", Hash: hashOf("x")},
		{ID: "t", Name: "n", Role: "admin", Hash: ""},
		{ID: "t", Name: "n", Role: "admin", Hash: secret},
		{ID: "t", Name: "n", Role: "admin", Hash: "ABCDEF" + hashOf("x")[6:]},
	} {
		err := s.CreateToken(ctx, tok)
		require.ErrorIs(t, err, store.ErrInvalid, "%+v", tok)
		assert.NotContains(t, err.Error(), secret, "errors never show the hash field")
	}
	list, err := s.ListTokens(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	recs, err := s.ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, recs)

	ts := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var in []*store.AuditRecord
	for i := range 12 {
		in = append(in, &store.AuditRecord{TokenID: "t1", Principal: "ci", Role: "operator",
			Action: "deployments.create", Target: fmt.Sprintf("d%d", i), Outcome: "ok", Remote: "127.0.0.1:5000"})
	}
	in[0].Time = ts
	for i, r := range in {
		require.NoError(t, s.AppendAudit(ctx, r))
		assert.Equal(t, uint64(i+1), r.Seq, "seq written back")
	}
	all, err := s.ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 12)
	assert.True(t, all[0].Time.Equal(ts), "time kept")
	assert.False(t, all[1].Time.IsZero(), "time filled")
	for i, r := range all {
		assert.Equal(t, uint64(i+1), r.Seq)
		assert.Equal(t, fmt.Sprintf("d%d", i), r.Target)
		assert.Equal(t, "ci", r.Principal)
		assert.Equal(t, "t1", r.TokenID)
		assert.Equal(t, "operator", r.Role)
		assert.Equal(t, "deployments.create", r.Action)
		assert.Equal(t, "ok", r.Outcome)
		assert.Equal(t, "127.0.0.1:5000", r.Remote)
	}
	page, err := s.ListAudit(ctx, 4, 3)
	require.NoError(t, err)
	require.Len(t, page, 3)
	assert.Equal(t, uint64(5), page[0].Seq)
	assert.Equal(t, uint64(7), page[2].Seq)
	tail, err := s.ListAudit(ctx, 12, 0)
	require.NoError(t, err)
	assert.Empty(t, tail)
	tail, err = s.ListAudit(ctx, ^uint64(0), 0)
	require.NoError(t, err)
	assert.Empty(t, tail)

	assert.ErrorIs(t, s.AppendAudit(ctx, nil), store.ErrInvalid)
	assert.ErrorIs(t, s.AppendAudit(ctx, &store.AuditRecord{Principal: "p"}), store.ErrInvalid, "action required")
	assert.ErrorIs(t, s.AppendAudit(ctx, &store.AuditRecord{Action: "a"}), store.ErrInvalid, "principal required")

	// Concurrent appends get distinct, gap-free sequence numbers.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.AppendAudit(ctx, &store.AuditRecord{Principal: "p", Action: "a", Target: fmt.Sprint(i)}))
		}()
	}
	wg.Wait()
	all, err = s.ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 20)
	for i, r := range all {
		assert.Equal(t, uint64(i+1), r.Seq)
	}

	// Inside a Batch the record is written with the batch, or not at all.
	boom := fmt.Errorf("boom")
	err = s.Batch(ctx, func(b store.Store) error {
		require.NoError(t, b.AppendAudit(ctx, &store.AuditRecord{Principal: "p", Action: "discarded"}))
		return boom
	})
	require.ErrorIs(t, err, boom)
	all, err = s.ListAudit(ctx, 20, 0)
	require.NoError(t, err)
	assert.Empty(t, all, "a discarded batch leaves no audit record")
	requireClean(t, s)
}
