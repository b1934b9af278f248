package workflow

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// TestOutputCap: a chatty operation keeps at most the configured number of
// lines (or bytes) as events, then one warning says how many were dropped.
func TestOutputCap(t *testing.T) {
	tests := []struct {
		name              string
		lines, maxLines   int
		maxBytes          int
		wantKept, dropped int
	}{
		{"under the bound", 50, 100, 0, 50, 0},
		{"lines bound", 25_000, 0, 0, DefaultMaxOutputLines, 15_000},
		{"configured lines bound", 300, 100, 0, 100, 200},
		{"bytes bound", 300, 0, 1000, 100, 200}, // 10-byte lines
		{"unbounded", 12_000, -1, -1, 12_000, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := NewMemState()
			cfg := testConfig(t, st, newRecPlugin())
			cfg.MaxOutputLines, cfg.MaxOutputBytes = tc.maxLines, tc.maxBytes
			require.NoError(t, cfg.Plugins.Register("chatty", plugins.Func(func(_ context.Context, oc *plugins.Context) (any, error) {
				for i := 0; i < tc.lines; i++ {
					oc.Log(plugins.LevelInfo, "%09d\n", i)
				}
				return nil, nil
			})))
			b := newPlan()
			b.node("n", rootTypes, map[string]*tosca.Operation{opCreate: op("chatty", nil)}, 1)
			_, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
			require.NoError(t, err)
			var kept, notes int
			for _, ev := range eventsOf(st, lastExec(), EventLog) {
				if strings.HasPrefix(ev.Message, "output truncated: ") {
					notes++
					assert.Contains(t, ev.Message, "output truncated: "+strconv.Itoa(tc.dropped)+" more lines")
					assert.Equal(t, string(plugins.LevelWarn), ev.Level)
					assert.Equal(t, "n_1", ev.NodeInstanceID)
					continue
				}
				kept++
			}
			assert.Equal(t, tc.wantKept, kept)
			assert.Equal(t, min(tc.dropped, 1), notes, "one note when lines were dropped")
		})
	}
}
