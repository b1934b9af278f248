package etcdstore

import (
	"fmt"
	"strings"
)

// Key kinds: the first segment after the store's prefix. The layout is
// documented in doc.go; ids never contain NUL (store.CheckID), which is
// why NUL ends every id that another segment follows, so that a prefix
// scan of one deployment or execution never reaches another whose id
// merely starts the same.
const (
	kindSchema    = "schema"
	kindBlueprint = "bp/"
	kindArchive   = "bpa/"
	kindBPDeps    = "bpdep/"
	kindBPImport  = "bpimp/"
	// kindBPImportWhole marks the bpimp index whole (importersIndex).
	kindBPImportWhole = "bpimpwhole"
	kindBPExec        = "bpexec/"
	kindDeploy        = "dep/"
	kindPlan          = "plan/"
	kindPlanChunk     = "planc/"
	kindInstance      = "inst/"
	kindInstNode      = "instnode/"
	kindExec          = "exec/"
	kindDepExec       = "depexec/"
	kindTask          = "task/"
	kindEvent         = "event/"
	kindEventSeq      = "evseq/"
	kindDepend        = "dpy/"
	kindDependent     = "dpyto/"
	kindSecret        = "secret/"
	kindToken         = "token/"
	kindAudit         = "audit/"
	kindAuditSeq      = "auditseq"
	kindSession       = "session/"
	kindClaim         = "claim/"
	kindQueue         = "queue/"
	kindWorker        = "worker/"
	kindDeleted       = "deleted/"
)

const sep = "\x00"

// keys builds the keys of one store (its prefix, e.g. "/gantry/").
type keys struct{ p string }

func (k keys) join(kind string, parts ...string) string {
	return k.p + kind + strings.Join(parts, sep)
}

// under is the prefix of every key whose first parts are parts.
func (k keys) under(kind string, parts ...string) string {
	return k.join(kind, parts...) + sep
}

func (k keys) all(kind string) string { return k.p + kind }

func (k keys) schema() string              { return k.p + kindSchema }
func (k keys) blueprint(id string) string  { return k.join(kindBlueprint, id) }
func (k keys) bpDep(bp, dep string) string { return k.join(kindBPDeps, bp, dep) }
func (k keys) deployment(id string) string { return k.join(kindDeploy, id) }
func (k keys) plan(id string) string       { return k.join(kindPlan, id) }

// bpImporter is the entry of a blueprint that imports bp.
func (k keys) bpImporter(bp, importer string) string { return k.join(kindBPImport, bp, importer) }

// bpExec is the entry of an execution that holds bp (HeldBlueprint).
func (k keys) bpExec(bp, exec string) string { return k.join(kindBPExec, bp, exec) }

// planChunks is the prefix of a plan's blob chunks (blob.go).
func (k keys) planChunks(id string) string { return k.under(kindPlanChunk, id) }
func (k keys) execution(id string) string  { return k.join(kindExec, id) }
func (k keys) secret(key string) string    { return k.join(kindSecret, key) }
func (k keys) token(id string) string      { return k.join(kindToken, id) }
func (k keys) auditSeq() string            { return k.p + kindAuditSeq }
func (k keys) session(key string) string   { return k.join(kindSession, key) }
func (k keys) claim(exec string) string    { return k.join(kindClaim, exec) }
func (k keys) queue(exec string) string    { return k.join(kindQueue, exec) }
func (k keys) worker(name string) string   { return k.join(kindWorker, name) }
func (k keys) deleted(exec string) string  { return k.join(kindDeleted, exec) }

// audit keys sort by sequence: 16 hex digits.
func (k keys) audit(seq uint64) string { return k.join(kindAudit, fmt.Sprintf("%016x", seq)) }

// archiveChunk: blueprint archives are split into chunks of
// Options.ArchiveChunk bytes under their content's digest.
func (k keys) archiveChunk(bp, sha string, n int) string {
	return k.join(kindArchive, bp, sha, fmt.Sprintf("%06d", n))
}

func (k keys) instance(dep, id string) string { return k.join(kindInstance, dep, id) }
func (k keys) instNode(dep, node, id string) string {
	return k.join(kindInstNode, dep, node, id)
}
func (k keys) depExec(dep, exec string) string { return k.join(kindDepExec, dep, exec) }
func (k keys) task(dep, exec, id string) string {
	return k.join(kindTask, dep, exec, id)
}

// event keys sort by sequence: 16 hex digits.
func (k keys) event(dep, exec string, seq uint64) string {
	return k.join(kindEvent, dep, exec, fmt.Sprintf("%016x", seq))
}
func (k keys) eventSeq(dep, exec string) string { return k.join(kindEventSeq, dep, exec) }
func (k keys) dependency(src, creator string) string {
	return k.join(kindDepend, src, creator)
}
func (k keys) dependent(dst, src, creator string) string {
	return k.join(kindDependent, dst, src, creator)
}

// split returns the NUL-separated parts of key after kind's prefix.
func (k keys) split(kind, key string) []string {
	return strings.Split(strings.TrimPrefix(key, k.p+kind), sep)
}
