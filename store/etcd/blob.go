package etcdstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

// Values that can outgrow one etcd request (a deployment's plan: 1.5 MB of
// JSON for 1,000 nodes) are stored as a blob: gzip-compressed JSON cut
// into chunks of Options.ArchiveChunk bytes under the content's digest,
// plus a small manifest naming the digest. New chunks never overwrite an
// old version's, and old chunks are deleted only after the write's
// commit point, so a reader that goes through the manifest always finds
// whole chunks of one version. A small blob is one chunk, written with
// its manifest in one transaction. The one blob is a deployment's plan,
// whose commit point is its record (deployments.go: manifest.Owner).

// manifest is the value at a blob's key.
type manifest struct {
	SHA256 string `json:"sha256"` // of the compressed bytes
	Size   int    `json:"size"`
	Chunks int    `json:"chunks"`
	// Owner and Prev tie a deployment's plan to its record
	// (deployments.go): Owner is the SHA-256 of the record written with
	// this plan; Prev, until that record is written, the plan before.
	Owner string    `json:"owner,omitempty"`
	Prev  *manifest `json:"prev,omitempty"`
}

// maxBlobJSON bounds a blob's decompressed size (a decompression bomb
// planted in the store cannot exhaust memory).
const maxBlobJSON = 256 << 20

// writeChunks buffers the chunks of v's blob (named by their content's
// digest: they never overwrite another version's) and returns its
// manifest, not written.
func (v *view) writeChunks(t *tx, kind, key, chunkPrefix string, val any) (*manifest, error) {
	raw, err := json.Marshal(val)
	if err != nil {
		return nil, fmt.Errorf("encode %s %q: %w", kind, key, err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress %s %q: %w", kind, key, err)
	}
	data := buf.Bytes()
	sum := sha256.Sum256(data)
	m := &manifest{SHA256: hex.EncodeToString(sum[:]), Size: len(data)}
	n := v.s.opts.ArchiveChunk
	for i := 0; i*n < len(data) || i == 0; i++ {
		t.putRaw(blobChunk(chunkPrefix, m.SHA256, i), data[i*n:min(len(data), (i+1)*n)])
		m.Chunks++
	}
	return m, nil
}

// blobChunk is the key of chunk i of the blob whose digest is sha.
func blobChunk(chunkPrefix, sha string, i int) string {
	return chunkPrefix + sha + sep + fmt.Sprintf("%06d", i)
}

// dropChunks buffers the deletion of old's chunks, unless they are now's.
func dropChunks(t *tx, chunkPrefix string, old, now *manifest) {
	if old == nil || old.SHA256 == now.SHA256 {
		return
	}
	for i := range old.Chunks {
		t.del(blobChunk(chunkPrefix, old.SHA256, i))
	}
}

func (v *view) blobManifest(ctx context.Context, t *tx, kind, key string) (*manifest, error) {
	var m manifest
	ok, err := t.get(ctx, kind, key, &m)
	if err != nil || !ok {
		return nil, err
	}
	return &m, nil
}

// readChunks reads and decodes the chunks m names.
func (v *view) readChunks(ctx context.Context, t *tx, kind, key, chunkPrefix string, m *manifest, out any) error {
	chunks, err := t.scan(ctx, chunkPrefix+m.SHA256+sep, false)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, c := range chunks {
		buf.Write(c.val)
	}
	return decodeBlob(kind, key, m, buf.Bytes(), len(chunks), out)
}

// decodeBlob checks the chunks against the manifest and decodes them.
func decodeBlob(kind, key string, m *manifest, data []byte, chunks int, out any) error {
	sum := sha256.Sum256(data)
	if chunks != m.Chunks || len(data) != m.Size || hex.EncodeToString(sum[:]) != m.SHA256 {
		return fmt.Errorf("%s %q: incomplete or damaged (%d of %d chunks, %d of %d bytes)", kind, key, chunks, m.Chunks, len(data), m.Size)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s %q: %w", kind, key, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxBlobJSON+1))
	if err != nil {
		return fmt.Errorf("%s %q: %w", kind, key, err)
	}
	if len(raw) > maxBlobJSON {
		return fmt.Errorf("%s %q: more than %d bytes decompressed", kind, key, maxBlobJSON)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %s %q: %w", kind, key, err)
	}
	return nil
}
