package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/store/storetest"
)

// benchStore returns a store holding one deployment "d" with n instances of
// node "web" and a started execution "e".
func benchStore(b *testing.B, n int, opts store.Options) *store.BoltStore {
	b.Helper()
	ctx := context.Background()
	s, err := store.OpenBolt(filepath.Join(b.TempDir(), "gantry.db"), opts)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	bp := b.TempDir()
	require.NoError(b, os.WriteFile(filepath.Join(bp, "blueprint.yaml"), []byte("x"), 0o644))
	data, err := store.ArchiveDir(bp, 0)
	require.NoError(b, err)
	require.NoError(b, s.CreateBlueprint(ctx, &store.Blueprint{ID: "bp", MainFile: "blueprint.yaml"}, data))
	require.NoError(b, s.CreateDeployment(ctx, &store.Deployment{ID: "d", BlueprintID: "bp", Plan: instancePlan(n)}))
	require.NoError(b, s.CreateExecution(ctx, &store.Execution{ID: "e", DeploymentID: "d", WorkflowID: "install"}))
	return s
}

// BenchmarkOpenClose: the raw cost of what open-per-transaction adds to
// every operation, on a file with 10,000 instances.
func BenchmarkOpenClose(b *testing.B) {
	s := benchStore(b, 10_000, store.Options{})
	path := s.Path()
	b.ResetTimer()
	for b.Loop() {
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Nanosecond})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead: one node-instance read, opening the file for it versus
// inside Hold (file kept open).
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, 10_000, store.Options{})
	read := func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.GetNodeInstance(ctx, "d", fmt.Sprintf("web_%05d", i%10_000)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("open-per-op", read)
	b.Run("held", func(b *testing.B) {
		require.NoError(b, s.Hold(ctx, func() error { read(b); return nil }))
	})
}

// BenchmarkUpdateInstance: one state change among 10,000 instances: its
// own transaction (open + fsync'ed commit each), inside Hold (fsync'ed
// commit each), batched 100 per transaction, and without fsync.
func BenchmarkUpdateInstance(b *testing.B) {
	ctx := context.Background()
	update := func(s store.Store, i int) error {
		_, err := s.SetNodeInstanceState(ctx, "d", fmt.Sprintf("web_%05d", i%10_000), store.States[i%len(store.States)])
		return err
	}
	b.Run("open-per-op", func(b *testing.B) {
		s := benchStore(b, 10_000, store.Options{})
		for i := 0; b.Loop(); i++ {
			if err := update(s, i); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("held", func(b *testing.B) {
		s := benchStore(b, 10_000, store.Options{})
		require.NoError(b, s.Hold(ctx, func() error {
			for i := 0; b.Loop(); i++ {
				if err := update(s, i); err != nil {
					return err
				}
			}
			return nil
		}))
	})
	b.Run("open-per-op-nosync", func(b *testing.B) {
		s := benchStore(b, 10_000, store.Options{NoSync: true})
		for i := 0; b.Loop(); i++ {
			if err := update(s, i); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batch-100", func(b *testing.B) {
		s := benchStore(b, 10_000, store.Options{})
		i := 0
		for b.Loop() {
			err := s.Batch(ctx, func(tx store.Store) error {
				for range 100 {
					if err := update(tx, i); err != nil {
						return err
					}
					i++
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/update")
	})
}

// BenchmarkAppendEvents: event append throughput, one event per
// transaction versus 100.
func BenchmarkAppendEvents(b *testing.B) {
	ctx := context.Background()
	for _, per := range []int{1, 100} {
		b.Run(fmt.Sprintf("per-tx-%d", per), func(b *testing.B) {
			s := benchStore(b, 1, store.Options{})
			n := 0
			for b.Loop() {
				evs := make([]*store.Event, per)
				for i := range evs {
					evs[i] = &store.Event{Type: "task_succeeded", NodeInstanceID: "web_00000",
						Operation: "cloudify.interfaces.lifecycle.create", Message: "Task succeeded 'script_runner.tasks.run'"}
				}
				if err := s.AppendEvents(ctx, "e", evs); err != nil {
					b.Fatal(err)
				}
				n += per
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkEngineFlush models the engine's write-behind flush: per task
// 3 state changes (creating, created, configuring...), 2 events and 1 task
// record, 50 tasks per Batch (e.g. one flush every 50 ms at 1,000
// tasks/s), on a deployment of 10,000 instances.
func BenchmarkEngineFlush(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, 10_000, store.Options{})
	const perFlush = 50
	task := 0
	for b.Loop() {
		err := s.Batch(ctx, func(tx store.Store) error {
			evs := make([]*store.Event, 0, 2*perFlush)
			tasks := make([]*store.Task, 0, perFlush)
			for range perFlush {
				id := fmt.Sprintf("web_%05d", task%10_000)
				for _, st := range []store.State{store.StateCreating, store.StateCreated, store.StateConfiguring} {
					if _, err := tx.SetNodeInstanceState(ctx, "d", id, st); err != nil {
						return err
					}
				}
				evs = append(evs, &store.Event{Type: "task_started", NodeInstanceID: id, Message: "create"},
					&store.Event{Type: "task_succeeded", NodeInstanceID: id, Message: "create"})
				tasks = append(tasks, &store.Task{ID: fmt.Sprintf("%s/%d", id, task), Status: store.TaskSucceeded, Attempts: 1})
				task++
			}
			if err := tx.AppendEvents(ctx, "e", evs); err != nil {
				return err
			}
			return tx.PutTasks(ctx, "e", tasks)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(task)/b.Elapsed().Seconds(), "tasks/s")
}

// BenchmarkListNodeInstances: reading all 10,000 instances of a deployment.
func BenchmarkListNodeInstances(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, 10_000, store.Options{})
	for b.Loop() {
		insts, err := s.ListNodeInstances(ctx, "d", "")
		if err != nil || len(insts) != 10_000 {
			b.Fatal(err, len(insts))
		}
	}
}

// BenchmarkEventBytes: the file bytes per stored event for a chatty script
// (200,000 two-byte log lines, appended 1,000 per batch as the engine
// flushes them), and OpenBolt's cost (verification) on the result.
//
//	go test -run '^$' -bench EventBytes -benchtime 1x ./store/
func BenchmarkEventBytes(b *testing.B) {
	ctx := context.Background()
	const lines, batch = 200_000, 1000
	for b.Loop() {
		s := benchStore(b, 1, store.Options{NoSync: true, EventsPerExecution: -1})
		before, err := os.Stat(s.Path())
		require.NoError(b, err)
		for i := 0; i < lines; i += batch {
			evs := make([]*store.Event, batch)
			for j := range evs {
				evs[j] = &store.Event{Type: "log", Level: "info", NodeID: "web", NodeInstanceID: "web_a1b2c3",
					Operation: "cloudify.interfaces.lifecycle.create", TaskID: "t-000042", Message: "ok"}
			}
			require.NoError(b, s.AppendEvents(ctx, "e", evs))
		}
		after, err := os.Stat(s.Path())
		require.NoError(b, err)
		b.ReportMetric(float64(after.Size()-before.Size())/lines, "file-bytes/event")
		b.ReportMetric(float64(after.Size())/(1<<20), "file-MiB")
		start := time.Now()
		s2, err := store.OpenBolt(s.Path(), store.Options{NoSync: true, AutoCompactFree: -1})
		require.NoError(b, err)
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "open-ms")
		require.NoError(b, s2.Close())
	}
}

// BenchmarkFlush1000: the engine's largest flush (1,000 items) in one
// Batch; store/etcd runs the same body (storetest.BenchmarkFlush).
func BenchmarkFlush1000(b *testing.B) {
	s, err := store.OpenBolt(filepath.Join(b.TempDir(), "gantry.db"), store.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	storetest.BenchmarkFlush(b, s)
}
