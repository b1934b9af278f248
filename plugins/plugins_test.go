package plugins

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	p := Func(func(context.Context, *Context) (any, error) { return "ok", nil })
	require.NoError(t, r.Register("script", p))
	require.Error(t, r.Register("script", p), "duplicate")
	require.Error(t, r.Register("", p))
	require.Error(t, r.Register("x", nil))
	got, err := r.Lookup("script")
	require.NoError(t, err)
	v, err := got.Run(context.Background(), &Context{})
	require.NoError(t, err)
	assert.Equal(t, "ok", v)
	_, err = r.Lookup("ssh")
	assert.ErrorIs(t, err, ErrUnknownPlugin)
	assert.Equal(t, []string{"script"}, r.Names())
}

func TestErrorClassification(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name   string
		err    error
		nonRec bool
		retry  bool
		after  time.Duration
	}{
		{"plain", base, false, false, 0},
		{"non-recoverable", NonRecoverable(base), true, false, 0},
		{"wrapped non-recoverable", fmt.Errorf("op: %w", NonRecoverable(base)), true, false, 0},
		{"retry", Retry("later", 3*time.Second), false, true, 3 * time.Second},
		{"wrapped retry", fmt.Errorf("op: %w", Retry("later", 0)), false, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.nonRec, IsNonRecoverable(tc.err))
			r, ok := AsRetry(tc.err)
			assert.Equal(t, tc.retry, ok)
			if ok {
				assert.Equal(t, tc.after, r.After)
			}
		})
	}
	assert.NoError(t, NonRecoverable(nil))
	assert.ErrorIs(t, NonRecoverable(base), base)
}

func TestRuntimePaths(t *testing.T) {
	changes := 0
	rt := NewMapRuntime(nil, nil, func() { changes++ })
	require.NoError(t, rt.Set("10.0.0.1", "ip"))
	require.NoError(t, rt.Set(true, "tls", "enabled"))
	require.NoError(t, rt.Set([]any{"a", "b"}, "list"))
	v, ok := rt.Get("tls", "enabled")
	assert.True(t, ok)
	assert.Equal(t, true, v)
	v, ok = rt.Get("list", "1")
	assert.True(t, ok)
	assert.Equal(t, "b", v)
	_, ok = rt.Get("list", "7")
	assert.False(t, ok)
	_, ok = rt.Get("ip", "x")
	assert.False(t, ok)
	assert.Error(t, rt.Set(1, "ip", "sub"), "ip is a string, not a map")
	assert.Error(t, rt.Set(1))
	require.NoError(t, rt.Delete("tls", "enabled"))
	require.NoError(t, rt.Delete("missing", "key"))
	assert.Equal(t, map[string]any{"ip": "10.0.0.1", "tls": map[string]any{}, "list": []any{"a", "b"}}, rt.All())
	assert.Equal(t, 4, changes)
	// Values are copied in and out.
	all := rt.All()
	all["ip"] = "changed"
	l, _ := rt.Get("list")
	l.([]any)[0] = "changed"
	v, _ = rt.Get("ip")
	assert.Equal(t, "10.0.0.1", v)
	v, _ = rt.Get("list", "0")
	assert.Equal(t, "a", v)
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"debug": LevelDebug, "info": LevelInfo, "warn": LevelWarn, "warning": LevelWarn, "error": LevelError} {
		got, err := ParseLevel(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseLevel("loud")
	assert.Error(t, err)
}
