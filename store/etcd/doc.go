// Package etcdstore is the etcd v3 backend of store.Store, for several
// Gantry servers and workers sharing one state: `--store
// etcd://HOST:PORT[,HOST:PORT...][/PREFIX][?ca=F&cert=F&key=F]` (or
// $GANTRY_STORE). Importing it registers the etcd scheme with store.Open.
// It passes the whole store/storetest contract suite against a real
// 3-member cluster (contract_test.go, testenv.StartEtcdCluster).
//
// # Key layout
//
// Every key starts with the prefix (default "/gantry/"), then a kind, then
// ids joined by NUL (ids never hold NUL, see store.CheckID), so that the
// keys of one deployment or execution are one prefix range that never
// reaches another whose id merely starts the same. Values are JSON.
//
//	schema                                  "1" (layout version)
//	bp/<bp>                                 Blueprint
//	bpa/<bp>\0<sha256>\0<nnnnnn>            archive chunk n (Options.ArchiveChunk bytes)
//	bpdep/<bp>\0<dep>                       ""  index: blueprint -> deployments
//	bpimp/<bp>\0<importer bp>               ""  index: blueprint -> blueprints importing it
//	bpimpwhole                              ""  the bpimp index is whole (made at the first blueprint write that needs it)
//	bpexec/<bp>\0<exec>                     ""  index: blueprint -> active updates moving to it
//	dep/<dep>                               Deployment (without plan)
//	plan/<dep>                              manifest of the plan's blob (blob.go): digest, size, chunks, its record's digest, the plan before
//	planc/<dep>\0<sha256>\0<nnnnnn>          gzip'd JSON tosca.Plan (without node instances), chunk n
//	inst/<dep>\0<inst>                      NodeInstance
//	instnode/<dep>\0<node>\0<inst>          ""  index: node -> instances
//	exec/<exec>                             Execution
//	depexec/<dep>\0<exec>                   ""  index: deployment -> executions
//	task/<dep>\0<exec>\0<task>              Task
//	event/<dep>\0<exec>\0<16 hex digits>    Event, keyed by its sequence number
//	evseq/<dep>\0<exec>                     last event sequence number (decimal)
//	dpy/<src>\0<creator>                    Dependency
//	dpyto/<dst>\0<src>\0<creator>           ""  index: target -> dependents
//	secret/<key>                            Secret
//	token/<id>                              Token (its secret's SHA-256, never the secret)
//	audit/<16 hex digits>                   AuditRecord, keyed by its sequence number
//	session/<sha256 of the session id>      Session (never the id)
//	auditseq                                last audit sequence number (decimal)
//	queue/<exec>                            ""  index: queued executions not ended (workers)
//	claim/<exec>                            ClaimInfo, attached to its holder's lease
//	worker/<name>                           WorkerInfo, attached to its worker's lease
//	deleted/<exec>                          Execution: tombstone of one deleted with its deployment,
//	                                        on a lease of DeletedExecutionTTL (+1 s) of its deletion;
//	                                        its events are read at the revision before its own
//	                                        (DeletedEvents, deleted.go): DeleteDeployment writes
//	                                        the tombstones before it deletes the events
//
// Per-execution keys live under their deployment, so deleting a
// deployment is a handful of prefix deletes plus one delete per execution
// record, whatever the number of instances, tasks and events. Every
// lookup is a key get or a prefix range: nothing scans all records of a
// kind to find a few. Scans read in pages of Options.PageSize at one
// revision.
//
// # Transactions and etcd's limits
//
// Each Store method (and each Batch) is one optimistic transaction: its
// reads come from one revision (the first read pins it) overlaid with its
// own writes; its writes are buffered in order. At commit every key it
// read is guarded with a compare on its mod revision (create revision
// where only existence mattered, e.g. an execution's record for the
// engine's writes, so that a cancel request does not conflict with them),
// every range it scanned with "nothing in it changed since", and the
// writes follow. If a guard fails, nothing was written and the operation
// runs again from scratch (up to Options.Retries times): Batch's fn may
// therefore run more than once and must act only through the Store it is
// given. A version mismatch of UpdateNodeInstance is found when the
// record is read, as ErrConflict, exactly as on bbolt.
//
// etcd refuses a transaction of more than 128 operations (or compares;
// --max-txn-ops) or 1.5 MiB (--max-request-bytes). The writes are packed,
// in call order, into transactions within Options.MaxTxnOps and
// Options.MaxTxnBytes (1 MiB):
//
//   - A write that fits in one transaction (every small method, and the
//     engine's usual 50 ms flush) is one etcd transaction: all or nothing.
//   - A bigger write (a flush of up to 1,000 items, a deployment of
//     thousands of instances, a blueprint archive, a delete of a
//     deployment with many executions) is several transactions committed
//     in order. Guarantees: (1) the first transaction carries every read
//     guard that fits, so a concurrent change is normally found before
//     anything is written, and the whole operation retries, and the last
//     (the commit point: a create writes its record last) guards again
//     the existence of what the operation required to exist or not and
//     did not write (a deployment's blueprint, a blueprint's imports), so
//     a delete between the two fails the write; (2) each later
//     transaction guards each key it writes against a change since the
//     snapshot or since this operation's own previous transaction, so a
//     write never silently overwrites another client's; when one of them
//     fails, the earlier ones stay and the error wraps store.ErrConflict
//     saying how many were committed; (3) a reader, or a crash, sees a
//     prefix of the writes in call order, never a later write without the
//     earlier ones. The engine writes states, then task records, then
//     events, so a prefix of a flush is what an earlier flush would have
//     left: a task is never recorded done without the state changes before
//     it. Event numbers stay gap-free: the counter moves in the same
//     transaction as each event (its repeated writes collapse into one per
//     transaction).
//   - One record is one key, within MaxTxnBytes: a larger one (e.g. a
//     secret whose sealed value, 4/3 of its size plus JSON escapes, is
//     over 1 MiB) is refused whole with ErrTooLarge naming the key.
//     Blueprint archives and plans are chunked and have no such limit.
//   - Operations that create or delete a whole record with its parts
//     write a commit point so that a reader never sees half of one: a
//     deployment's record is written after its instances and deleted
//     before them; a blueprint's record after its archive chunks. A
//     deployment's record and its plan switch together: the plan's
//     manifest names the record written with it and keeps the plan
//     before it until that record is written (deployments.go). Parts
//     left by a process that died before its commit point are invisible
//     (readers go through the record), reported by Check, and removed when
//     the id is created again.
//
// A transaction the cluster fails to answer (no leader, the leader
// changed or died, the member went away, a timeout: gRPC Unavailable) is
// waited out, up to 30 s (transient.go): the write finds out whether the
// lost attempt was applied (its first key holds its value, written after
// the snapshot: then it counts as committed) and otherwise sends it again
// under the same guards. The reads before it (a transaction's own, and the
// check that the records it took from the cache are current) write
// nothing, so one the cluster does not answer runs the transaction again,
// within the same 30 s. So a leader's death mid-install costs the engine
// a pause, not a failed execution (TestWorkerFaults/EtcdLeaderKilled).
// Past that, and for every other call, such a failure is returned as
// store.ErrUnavailable, as are a call's own time running out and a
// cluster that refuses writes for now (out of space: the NOSPACE alarm;
// too many requests): the caller may try again (a worker does, see
// docs/ha.md). A claim whose transaction got no answer is remembered; the
// next claim of the execution by this process that finds that very value
// under its lease adopts it (claims.go). The client pings its
// connections (gRPC keepalive, options.go): one to a member that stopped
// answering without closing it is ended, and its calls and watches go to
// another member.
//
// The alternative, one key per batch (the whole batch encoded in one
// value, applied by readers), would keep big batches atomic but make
// every read merge logs; and raising --max-txn-ops is not ours to do on a
// user's cluster. Ordered transactions keep one key per record, which is
// what watches, fencing and etcdctl users need.
//
// Inside a Batch, node-instance records may come from a cache of what
// this process last read or wrote (cache.go): the engine's flush reads
// hundreds of them, and one round trip each would dominate it. Before the
// Batch commits, every cached record it used is verified by compare-only
// transactions (128 per round trip); a stale one is forgotten and the
// Batch runs again from fresh reads. So does a Batch whose fn failed
// after using a cached record, when that record proves stale (a version
// check against an instance another client deleted and created again
// would otherwise be a false ErrConflict). A 1,000-item flush costs 10 round
// trips (2 verifications, 8 writes) instead of 260.
//
// # Consistency and watches
//
// Reads are linearizable (etcd's default). Event sequence numbers are
// strictly increasing per execution in commit order, so a follower that
// pages with Events(exec, lastSeq, n) never misses one. Store implements
// store.Watcher: WaitEvents watches the execution's event counter and
// record from the revision it read them at (no change in between is
// missed); WatchExecution streams the record (the engine takes cancel
// requests from it, through manager's workflow.CancelWatcher, instead of
// polling). Watches require a leader: a member cut off from the quorum
// ends them, and callers read again.
package etcdstore
