package plan

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
)

const (
	idAlphabet  = "0123456789abcdefghijklmnopqrstuvwxyz"
	idSuffixLen = 6
	idSpace     = 36 * 36 * 36 * 36 * 36 * 36 // 36^6 suffixes
)

// idGen hands out unique "<name>_<6 chars [0-9a-z]>" ids. With a non-zero
// seed the sequence is reproducible; a suffix that collides with an id
// already taken is drawn again.
type idGen struct {
	rng   *rand.Rand
	taken map[string]struct{}
	buf   []byte
}

func newIDGen(seed int64, sizeHint int) *idGen {
	s := uint64(seed)
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails on supported platforms
		s = binary.LittleEndian.Uint64(b[:])
	}
	return &idGen{
		rng:   rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15)),
		taken: make(map[string]struct{}, sizeHint),
	}
}

// reserve marks an existing id as taken.
func (g *idGen) reserve(id string) { g.taken[id] = struct{}{} }

// next returns a fresh id for name.
func (g *idGen) next(name string) string {
	for {
		g.buf = append(g.buf[:0], name...)
		g.buf = append(g.buf, '_')
		n := g.rng.Uint64N(idSpace)
		var suf [idSuffixLen]byte
		for i := idSuffixLen - 1; i >= 0; i-- {
			suf[i] = idAlphabet[n%36]
			n /= 36
		}
		g.buf = append(g.buf, suf[:]...)
		id := string(g.buf)
		if _, dup := g.taken[id]; !dup {
			g.taken[id] = struct{}{}
			return id
		}
	}
}
