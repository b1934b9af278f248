package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
)

// TestWorkersOnEtcd: executions queued by one manager are run by workers
// of two others (each its own etcd client and lease, as separate
// processes would be) on a real 3-member cluster: an install, and an
// uninstall that deletes the deployment and its blueprint after it.
// Exactly one worker claims each execution.
func TestWorkersOnEtcd(t *testing.T) {
	ctx := context.Background()
	c := testenv.StartEtcdCluster(t, 3)
	url := c.URL("workers") + "?lease-ttl=2s"
	open := func(name string) *Manager {
		m, err := OpenLocal(url, Config{DataDir: filepath.Join(t.TempDir(), name)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		return m
	}
	client := open("client")
	_, err := client.UploadBlueprint(ctx, "hello", copyDir(t, "../blueprints/hello"))
	require.NoError(t, err)
	_, err = client.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hello", BlueprintID: "hello", Seed: 7})
	require.NoError(t, err)

	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, name := range []string{"w1", "w2"} {
		w, err := open(name).NewWorker(WorkerConfig{Name: name, Parallel: 2, Log: func(msg string) { t.Log(msg) }})
		require.NoError(t, err)
		wg.Add(1)
		go func() { defer wg.Done(); require.NoError(t, w.Run(wctx)) }()
	}
	t.Cleanup(func() { stop(); wg.Wait() })
	q, ok := store.AsQueue(client.Store())
	require.True(t, ok)
	require.Eventually(t, func() bool {
		ws, err := q.Workers(ctx)
		return err == nil && len(ws) == 2
	}, 10*time.Second, 50*time.Millisecond, "both workers registered")
	info, err := client.Info(ctx)
	require.NoError(t, err)
	require.NotNil(t, info.Cluster, "gantry status shows the cluster")
	require.Empty(t, info.Cluster.Error)
	require.Len(t, info.Cluster.Members, 3)
	require.Len(t, info.Cluster.Workers, 2)

	wait := func(r api.Run) *api.Execution {
		t.Helper()
		require.True(t, r.Execution().Queued)
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		e, err := r.Wait(wctx)
		require.NoError(t, err)
		return e
	}
	r, err := client.StartExecution(ctx, api.StartRequest{DeploymentID: "hello", Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	id := r.Execution().ID
	e := wait(r)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	require.NotZero(t, e.PID, "the worker recorded itself")
	out, err := client.Outputs(ctx, "hello")
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:8080", out["url"])
	require.Eventually(t, func() bool {
		claims, err := q.Claims(ctx)
		return err == nil && len(claims) == 0
	}, 5*time.Second, 20*time.Millisecond, "the claim is released once the run ended")
	ids, err := q.Claimable(ctx)
	require.NoError(t, err)
	require.Empty(t, ids)
	evs, err := client.Events(ctx, id, 0, 0)
	require.NoError(t, err)
	started := 0
	for _, ev := range evs {
		if ev.Type == "workflow_started" {
			started++
		}
	}
	require.Equal(t, 1, started, "one worker ran it, once")

	u, err := client.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	require.Equal(t, store.AfterDeleteDeploymentAndBlueprint, u.Execution().After)
	e = wait(u)
	require.Equal(t, store.ExecutionTerminated, e.Status)
	_, err = client.GetDeployment(ctx, "hello")
	require.ErrorIs(t, err, store.ErrNotFound, "the worker deleted the deployment after uninstall")
	require.Eventually(t, func() bool {
		_, err = client.GetBlueprint(ctx, "hello")
		return errors.Is(err, store.ErrNotFound)
	}, 5*time.Second, 20*time.Millisecond, "and then its blueprint")
	problems, err := client.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// TestQueueNeedsASharedStore: a bbolt file queues nothing and has no
// workers, and says why.
func TestQueueNeedsASharedStore(t *testing.T) {
	m := newManager(t)
	_, err := m.NewWorker(WorkerConfig{})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "etcd://")
	_, err = m.UploadBlueprint(context.Background(), "hello", copyDir(t, "../blueprints/hello"))
	require.NoError(t, err)
	_, err = m.CreateDeployment(context.Background(), api.CreateDeploymentRequest{ID: "hello", BlueprintID: "hello"})
	require.NoError(t, err)
	_, err = m.StartExecution(context.Background(), api.StartRequest{DeploymentID: "hello", Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.ErrorIs(t, err, ErrInvalid)
	execs, err := m.ListExecutions(context.Background(), "hello")
	require.NoError(t, err)
	require.Empty(t, execs, "nothing was stored")
}

// TestQueuedEngineSettings: the engine flags an execution is queued with
// (--parallelism, --task-retries, --task-retry-interval) are the ones the
// worker runs it with, not the worker's own; a queued uninstall --force
// deletes its deployment although another depends on it.
func TestQueuedEngineSettings(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	// The worker's own settings would run the four creates at once, not
	// retry, and wait ten minutes before a retry.
	client := withOneWorker(t, work, Config{}, Config{Parallelism: 10, TaskRetries: 0, TaskRetryInterval: 10 * time.Minute})

	// Each create logs its start and end around a sleep; n0's fails its
	// first two attempts.
	bp, log := filepath.Join(work, "bp"), filepath.Join(work, "ops.log")
	require.NoError(t, os.MkdirAll(bp, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bp, "create.sh"), []byte(`#!/bin/bash
echo "start $GANTRY_NODE_INSTANCE_ID" >> `+log+`
sleep 0.3
echo "end $GANTRY_NODE_INSTANCE_ID" >> `+log+`
if [[ $GANTRY_NODE_INSTANCE_ID == n0_* ]] && (( $(grep -c "start n0_" `+log+`) <= 2 )); then exit 1; fi
`), 0o755))
	yaml := "tosca_definitions_version: cloudify_dsl_1_3\nimports:\n  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml\nnode_templates:\n"
	for i := range 4 {
		yaml += fmt.Sprintf("  n%d:\n    type: cloudify.nodes.Root\n    interfaces:\n      cloudify.interfaces.lifecycle:\n        create: { implementation: create.sh, executor: central_deployment_agent }\n", i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(bp, "blueprint.yaml"), []byte(yaml), 0o644))
	_, err := client.UploadBlueprint(ctx, "bp", bp)
	require.NoError(t, err)
	for _, dep := range []string{"app", "user"} {
		_, err = client.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: dep, BlueprintID: "bp"})
		require.NoError(t, err)
	}
	retries := 2
	r, err := client.StartExecution(ctx, api.StartRequest{DeploymentID: "app", Workflow: "install",
		Options: api.ExecOptions{Queue: true, Parallelism: 1, TaskRetries: &retries, TaskRetryInterval: 10 * time.Millisecond}})
	require.NoError(t, err)
	require.Equal(t, &store.EngineSettings{Parallelism: 1, TaskRetries: &retries, TaskRetryInterval: 10 * time.Millisecond}, r.Execution().Engine)
	wctx2, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	e, err := r.Wait(wctx2)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, "n0 succeeded on its third attempt: %s", e.Error)
	running, most := 0, 0
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "start ") {
			running++
		} else {
			running--
		}
		most = max(most, running)
	}
	require.Equal(t, 1, most, "operations ran one at a time (--parallelism 1):\n%s", data)
	require.Equal(t, 3, strings.Count(string(data), "start n0_"), "n0's create ran three times (--task-retries 2)")

	require.NoError(t, client.Store().PutDependency(ctx, &store.Dependency{SourceDeploymentID: "user", TargetDeploymentID: "app", Creator: "test"}))
	u, err := client.Uninstall(ctx, api.UninstallRequest{DeploymentID: "app", KeepBlueprint: true, Force: true, Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	require.True(t, u.Execution().AfterForce)
	e, err = u.Wait(wctx2)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	_, err = client.GetDeployment(ctx, "app")
	require.ErrorIs(t, err, store.ErrNotFound, "the forced uninstall deleted the deployment others depend on")
}

// withOneWorker opens, on a new real etcd cluster, a client Manager
// (configured by client) and the Manager of a one-slot worker
// (configured by worker) that runs until the test ends; both keep their
// data under work. It returns the client.
func withOneWorker(t *testing.T, work string, client, worker Config) *Manager {
	t.Helper()
	url := testenv.StartEtcdCluster(t, 3).URL("queue") + "?lease-ttl=2s"
	client.DataDir, worker.DataDir = filepath.Join(work, "client"), filepath.Join(work, "worker")
	cm, err := OpenLocal(url, client)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cm.Close() })
	wm, err := OpenLocal(url, worker)
	require.NoError(t, err)
	t.Cleanup(func() { _ = wm.Close() })
	w, err := wm.NewWorker(WorkerConfig{Name: "w", Parallel: 1, Log: func(msg string) { t.Log(msg) }})
	require.NoError(t, err)
	wctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })
	return cm
}

// TestQueuedResume: a queued install that failed is resumed through the
// queue (a Manager that queues every execution, as a server that runs
// none itself): a worker runs it as a takeover, skipping what succeeded,
// with the engine settings the resume gave.
func TestQueuedResume(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	client := withOneWorker(t, work, Config{QueueExecutions: true}, Config{})
	bp, log, fail := filepath.Join(work, "bp"), filepath.Join(work, "ops.log"), filepath.Join(work, "fail")
	require.NoError(t, os.MkdirAll(bp, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bp, "op.sh"), []byte(`#!/bin/sh
echo "$GANTRY_NODE_INSTANCE_ID" >> `+log+`
case $GANTRY_NODE_INSTANCE_ID in b_*) [ -e `+fail+` ] && exit 1;; esac
exit 0
`), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bp, "blueprint.yaml"), []byte(`tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml]
node_templates:
  a:
    type: cloudify.nodes.Root
    interfaces: {cloudify.interfaces.lifecycle: {create: {implementation: op.sh, executor: central_deployment_agent}}}
  b:
    type: cloudify.nodes.Root
    interfaces: {cloudify.interfaces.lifecycle: {create: {implementation: op.sh, executor: central_deployment_agent}}}
    relationships: [{type: cloudify.relationships.depends_on, target: a}]
`), 0o644))
	require.NoError(t, os.WriteFile(fail, nil, 0o644))
	_, err := client.UploadBlueprint(ctx, "bp", bp)
	require.NoError(t, err)
	_, err = client.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "app", BlueprintID: "bp"})
	require.NoError(t, err)
	r, err := client.StartExecution(ctx, api.StartRequest{DeploymentID: "app", Workflow: "install"})
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	e, err := r.Wait(wctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionFailed, e.Status)

	require.NoError(t, os.Remove(fail))
	r, err = client.Resume(ctx, e.ID, ExecOptions{Parallelism: 3})
	require.NoError(t, err)
	require.True(t, r.Execution().Queued, "resumed through the queue, not in the client")
	require.Equal(t, store.ExecutionPending, r.Execution().Status)
	require.Equal(t, 3, r.Execution().Engine.Parallelism)
	e, err = r.Wait(wctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(data), "a_"), "a's create succeeded before: not run again\n%s", data)
	require.Equal(t, 2, strings.Count(string(data), "b_"), "b's create ran again\n%s", data)
	_, err = client.Resume(ctx, e.ID, ExecOptions{})
	require.ErrorIs(t, err, ErrNotResumable)
}

// TestClusterInfoShowsTheQueue: Info reads the records of the executions
// queued that no worker holds (oldest first, at most MaxQueuedShown), and
// how many there are; not every execution.
func TestClusterInfoShowsTheQueue(t *testing.T) {
	ctx := context.Background()
	m, err := OpenLocal(testenv.StartEtcdCluster(t, 1).URL("info"), Config{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	_, err = m.UploadBlueprint(ctx, "hello", copyDir(t, "../blueprints/hello"))
	require.NoError(t, err)
	var queued []string
	for _, dep := range []string{"a", "b", "c"} {
		_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: dep, BlueprintID: "hello"})
		require.NoError(t, err)
		if dep == "c" {
			continue // runs, ends: not in the queue
		}
		r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: dep, Workflow: "install", Options: api.ExecOptions{Queue: true}})
		require.NoError(t, err)
		queued = append(queued, r.Execution().ID)
	}
	e, _ := run(t, m, "c", "install", nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	info, err := m.Info(ctx)
	require.NoError(t, err)
	require.Empty(t, info.Cluster.Error)
	require.Equal(t, 2, info.Cluster.Queued)
	var ids []string
	for _, x := range info.Cluster.Executions {
		ids = append(ids, x.ID)
		require.Equal(t, "install", x.WorkflowID)
	}
	require.Equal(t, queued, ids, "the queued ones, oldest first; not the ended one")
}
