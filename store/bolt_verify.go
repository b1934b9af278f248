package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"syscall"
)

// The bbolt file format (go.etcd.io/bbolt v1.4, format version 2), as far
// as verifyFile reads it. Every page starts with a 16-byte header; page n
// is at n*pageSize and runs over `overflow` further pages.
const (
	pageHeaderSize  = 16 // id u64, flags u16, count u16, overflow u32
	elemSize        = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHeaderLen = 16 // root pgid u64, sequence u64

	pageBranch   = 0x01
	pageLeaf     = 0x02
	pageMeta     = 0x04
	pageFreelist = 0x10
	leafIsBucket = 0x01

	boltMagic   = 0xED0CDAED
	boltVersion = 2
	// metaSumLen is how many bytes of the meta the checksum covers: magic,
	// version, page size, flags (4 each), root bucket (16), freelist, high
	// water mark, txid (8 each); the checksum follows.
	metaSumLen   = 56
	noFreelist   = ^uint64(0)
	maxTreeDepth = 64
	// maxProblems bounds how many problems one check describes.
	maxProblems = 20
)

// emptyFile describes a 0-byte store file (which bbolt would silently
// initialise as a new, empty store).
const emptyFile = "the file is empty (0 bytes)"

// endian is the byte order bbolt writes (the machine's own).
var endian = binary.NativeEndian

// boltMeta is a decoded meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64 // high water mark: pages [0, hwm) are in use or free
	txid     uint64
}

// parseMeta decodes the meta page in buf (which starts with the page
// header) and validates it as bbolt does: magic, version, checksum.
func parseMeta(buf []byte) (*boltMeta, string) {
	if len(buf) < pageHeaderSize+metaSumLen+8 {
		return nil, "too short for a header"
	}
	m := buf[pageHeaderSize:]
	switch {
	case endian.Uint32(m[0:]) != boltMagic:
		return nil, "no bbolt magic number (not a Gantry store, or its header is overwritten)"
	case endian.Uint32(m[4:]) != boltVersion:
		return nil, fmt.Sprintf("bbolt format version %d, want %d", endian.Uint32(m[4:]), boltVersion)
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:metaSumLen])
	if h.Sum64() != endian.Uint64(m[metaSumLen:]) {
		return nil, "header checksum mismatch"
	}
	meta := &boltMeta{
		pageSize: endian.Uint32(m[8:]),
		root:     endian.Uint64(m[16:]),
		freelist: endian.Uint64(m[32:]),
		hwm:      endian.Uint64(m[40:]),
		txid:     endian.Uint64(m[48:]),
	}
	if ps := meta.pageSize; ps < 512 || ps > 1<<20 || ps&(ps-1) != 0 {
		return nil, fmt.Sprintf("page size %d is not a power of two between 512 and 1 MiB", ps)
	}
	return meta, ""
}

// verifyFile checks the structure of the bbolt file at path without
// trusting it: it reads pages with bounds-checked reads (no mmap, so a
// truncated file cannot fault) and follows bbolt's own rules: one valid
// meta page (the newest valid one is used, as bbolt does), every page
// below the high water mark within the file, reachable from the root
// exactly once or free, of the right type, with elements inside the page,
// keys in order, and buckets well formed. It returns the problems found
// (at most maxProblems); an error only when the file cannot be read.
func verifyFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	v := &verifier{f: f, size: fi.Size()}
	// The pages are read through a read-only memory map (the walk touches
	// each page once, in tree order): bounds-checked slices, and a fault
	// (the file shrank meanwhile) is a recovered panic.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v.run(func(n int64) ([]byte, error) {
		data, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
		if err != nil {
			return nil, err
		}
		v.unmap = func() { _ = syscall.Munmap(data) }
		return data, nil
	})
	if v.unmap != nil {
		v.unmap()
	}
	return v.problems, nil
}

type verifier struct {
	f        io.ReaderAt
	size     int64
	data     []byte // pages [0, hwm)
	unmap    func()
	meta     *boltMeta
	psz      uint64
	reached  []uint64 // bitset of pages reached from the root or the freelist
	free     []uint64 // bitset of free pages
	problems []string
}

func (v *verifier) addf(format string, args ...any) {
	if len(v.problems) < maxProblems {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

func (v *verifier) full() bool { return len(v.problems) >= maxProblems }

func bitGet(set []uint64, i uint64) bool { return set[i/64]&(1<<(i%64)) != 0 }
func bitSet(set []uint64, i uint64)      { set[i/64] |= 1 << (i % 64) }

func (v *verifier) run(mapPages func(n int64) ([]byte, error)) {
	defer func() {
		// The reads are bounds-checked; a slip in this code must still end
		// as "damaged", never as a crash.
		if r := recover(); r != nil {
			v.addf("unreadable structure (%v)", r)
		}
	}()
	if v.size == 0 {
		v.addf(emptyFile)
		return
	}
	if !v.readMeta() {
		return
	}
	m := v.meta
	if need := m.hwm * v.psz; m.hwm < 2 || need/v.psz != m.hwm || int64(need) > v.size || int64(need) < 0 {
		v.addf("the file is %d bytes, shorter than the %d pages of %d bytes its header records (truncated?)", v.size, m.hwm, v.psz)
		return
	}
	data, err := mapPages(int64(m.hwm * v.psz))
	if err != nil {
		v.addf("cannot map the file: %v", err)
		return
	}
	v.data = data
	words := (m.hwm + 63) / 64
	v.reached, v.free = make([]uint64, words), make([]uint64, words)
	bitSet(v.reached, 0)
	bitSet(v.reached, 1)
	if m.freelist != noFreelist {
		v.readFreelist(m.freelist)
	}
	if m.root < 2 || m.root >= m.hwm {
		v.addf("root page %d is outside the file's %d pages", m.root, m.hwm)
		return
	}
	v.walk(m.root, nil, nil, 0)
	if len(v.problems) > 0 {
		return // pages below a broken one are unreached: no news
	}
	for id := uint64(2); id < m.hwm; id++ {
		if !bitGet(v.reached, id) && !bitGet(v.free, id) {
			v.addf("page %d: neither reachable nor free", id)
		}
	}
}

// readMeta finds the meta page bbolt would use: the valid one with the
// higher txid.
func (v *verifier) readMeta() bool {
	head := make([]byte, 1<<12)
	n, _ := v.f.ReadAt(head, 0)
	m0, why0 := parseMeta(head[:n])
	var m1 *boltMeta
	why1 := "not found"
	// meta 1 is one page after meta 0; without a valid meta 0 the page
	// size is unknown, so try every plausible one.
	sizes := []uint32{512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}
	if m0 != nil {
		sizes = []uint32{m0.pageSize}
	}
	for _, ps := range sizes {
		buf := make([]byte, pageHeaderSize+metaSumLen+8)
		if n, _ := v.f.ReadAt(buf, int64(ps)); n < len(buf) {
			continue
		}
		if m, why := parseMeta(buf); m != nil && m.pageSize == ps {
			m1 = m
			break
		} else if why != "" {
			why1 = why
		}
	}
	switch {
	case m0 == nil && m1 == nil:
		v.addf("no valid header (%s)", why0)
		if why1 != why0 {
			v.addf("no valid second header (%s)", why1)
		}
		return false
	case m0 != nil && m1 != nil && m0.pageSize != m1.pageSize:
		v.addf("the two headers disagree on the page size (%d, %d)", m0.pageSize, m1.pageSize)
		return false
	case m0 == nil || (m1 != nil && m1.txid > m0.txid):
		v.meta = m1
	default:
		v.meta = m0
	}
	v.psz = uint64(v.meta.pageSize)
	return true
}

// page reads page id with its overflow pages and marks them reached. It
// returns nil (having described the problem) if the page is out of range,
// reached before, free, or of another type than want.
func (v *verifier) page(id uint64, want uint16, what string) []byte {
	if id < 2 || id >= v.meta.hwm {
		v.addf("%s: page %d is outside the file's %d pages", what, id, v.meta.hwm)
		return nil
	}
	hdr := v.data[id*v.psz:]
	pid, flags, overflow := endian.Uint64(hdr), endian.Uint16(hdr[8:]), uint64(endian.Uint32(hdr[12:]))
	switch {
	case pid != id:
		v.addf("%s: page %d says it is page %d", what, id, pid)
		return nil
	case flags&want == 0:
		v.addf("%s: page %d has type %#x, want %#x", what, id, flags, want)
		return nil
	case id+overflow >= v.meta.hwm:
		v.addf("%s: page %d runs over %d pages, beyond the file's %d", what, id, overflow, v.meta.hwm)
		return nil
	}
	for p := id; p <= id+overflow; p++ {
		switch {
		case bitGet(v.reached, p):
			v.addf("%s: page %d is referenced twice", what, p)
			return nil
		case bitGet(v.free, p):
			v.addf("%s: page %d is in use and free", what, p)
			return nil
		}
		bitSet(v.reached, p)
	}
	return v.data[id*v.psz : (id+1+overflow)*v.psz]
}

func (v *verifier) readFreelist(id uint64) {
	buf := v.page(id, pageFreelist, "freelist")
	if buf == nil {
		return
	}
	count, start := uint64(endian.Uint16(buf[10:])), uint64(pageHeaderSize)
	if count == 0xFFFF {
		count, start = endian.Uint64(buf[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(buf))-start)/8 {
		v.addf("freelist: %d entries do not fit its page", count)
		return
	}
	for i := uint64(0); i < count; i++ {
		p := endian.Uint64(buf[start+8*i:])
		switch {
		case p < 2 || p >= v.meta.hwm:
			v.addf("freelist: page %d is outside the file's %d pages", p, v.meta.hwm)
			return
		case bitGet(v.free, p):
			v.addf("freelist: page %d is free twice", p)
			return
		case bitGet(v.reached, p):
			v.addf("freelist: page %d is the freelist itself", p)
			return
		}
		bitSet(v.free, p)
	}
}

// walk checks the B+tree page id, whose keys must lie in [lo, hi) (nil:
// unbounded).
func (v *verifier) walk(id uint64, lo, hi []byte, depth int) {
	if v.full() {
		return
	}
	if depth > maxTreeDepth {
		v.addf("page %d: tree deeper than %d", id, maxTreeDepth)
		return
	}
	buf := v.page(id, pageBranch|pageLeaf, "tree")
	if buf == nil {
		return
	}
	v.node(buf, pageName(id), lo, hi, depth)
}

// pageName names a page in a problem.
type pageName uint64

func (p pageName) String() string { return fmt.Sprintf("page %d", uint64(p)) }

// inlineName names a bucket's inline page in a problem.
type inlineName struct {
	in  fmt.Stringer
	key []byte
}

func (b inlineName) String() string { return fmt.Sprintf("%s: bucket %q", b.in, b.key) }

// node checks one branch or leaf node (a page, or a bucket's inline page).
func (v *verifier) node(buf []byte, where fmt.Stringer, lo, hi []byte, depth int) {
	flags, count := endian.Uint16(buf[8:]), int(endian.Uint16(buf[10:]))
	if flags != pageBranch && flags != pageLeaf {
		v.addf("%s: type %#x is neither branch nor leaf", where, flags)
		return
	}
	if pageHeaderSize+count*elemSize > len(buf) {
		v.addf("%s: %d elements do not fit", where, count)
		return
	}
	if flags == pageBranch && count == 0 {
		v.addf("%s: empty branch", where)
		return
	}
	prev := lo
	for i := 0; i < count; i++ {
		at := pageHeaderSize + i*elemSize
		el := buf[at : at+elemSize]
		var pos, ksize, vsize uint64
		if flags == pageBranch {
			pos, ksize = uint64(endian.Uint32(el)), uint64(endian.Uint32(el[4:]))
		} else {
			pos, ksize, vsize = uint64(endian.Uint32(el[4:])), uint64(endian.Uint32(el[8:])), uint64(endian.Uint32(el[12:]))
		}
		start := uint64(at) + pos
		if start+ksize+vsize > uint64(len(buf)) {
			v.addf("%s: element %d lies outside the page", where, i)
			return
		}
		k := buf[start : start+ksize]
		if (prev != nil && bytes.Compare(k, prev) < 0) || (i > 0 && bytes.Equal(k, prev)) || (hi != nil && bytes.Compare(k, hi) >= 0) {
			v.addf("%s: key %d (%q) out of order", where, i, k)
			return
		}
		prev = k
		if flags == pageBranch {
			next := hi
			if i+1 < count {
				nat := pageHeaderSize + (i+1)*elemSize
				npos, nks := uint64(endian.Uint32(buf[nat:])), uint64(endian.Uint32(buf[nat+4:]))
				if s := uint64(nat) + npos; s+nks <= uint64(len(buf)) {
					next = buf[s : s+nks]
				}
			}
			v.walk(endian.Uint64(el[8:]), k, next, depth+1)
		} else if endian.Uint32(el)&leafIsBucket != 0 {
			v.bucket(buf[start+ksize:start+ksize+vsize], where, k, depth)
		}
		if v.full() {
			return
		}
	}
}

// bucket checks a bucket's header and its tree (or its inline page).
func (v *verifier) bucket(val []byte, in fmt.Stringer, name []byte, depth int) {
	where := inlineName{in, name}
	if len(val) < bucketHeaderLen {
		v.addf("%s: header too short", where)
		return
	}
	root := endian.Uint64(val)
	if root != 0 {
		v.walk(root, nil, nil, depth+1)
		return
	}
	inline := val[bucketHeaderLen:]
	if len(inline) < pageHeaderSize {
		v.addf("%s: inline page too short", where)
		return
	}
	if endian.Uint16(inline[8:]) != pageLeaf {
		v.addf("%s: inline page is not a leaf", where)
		return
	}
	v.node(inline, where, nil, nil, depth+1)
}
