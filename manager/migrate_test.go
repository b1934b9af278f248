package manager

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
	"github.com/gantryhq/gantry/workflow"
)

// TestMigrateBoltToEtcdAndBack copies a bbolt file holding every kind of
// record (an installed deployment with its events and task records,
// another that depends on it, a secret, tokens, a console session, audit
// records) into a real 3-member etcd cluster, then from there into a new
// bbolt file; both copies hold the same records as the original, secrets
// sealed under each destination's own key, and the console session signed
// in on the original still authenticates on each copy.
func TestMigrateBoltToEtcdAndBack(t *testing.T) {
	ctx := context.Background()
	c := testenv.StartEtcdCluster(t, 3) // before HOME moves: it finds etcd in ~/.cache
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv(store.EnvSecretKey, "")
	require.NoError(t, os.Unsetenv(store.EnvSecretKey))
	dir := t.TempDir()

	srcPath := filepath.Join(dir, "src.db")
	src := openMigrateStore(t, srcPath)
	sessionID := fillForMigration(t, src)
	want := dumpStore(t, src.Store())
	require.Len(t, want.Sessions, 1)
	signedIn(t, src.Store(), sessionID)

	res, err := src.MigrateStore(ctx, api.MigrateRequest{To: c.URL("migrated")})
	require.NoError(t, err)
	require.Equal(t, 2, res.Copied.Deployments)
	require.Positive(t, res.Copied.Events)
	require.Equal(t, 1, res.Copied.Secrets)
	require.Equal(t, 2, res.Copied.Tokens)
	require.Equal(t, 1, res.Copied.Sessions)
	require.Positive(t, res.Copied.AuditRecords)

	onEtcd := openMigrateStore(t, c.URL("migrated"))
	require.Equal(t, want, dumpStore(t, onEtcd.Store()), "bbolt -> etcd")
	signedIn(t, onEtcd.Store(), sessionID)
	problems, err := onEtcd.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems, "store check")
	sealedSrc := rawSecret(t, src.Store())
	sealedEtcd := rawSecret(t, onEtcd.Store())
	require.True(t, strings.HasPrefix(sealedEtcd, "gantry-aes256gcm:"), "stored encrypted")
	require.NotEqual(t, sealedSrc, sealedEtcd, "re-encrypted under the destination's key")
	require.FileExists(t, filepath.Join(home, ".gantry", "secret.key"))

	backPath := filepath.Join(dir, "back.db")
	_, err = onEtcd.MigrateStore(ctx, api.MigrateRequest{To: backPath})
	require.NoError(t, err)
	back := openMigrateStore(t, backPath)
	require.Equal(t, want, dumpStore(t, back.Store()), "etcd -> bbolt")
	signedIn(t, back.Store(), sessionID)
	problems, err = back.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems, "store check")
	require.FileExists(t, backPath+".key")

	// A destination that holds records is refused, and so is one with a
	// record of the same id even when told to add to it.
	_, err = src.MigrateStore(ctx, api.MigrateRequest{To: c.URL("migrated")})
	require.ErrorIs(t, err, api.ErrExists)
	require.Contains(t, err.Error(), "--into-non-empty")
	_, err = src.MigrateStore(ctx, api.MigrateRequest{To: c.URL("migrated"), IntoNonEmpty: true})
	require.ErrorIs(t, err, api.ErrExists)
	require.Contains(t, err.Error(), "blueprint hello")
	require.NotContains(t, err.Error(), want.Sessions[0].Key, "a session's key is never named")
	require.Equal(t, want, dumpStore(t, onEtcd.Store()), "a refused migration writes nothing")
	// The store itself is no destination.
	_, err = src.MigrateStore(ctx, api.MigrateRequest{To: "bolt://" + srcPath})
	require.ErrorIs(t, err, api.ErrInvalid)

	// A running execution (this live process's) stops the migration.
	require.NoError(t, src.Store().CreateExecution(ctx, &store.Execution{ID: "live", DeploymentID: "hello", WorkflowID: "install",
		Status: store.ExecutionStarted, PID: os.Getpid(), PIDStart: selfStart, Host: selfHost}))
	_, err = src.MigrateStore(ctx, api.MigrateRequest{To: filepath.Join(dir, "never.db")})
	require.ErrorIs(t, err, api.ErrActiveExecution)
	require.Contains(t, err.Error(), "live (install of hello, started)")
}

func openMigrateStore(t *testing.T, target string) *Manager {
	t.Helper()
	m, err := OpenLocal(target, Config{DataDir: filepath.Join(t.TempDir(), "data")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// signedIn asserts that the console session with id authenticates on st
// as fillForMigration's admin "console" token, with the same CSRF token.
func signedIn(t *testing.T, st store.Store, id string) {
	t.Helper()
	sess, err := auth.New(st).Sessions(auth.SessionOptions{}).Get(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "console", sess.Principal.Name)
	require.Equal(t, auth.RoleAdmin, sess.Principal.Role)
	require.NoError(t, sess.CheckCSRF(sess.CSRF))
}

// fillForMigration stores every kind of record; it returns the id of a
// console session signed in with an admin token.
func fillForMigration(t *testing.T, m *Manager) string {
	ctx := context.Background()
	_, err := m.UploadBlueprint(ctx, "hello", copyDir(t, "../blueprints/hello"))
	require.NoError(t, err)
	// One that imports it and comes first by id: copied after it.
	archive, err := store.ArchiveDir(copyDir(t, "../blueprints/hello"), 0)
	require.NoError(t, err)
	require.NoError(t, m.Store().CreateBlueprint(ctx, &store.Blueprint{ID: "app", MainFile: "blueprint.yaml", Imports: []string{"hello"}}, archive))
	for _, dep := range []string{"hello", "other"} {
		_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: dep, BlueprintID: "hello", Inputs: map[string]any{"web_port": 9090}, Seed: 7})
		require.NoError(t, err)
	}
	_, res := run(t, m, "hello", "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "install: %v", res.Err)
	require.NoError(t, m.Store().PutDependency(ctx, &store.Dependency{SourceDeploymentID: "other", TargetDeploymentID: "hello", Creator: "node_instances.proxy_1"}))
	require.NoError(t, m.PutSecret(ctx, &store.Secret{Key: "db_password", Value: "correct horse battery"}, false))
	tok, err := m.CreateToken(ctx, api.CreateTokenRequest{Name: "ci", Role: "operator"})
	require.NoError(t, err)
	_, err = m.RevokeToken(ctx, tok.Token.ID)
	require.NoError(t, err)
	admin, err := m.CreateToken(ctx, api.CreateTokenRequest{Name: "console", Role: "admin"})
	require.NoError(t, err)
	a := auth.New(m.Store())
	p, err := a.Authenticate(ctx, admin.Bearer)
	require.NoError(t, err)
	sess, err := a.Sessions(auth.SessionOptions{}).Create(ctx, p)
	require.NoError(t, err)
	return sess.ID
}

// migrated is what a migration keeps of a store: every record, less what
// the destination sets anew (instance versions and times, update times).
type migrated struct {
	Blueprints   []*store.Blueprint
	Archives     map[string][]byte
	Deployments  []*store.Deployment
	Instances    map[string][]*store.NodeInstance
	Dependencies []*store.Dependency
	Executions   []*store.Execution
	Tasks        map[string][]*store.Task
	Events       map[string][]*store.Event
	Secrets      []*store.Secret
	Tokens       []*store.Token
	Sessions     []*store.Session
	Audit        []*store.AuditRecord
}

func dumpStore(t *testing.T, st store.Store) migrated {
	t.Helper()
	ctx := context.Background()
	d := migrated{Archives: map[string][]byte{}, Instances: map[string][]*store.NodeInstance{}, Tasks: map[string][]*store.Task{}, Events: map[string][]*store.Event{}}
	var err error
	d.Blueprints, err = st.ListBlueprints(ctx)
	require.NoError(t, err)
	for _, bp := range d.Blueprints {
		d.Archives[bp.ID], err = st.BlueprintArchive(ctx, bp.ID)
		require.NoError(t, err)
	}
	deps, err := st.ListDeployments(ctx, "")
	require.NoError(t, err)
	for _, meta := range deps {
		dep, err := st.GetDeployment(ctx, meta.ID)
		require.NoError(t, err)
		dep.UpdatedAt = dep.CreatedAt
		d.Deployments = append(d.Deployments, dep)
		insts, err := st.ListNodeInstances(ctx, dep.ID, "")
		require.NoError(t, err)
		for _, ni := range insts {
			ni.Version, ni.UpdatedAt = 0, time.Time{}
		}
		d.Instances[dep.ID] = insts
	}
	d.Dependencies, err = st.ListDependencies(ctx, store.DependencyFilter{})
	require.NoError(t, err)
	d.Executions, err = st.ListExecutions(ctx, "")
	require.NoError(t, err)
	for _, e := range d.Executions {
		d.Tasks[e.ID], err = st.ListTasks(ctx, e.ID)
		require.NoError(t, err)
		d.Events[e.ID], err = st.Events(ctx, e.ID, 0, 0)
		require.NoError(t, err)
	}
	list, err := st.ListSecrets(ctx)
	require.NoError(t, err)
	for _, meta := range list {
		s, err := st.GetSecret(ctx, meta.Key)
		require.NoError(t, err)
		s.UpdatedAt = s.CreatedAt
		d.Secrets = append(d.Secrets, s)
	}
	toks, err := st.ListTokens(ctx)
	require.NoError(t, err)
	for _, meta := range toks {
		tok, err := st.GetToken(ctx, meta.ID)
		require.NoError(t, err)
		d.Tokens = append(d.Tokens, tok)
	}
	d.Sessions, err = st.ListSessions(ctx)
	require.NoError(t, err)
	d.Audit, err = st.ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	return d
}

// rawSecret returns the secret's value as the backend keeps it.
func rawSecret(t *testing.T, st store.Store) string {
	t.Helper()
	s, err := store.Backend(st).GetSecret(context.Background(), "db_password")
	require.NoError(t, err)
	return s.Value
}
