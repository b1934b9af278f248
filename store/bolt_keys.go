package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Bucket layout (every record is JSON; "\x00" separates index key parts,
// which is why ids may not contain NUL):
//
//	meta                   "schema" -> schemaVersion
//	blueprints             <bp> -> Blueprint
//	blueprint_archives     <bp> -> tar.gz
//	blueprint_deployments  <bp>\0<dep> -> ""            (index)
//	blueprint_importers    <bp>\0<importer bp> -> ""    (index)
//	blueprint_executions   <bp>\0<exec> -> ""           (index: HeldBlueprint)
//	deployments            <dep> -> Deployment (no plan)
//	plans                  <dep> -> tosca.Plan (no node instances)
//	instances              <dep>/ <inst> -> NodeInstance  (bucket per deployment)
//	instance_nodes         <dep>/ <node>\0<inst> -> ""   (index, bucket per deployment)
//	executions             <exec> -> Execution
//	deployment_executions  <dep>\0<exec> -> ""           (index)
//	tasks                  <exec>/ <task> -> Task         (bucket per execution)
//	events                 <exec>/ be64(seq) -> Event     (bucket per execution, NextSequence)
//	dependencies           <src>\0<creator> -> Dependency
//	dependents             <dst>\0<src>\0<creator> -> "" (index)
//	secrets                <key> -> Secret
//	tokens                 <token id> -> Token (hash of the secret, never the secret)
//	audit                  be64(seq) -> AuditRecord  (append-only, NextSequence)
//	sessions               <sha256 of the session id> -> Session (never the id)
//	deleted_executions     <exec> -> Execution (tombstone: DeletedAt set)
//	deleted_by_time        be64(DeletedAt ns)\0<exec> -> "" (index, pruned from the front)
//
// Every lookup is a key get or a prefix scan of one deployment's or one
// execution's range: nothing scans all records of a kind to find a few.
var (
	bktMeta          = []byte("meta")
	bktBlueprints    = []byte("blueprints")
	bktArchives      = []byte("blueprint_archives")
	bktBPDeployments = []byte("blueprint_deployments")
	bktDeployments   = []byte("deployments")
	bktPlans         = []byte("plans")
	bktInstances     = []byte("instances")
	bktInstanceNodes = []byte("instance_nodes")
	bktExecutions    = []byte("executions")
	bktDepExecutions = []byte("deployment_executions")
	bktTasks         = []byte("tasks")
	bktEvents        = []byte("events")
	bktDependencies  = []byte("dependencies")
	bktDependents    = []byte("dependents")
	bktSecrets       = []byte("secrets")
	bktTokens        = []byte("tokens")
	bktAudit         = []byte("audit")
	// bktSessions is made when first written (sessionsBucket), so a store
	// file older than it still checks clean.
	bktSessions = []byte("sessions")
	// bktDeleted, bktDeletedByTime and bktDeletedEvents are made when
	// first written (putTombstones), as bktSessions.
	bktDeleted       = []byte("deleted_executions")
	bktDeletedByTime = []byte("deleted_by_time")
	// bktBPImporters and bktBPExecutions are made when first written, as
	// bktSessions: who keeps a blueprint from deletion besides its
	// deployments (the blueprints that import it; the deployment updates
	// that move a deployment to it). bktBPImporters is filled when made
	// (importersIndex).
	bktBPImporters  = []byte("blueprint_importers")
	bktBPExecutions = []byte("blueprint_executions")
	// bktDeletedEvents holds, under each tombstone's execution id, the
	// events bucket it had (moved there, not copied).
	bktDeletedEvents = []byte("deleted_events")

	allBuckets = [][]byte{bktMeta, bktBlueprints, bktArchives, bktBPDeployments, bktDeployments,
		bktPlans, bktInstances, bktInstanceNodes, bktExecutions, bktDepExecutions, bktTasks,
		bktEvents, bktDependencies, bktDependents, bktSecrets, bktTokens, bktAudit}
)

const schemaVersion = 1

var keySchema = []byte("schema")

// initSchema creates the buckets and checks the schema version.
func initSchema(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bktMeta)
	if v := meta.Get(keySchema); v != nil {
		n, err := strconv.Atoi(string(v))
		if err != nil || n > schemaVersion {
			return fmt.Errorf("store schema version %q is newer than this gantry understands (%d): upgrade gantry", v, schemaVersion)
		}
		return nil
	}
	return meta.Put(keySchema, []byte(strconv.Itoa(schemaVersion)))
}

// bucket returns a top-level bucket, or an error if the file lost it
// (e.g. it was replaced by an empty file since OpenBolt).
func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("store file %s is not initialised (bucket %s missing; was it replaced?)", tx.DB().Path(), name)
	}
	return b, nil
}

// putEntry adds index entry k to the bucket made when first written.
func putEntry(tx *bolt.Tx, name, k []byte) error {
	b, err := tx.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	return b.Put(k, empty)
}

// delEntry removes index entry k from a bucket made when first written.
func delEntry(tx *bolt.Tx, name, k []byte) error {
	if b := tx.Bucket(name); b != nil {
		return b.Delete(k)
	}
	return nil
}

// entriesUnder returns what follows id in the entries of a bucket made
// when first written (none while it is not).
func entriesUnder(tx *bolt.Tx, name []byte, id string) []string {
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	var out []string
	for _, k := range keysWithPrefix(b, prefix(id)) {
		out = append(out, string(k[len(id)+1:]))
	}
	return out
}

// key joins index key parts with NUL.
func key(parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// prefix is key(parts...) followed by the separator, for prefix scans.
func prefix(parts ...string) []byte { return append(key(parts...), 0) }

// scanPrefix calls fn for every key with prefix p, in key order. Keys are
// only valid during fn.
func scanPrefix(b *bolt.Bucket, p []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// keysWithPrefix collects the keys with prefix p (copies, safe to delete).
func keysWithPrefix(b *bolt.Bucket, p []byte) [][]byte {
	var keys [][]byte
	_ = scanPrefix(b, p, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	return keys
}

// seqKey encodes an event sequence number so that keys sort numerically.
func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// scanSeq decodes up to limit (<= 0: all) records of a bucket keyed by
// seqKey whose sequence number is above afterSeq, in order.
func scanSeq[T any](b *bolt.Bucket, kind string, afterSeq uint64, limit int) ([]*T, error) {
	var out []*T
	if afterSeq == ^uint64(0) {
		return nil, nil
	}
	c := b.Cursor()
	for k, val := c.Seek(seqKey(afterSeq + 1)); k != nil; k, val = c.Next() {
		if limit > 0 && len(out) >= limit {
			break
		}
		rec := new(T)
		if err := decodeJSON(b, kind, k, val, rec); err != nil {
			return nil, err
		}
		if r, ok := any(rec).(interface{ setSeq(uint64) }); ok {
			r.setSeq(binary.BigEndian.Uint64(k))
		}
		out = append(out, rec)
	}
	return out, nil
}

// getJSON decodes the record at k into out; false if there is none.
func getJSON(b *bolt.Bucket, kind string, k []byte, out any) (bool, error) {
	v := b.Get(k)
	if v == nil {
		return false, nil
	}
	return true, decodeJSON(b, kind, k, v, out)
}

// decodeJSON decodes the record v (at k in b) into out. Gantry wrote every
// record as JSON: one that does not decode is damage (ErrDamaged).
func decodeJSON(b *bolt.Bucket, kind string, k, v []byte, out any) error {
	if err := json.Unmarshal(v, out); err != nil {
		return damagedError(b.Tx().DB().Path(), fmt.Sprintf("%s %q is undecodable: %v", kind, k, err))
	}
	return nil
}

// putJSON encodes v and stores it at k.
func putJSON(b *bolt.Bucket, kind string, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", kind, k, err)
	}
	if err := b.Put(k, data); err != nil {
		return fmt.Errorf("write %s %q: %w", kind, k, err)
	}
	return nil
}

var empty = []byte{}
