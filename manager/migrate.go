package manager

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// migratePage bounds the events and audit records held at once, and the
// audit records appended per destination transaction.
const migratePage = 1000

// migrateListed bounds the ids named in a refusal.
const migrateListed = 5

// MigrateStore copies every record of the manager's store into the store
// req.To names (docs/ha.md, "Moving between bbolt and etcd"). The source
// is read in one Batch (one bbolt transaction, one etcd revision), so the
// copy is of one moment; every execution must have ended (a running one
// would go on writing the source). The destination is written in order:
// blueprints with their files, deployments with their node instances
// (one transaction each), dependencies, executions with their task
// records and events, secrets (decrypted with the source's key and
// sealed with the destination's), tokens (their hashes), the console's
// sessions (the hashes of their ids: signed-in people stay signed in),
// the audit log.
// Ids, times and statuses are kept; node-instance versions start again
// at 1 (2 for an instance that left uninitialized), and event and audit
// numbers from 1 in their order. Then the destination is counted (it
// must have gained exactly what was read) and checked.
func (m *Manager) MigrateStore(ctx context.Context, req api.MigrateRequest) (*api.MigrateResult, error) {
	start := time.Now()
	from := m.cfg.StorePath
	if err := m.checkMigrateTarget(from, req.To); err != nil {
		return nil, err
	}
	if err := m.refuseActive(ctx); err != nil {
		return nil, err
	}
	opts, err := store.OptionsFromEnv(store.Options{EventsPerExecution: -1, EventsMaxAge: -1, AutoCompactFree: -1})
	if err != nil {
		return nil, err
	}
	dst, err := store.Open(ctx, req.To, opts)
	if err != nil {
		return nil, fmt.Errorf("migrate to %s: %w", req.To, err)
	}
	defer dst.Close()
	before, err := countStore(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("migrate: count the records of %s: %w", req.To, err)
	}
	if !before.Empty() && !req.IntoNonEmpty {
		return nil, fmt.Errorf("migrate: %s is not empty (%s): migrate into an empty store, or pass --into-non-empty to add to it: %w",
			req.To, describeCounts(before), api.ErrExists)
	}
	var copied api.StoreCounts
	err = m.st.Batch(ctx, func(src store.Store) error {
		if err := refuseActiveIn(ctx, src); err != nil {
			return err
		}
		if !before.Empty() {
			if err := refuseCollisions(ctx, src, dst); err != nil {
				return err
			}
		}
		mg := &migration{src: src, dst: dst}
		if err := mg.run(ctx); err != nil {
			return fmt.Errorf("%w (the destination %s holds a partial copy: empty it before migrating again)", err, req.To)
		}
		copied = mg.n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate %s to %s: %w", from, req.To, err)
	}
	if err := verifyMigration(ctx, dst, before, copied); err != nil {
		return nil, fmt.Errorf("migrate %s to %s: %w", from, req.To, err)
	}
	return &api.MigrateResult{From: from, To: req.To, Copied: copied, Took: time.Since(start)}, nil
}

// checkMigrateTarget refuses an empty destination and the source itself.
func (m *Manager) checkMigrateTarget(from, to string) error {
	if to == "" {
		return fmt.Errorf("migrate: no destination store: %w", api.ErrInvalid)
	}
	if store.IsURL(from) || store.IsURL(to) {
		if strings.TrimSuffix(from, "/") == strings.TrimSuffix(to, "/") {
			return fmt.Errorf("migrate: %s is the store itself: %w", to, api.ErrInvalid)
		}
		return nil
	}
	fa, err1 := os.Stat(strings.TrimPrefix(from, store.SchemeBolt+"://"))
	fb, err2 := os.Stat(strings.TrimPrefix(to, store.SchemeBolt+"://"))
	if err1 == nil && err2 == nil && os.SameFile(fa, fb) {
		return fmt.Errorf("migrate: %s is the store itself: %w", to, api.ErrInvalid)
	}
	return nil
}

// refuseActive reaps executions whose process is gone (they read failed,
// resumable), then refuses while one has not ended.
func (m *Manager) refuseActive(ctx context.Context) error {
	if _, err := m.ListExecutions(ctx, ""); err != nil {
		return err
	}
	return refuseActiveIn(ctx, m.st)
}

// refuseActiveIn fails with ErrActiveExecution naming the executions of st
// that have not ended.
func refuseActiveIn(ctx context.Context, st store.Store) error {
	es, err := st.ListExecutions(ctx, "")
	if err != nil {
		return err
	}
	var active []string
	for _, e := range es {
		if e.Status.Active() {
			active = append(active, fmt.Sprintf("%s (%s of %s, %s)", e.ID, e.WorkflowID, e.DeploymentID, e.Status))
		}
	}
	if len(active) == 0 {
		return nil
	}
	return fmt.Errorf("migrate: %d execution(s) have not ended: %s: let them end (or cancel them) and stop the workers and servers using the store first: %w",
		len(active), listSome(active), api.ErrActiveExecution)
}

// refuseCollisions fails with ErrExists when dst holds a record with the
// id of one of src's (blueprints, deployments, executions, secrets,
// tokens, console sessions, never named; node instances, tasks and events
// belong to those).
func refuseCollisions(ctx context.Context, src, dst store.Store) error {
	type idsOf func(store.Store) ([]string, error)
	kinds := []struct {
		kind string
		ids  idsOf
		// unnamed: the id is never named (a session's key).
		unnamed bool
	}{
		{"blueprint", func(s store.Store) ([]string, error) { return ids(s.ListBlueprints(ctx)) }, false},
		{"deployment", func(s store.Store) ([]string, error) { return ids(s.ListDeployments(ctx, "")) }, false},
		{"execution", func(s store.Store) ([]string, error) { return ids(s.ListExecutions(ctx, "")) }, false},
		{"secret", func(s store.Store) ([]string, error) { return ids(s.ListSecrets(ctx)) }, false},
		{"token", func(s store.Store) ([]string, error) { return ids(s.ListTokens(ctx)) }, false},
		{"console session", func(s store.Store) ([]string, error) { return ids(s.ListSessions(ctx)) }, true},
	}
	var both []string
	for _, k := range kinds {
		have, err := k.ids(dst)
		if err != nil {
			return err
		}
		taken := make(map[string]bool, len(have))
		for _, id := range have {
			taken[id] = true
		}
		mine, err := k.ids(src)
		if err != nil {
			return err
		}
		for _, id := range mine {
			switch {
			case taken[id] && k.unnamed:
				both = append(both, "a "+k.kind)
			case taken[id]:
				both = append(both, k.kind+" "+id)
			}
		}
	}
	if len(both) > 0 {
		return fmt.Errorf("migrate: the destination holds %d record(s) of the same id: %s: %w", len(both), listSome(both), api.ErrExists)
	}
	return nil
}

// ids returns the ids of records (a List's result).
func ids[T any](list []*T, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, r := range list {
		switch v := any(r).(type) {
		case *store.Blueprint:
			out = append(out, v.ID)
		case *store.Deployment:
			out = append(out, v.ID)
		case *store.Execution:
			out = append(out, v.ID)
		case *store.Secret:
			out = append(out, v.Key)
		case *store.Token:
			out = append(out, v.ID)
		case *store.Session:
			out = append(out, v.Key)
		}
	}
	return out, nil
}

// listSome joins the first few items and says how many more there are.
func listSome(items []string) string {
	if len(items) <= migrateListed {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:migrateListed], ", "), len(items)-migrateListed)
}

// verifyMigration counts dst again (it must hold before plus copied) and
// runs its check.
func verifyMigration(ctx context.Context, dst store.Store, before, copied api.StoreCounts) error {
	after, err := countStore(ctx, dst)
	if err != nil {
		return fmt.Errorf("count the copy: %w", err)
	}
	if want := before.Add(copied); after != want {
		return fmt.Errorf("the copy holds %s, expected %s (did another process write to it?): %w",
			describeCounts(after), describeCounts(want), api.ErrConflict)
	}
	problems, err := dst.Check(ctx)
	if err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the copy's check found %d problem(s): %s: %w", len(problems), listSome(problems), api.ErrDamaged)
	}
	return nil
}

// migration copies src into dst, counting what it copies.
type migration struct {
	src, dst store.Store
	n        api.StoreCounts
}

func (mg *migration) run(ctx context.Context) error {
	for _, step := range []struct {
		what string
		fn   func(context.Context) error
	}{
		{"blueprints", mg.blueprints}, {"deployments", mg.deployments}, {"dependencies", mg.dependencies},
		{"executions", mg.executions}, {"secrets", mg.secrets}, {"tokens", mg.tokens}, {"console sessions", mg.sessions}, {"audit log", mg.audit},
	} {
		if err := step.fn(ctx); err != nil {
			return fmt.Errorf("copy the %s: %w", step.what, err)
		}
	}
	return nil
}

func (mg *migration) blueprints(ctx context.Context) error {
	bps, err := mg.src.ListBlueprints(ctx)
	if err != nil {
		return err
	}
	for _, bp := range store.ImportOrder(bps) {
		archive, err := mg.src.BlueprintArchive(ctx, bp.ID)
		if err != nil {
			return err
		}
		want := bp.ArchiveSHA256
		if err := mg.dst.CreateBlueprint(ctx, bp, archive); err != nil {
			return err
		}
		if bp.ArchiveSHA256 != want {
			return fmt.Errorf("blueprint %q: the copied files' SHA-256 is %s, the source's %s: %w", bp.ID, bp.ArchiveSHA256, want, api.ErrDamaged)
		}
		mg.n.Blueprints++
	}
	return nil
}

// deployments copies each deployment with its plan and node instances in
// one destination transaction: CreateDeployment makes the instances from
// the plan, then their state and runtime properties are set.
func (mg *migration) deployments(ctx context.Context) error {
	ds, err := mg.src.ListDeployments(ctx, "")
	if err != nil {
		return err
	}
	for _, meta := range ds {
		d, err := mg.src.GetDeployment(ctx, meta.ID)
		if err != nil {
			return err
		}
		insts, err := mg.src.ListNodeInstances(ctx, d.ID, "")
		if err != nil {
			return err
		}
		plan := *d.Plan
		plan.NodeInstances = nil
		for _, ni := range insts {
			pi := ni.NodeInstance
			plan.NodeInstances = append(plan.NodeInstances, &pi)
		}
		d.Plan = &plan
		err = mg.dst.Batch(ctx, func(b store.Store) error {
			if err := b.CreateDeployment(ctx, d); err != nil {
				return err
			}
			for _, ni := range insts {
				if ni.State == store.StateUninitialized && len(ni.RuntimeProperties) == 0 {
					continue
				}
				if _, err := b.UpdateNodeInstance(ctx, d.ID, ni.ID, store.AnyVersion, func(x *store.NodeInstance) error {
					x.State, x.RuntimeProperties = ni.State, ni.RuntimeProperties
					return nil
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		mg.n.Deployments++
		mg.n.NodeInstances += len(insts)
	}
	return nil
}

func (mg *migration) dependencies(ctx context.Context) error {
	deps, err := mg.src.ListDependencies(ctx, store.DependencyFilter{})
	if err != nil {
		return err
	}
	for _, d := range deps {
		if err := mg.dst.PutDependency(ctx, d); err != nil {
			return err
		}
		mg.n.Dependencies++
	}
	return nil
}

// executions copies executions in creation order with their task records
// and their events, a page at a time.
func (mg *migration) executions(ctx context.Context) error {
	es, err := mg.src.ListExecutions(ctx, "")
	if err != nil {
		return err
	}
	for _, e := range es {
		if err := mg.dst.CreateExecution(ctx, e); err != nil {
			return err
		}
		tasks, err := mg.src.ListTasks(ctx, e.ID)
		if err != nil {
			return err
		}
		if err := mg.dst.PutTasks(ctx, e.ID, tasks); err != nil {
			return err
		}
		mg.n.Executions++
		mg.n.Tasks += len(tasks)
		for after := uint64(0); ; {
			evs, err := mg.src.Events(ctx, e.ID, after, migratePage)
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				break
			}
			after = evs[len(evs)-1].Seq
			if err := mg.dst.AppendEvents(ctx, e.ID, evs); err != nil {
				return err
			}
			mg.n.Events += len(evs)
		}
	}
	return nil
}

// secrets copies secrets through both stores' encryption: each value is
// opened with the source's key and sealed with the destination's, so it
// is never stored in the clear and the destination's processes read it
// with their key.
func (mg *migration) secrets(ctx context.Context) error {
	list, err := mg.src.ListSecrets(ctx)
	if err != nil {
		return err
	}
	for _, meta := range list {
		s, err := mg.src.GetSecret(ctx, meta.Key)
		if err != nil {
			return err
		}
		err = mg.dst.PutSecret(ctx, s, false)
		s.Value = ""
		if err != nil {
			return err
		}
		mg.n.Secrets++
	}
	return nil
}

// tokens copies API tokens with their hashes (the store never had the
// secrets), revocations and expiries.
func (mg *migration) tokens(ctx context.Context) error {
	list, err := mg.src.ListTokens(ctx)
	if err != nil {
		return err
	}
	for _, meta := range list {
		t, err := mg.src.GetToken(ctx, meta.ID)
		if err != nil {
			return err
		}
		if err := mg.dst.CreateToken(ctx, t); err != nil {
			return err
		}
		mg.n.Tokens++
	}
	return nil
}

// sessions copies the web console's sessions after the tokens they were
// made from, a page per destination transaction: the hash of each id,
// its token's id and its times, so a session cookie signed in on the
// source is one on the destination (the CSRF token derives from the id,
// which neither store holds).
func (mg *migration) sessions(ctx context.Context) error {
	list, err := mg.src.ListSessions(ctx)
	if err != nil {
		return err
	}
	for len(list) > 0 {
		page := list[:min(len(list), migratePage)]
		list = list[len(page):]
		if err := putPage(ctx, mg.dst, page, store.Store.PutSession); err != nil {
			return err
		}
		mg.n.Sessions += len(page)
	}
	return nil
}

// audit appends the audit log in order, a page per transaction.
func (mg *migration) audit(ctx context.Context) error {
	for after := uint64(0); ; {
		recs, err := mg.src.ListAudit(ctx, after, migratePage)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		after = recs[len(recs)-1].Seq
		if err := putPage(ctx, mg.dst, recs, store.Store.AppendAudit); err != nil {
			return err
		}
		mg.n.AuditRecords += len(recs)
	}
}

// putPage writes a page of records into dst in one transaction.
func putPage[T any](ctx context.Context, dst store.Store, page []*T, put func(store.Store, context.Context, *T) error) error {
	return dst.Batch(ctx, func(b store.Store) error {
		for _, r := range page {
			if err := put(b, ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// countStore counts every record of st, reading events and audit records
// a page at a time.
func countStore(ctx context.Context, st store.Store) (api.StoreCounts, error) {
	var c api.StoreCounts
	err := st.Batch(ctx, func(s store.Store) error {
		c = api.StoreCounts{}
		bps, err := s.ListBlueprints(ctx)
		if err != nil {
			return err
		}
		ds, err := s.ListDeployments(ctx, "")
		if err != nil {
			return err
		}
		c.Blueprints, c.Deployments = len(bps), len(ds)
		for _, d := range ds {
			insts, err := s.ListNodeInstances(ctx, d.ID, "")
			if err != nil {
				return err
			}
			c.NodeInstances += len(insts)
		}
		deps, err := s.ListDependencies(ctx, store.DependencyFilter{})
		if err != nil {
			return err
		}
		c.Dependencies = len(deps)
		es, err := s.ListExecutions(ctx, "")
		if err != nil {
			return err
		}
		c.Executions = len(es)
		for _, e := range es {
			tasks, err := s.ListTasks(ctx, e.ID)
			if err != nil {
				return err
			}
			c.Tasks += len(tasks)
			n, err := paged(func(after uint64) ([]uint64, error) { return seqs(s.Events(ctx, e.ID, after, migratePage)) })
			if err != nil {
				return err
			}
			c.Events += n
		}
		secrets, err := s.ListSecrets(ctx)
		if err != nil {
			return err
		}
		tokens, err := s.ListTokens(ctx)
		if err != nil {
			return err
		}
		sessions, err := s.ListSessions(ctx)
		if err != nil {
			return err
		}
		c.Secrets, c.Tokens, c.Sessions = len(secrets), len(tokens), len(sessions)
		c.AuditRecords, err = paged(func(after uint64) ([]uint64, error) { return seqs(s.ListAudit(ctx, after, migratePage)) })
		return err
	})
	return c, err
}

// paged counts what page returns, page after page, each after the last
// number seen.
func paged(page func(after uint64) ([]uint64, error)) (int, error) {
	n := 0
	for after := uint64(0); ; {
		got, err := page(after)
		if err != nil || len(got) == 0 {
			return n, err
		}
		n += len(got)
		after = got[len(got)-1]
	}
}

// seqs returns the sequence numbers of events or audit records.
func seqs[T any](list []*T, err error) ([]uint64, error) {
	if err != nil {
		return nil, err
	}
	out := make([]uint64, 0, len(list))
	for _, r := range list {
		switch v := any(r).(type) {
		case *store.Event:
			out = append(out, v.Seq)
		case *store.AuditRecord:
			out = append(out, v.Seq)
		}
	}
	return out, nil
}

// describeCounts names the non-zero counts, e.g. "2 blueprints, 3 deployments".
func describeCounts(c api.StoreCounts) string {
	var out []string
	for _, p := range []struct {
		n    int
		what string
	}{
		{c.Blueprints, "blueprints"}, {c.Deployments, "deployments"}, {c.NodeInstances, "node instances"},
		{c.Dependencies, "dependencies"}, {c.Executions, "executions"}, {c.Tasks, "task records"}, {c.Events, "events"},
		{c.Secrets, "secrets"}, {c.Tokens, "tokens"}, {c.Sessions, "console sessions"}, {c.AuditRecords, "audit records"},
	} {
		if p.n > 0 {
			out = append(out, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(out) == 0 {
		return "no records"
	}
	return strings.Join(out, ", ")
}
