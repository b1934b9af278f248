package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// FlushItems is the size of the engine's largest write-behind flush.
const FlushItems = 1000

// BenchmarkFlush measures an engine-like flush of FlushItems items in one
// Batch, as manager's storeState commits it: 250 node-instance updates
// with their version check, then 250 task records, then 500 events, on a
// deployment of 1,000 instances. Every backend's benchmark calls it, so
// the numbers compare.
func BenchmarkFlush(b *testing.B, s store.Store) {
	ctx := context.Background()
	const n, updates, tasks, events = 1000, 250, 250, 500
	seed(b, s, "d", n-1)
	execution(b, s, "e", "d")
	insts, err := s.ListNodeInstances(ctx, "d", "")
	require.NoError(b, err)
	version := map[string]int{}
	for _, ni := range insts {
		version[ni.ID] = ni.Version
	}
	round := 0
	for b.Loop() {
		err := s.Batch(ctx, func(tx store.Store) error {
			for i := range updates {
				id := insts[(round*updates+i)%len(insts)].ID
				ni, err := tx.UpdateNodeInstance(ctx, "d", id, version[id], func(ni *store.NodeInstance) error {
					ni.State = store.StateCreated
					ni.RuntimeProperties["round"] = round
					return nil
				})
				if err != nil {
					return err
				}
				version[id] = ni.Version
			}
			ts := make([]*store.Task, tasks)
			for i := range ts {
				ts[i] = &store.Task{ID: fmt.Sprintf("t%d-%d", round, i), Status: store.TaskSucceeded, Attempts: 1}
			}
			if err := tx.PutTasks(ctx, "e", ts); err != nil {
				return err
			}
			evs := make([]*store.Event, events)
			for i := range evs {
				evs[i] = &store.Event{Type: "task_succeeded", NodeInstanceID: insts[i%len(insts)].ID, Message: "create"}
			}
			return tx.AppendEvents(ctx, "e", evs)
		})
		if err != nil {
			b.Fatal(err)
		}
		round++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(round), "ms/flush")
	b.ReportMetric(float64(round*FlushItems)/b.Elapsed().Seconds(), "items/s")
}
