package tosca

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// PEP 440 versions and version specifiers, as Python's `packaging` reads
// them: a Cloudify 7 manager picks the highest uploaded plugin version
// matching a `plugin:NAME?version=SPEC` import's specifier.

// ErrBadVersionSpec is the condition of a malformed PEP 440 version or
// specifier.
var ErrBadVersionSpec = errors.New("invalid PEP 440 version specifier")

// maxVersionLen bounds what is parsed: a version or specifier is a short
// string; anything longer is refused before any work.
const maxVersionLen = 256

var pep440Re = regexp.MustCompile(`^v?(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?:[-_.]?(?P<prel>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pren>[0-9]+)?)?` +
	`(?:-(?P<postn1>[0-9]+)|[-_.]?(?P<postl>post|rev|r)[-_.]?(?P<postn2>[0-9]+)?)?` +
	`(?:[-_.]?(?P<devl>dev)[-_.]?(?P<devn>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

// pepVersion is a parsed PEP 440 version. A missing pre, post or dev part
// is -1.
type pepVersion struct {
	epoch   int
	release []int
	preKind int // 0 a, 1 b, 2 rc; -1 none
	pre     int
	post    int
	dev     int
	local   []string
}

func atoiBounded(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if len(s) > 9 {
		return 0, fmt.Errorf("%w: number %s is too large", ErrBadVersionSpec, s)
	}
	return strconv.Atoi(s)
}

// parsePEP440 parses a version (case-insensitive, surrounding spaces
// ignored).
func parsePEP440(s string) (pepVersion, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > maxVersionLen {
		return pepVersion{}, fmt.Errorf("%w: version longer than %d characters", ErrBadVersionSpec, maxVersionLen)
	}
	m := pep440Re.FindStringSubmatch(s)
	if m == nil {
		return pepVersion{}, fmt.Errorf("%w: %q is not a PEP 440 version", ErrBadVersionSpec, s)
	}
	g := func(name string) string { return m[pep440Re.SubexpIndex(name)] }
	v := pepVersion{preKind: -1, post: -1, dev: -1}
	var err error
	if v.epoch, err = atoiBounded(g("epoch")); err != nil {
		return v, err
	}
	for _, p := range strings.Split(g("release"), ".") {
		n, err := atoiBounded(p)
		if err != nil {
			return v, err
		}
		v.release = append(v.release, n)
	}
	switch g("prel") {
	case "":
	case "a", "alpha":
		v.preKind = 0
	case "b", "beta":
		v.preKind = 1
	default: // c, rc, pre, preview
		v.preKind = 2
	}
	if v.preKind >= 0 {
		if v.pre, err = atoiBounded(g("pren")); err != nil {
			return v, err
		}
	}
	if n := g("postn1"); n != "" {
		if v.post, err = atoiBounded(n); err != nil {
			return v, err
		}
	} else if g("postl") != "" {
		if v.post, err = atoiBounded(g("postn2")); err != nil {
			return v, err
		}
	}
	if g("devl") != "" {
		if v.dev, err = atoiBounded(g("devn")); err != nil {
			return v, err
		}
	}
	if l := g("local"); l != "" {
		v.local = strings.FieldsFunc(l, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	return v, nil
}

func (v pepVersion) isPre() bool { return v.preKind >= 0 || v.dev >= 0 }

// public is the version without its local part.
func (v pepVersion) public() pepVersion { v.local = nil; return v }

// base is the epoch and release only.
func (v pepVersion) base() pepVersion {
	return pepVersion{epoch: v.epoch, release: v.release, preKind: -1, post: -1, dev: -1}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpRelease(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmpInt(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compare orders versions as packaging.version.Version does.
func (v pepVersion) compare(o pepVersion) int {
	if c := cmpInt(v.epoch, o.epoch); c != 0 {
		return c
	}
	if c := cmpRelease(v.release, o.release); c != 0 {
		return c
	}
	// pre: a dev release of a final sorts before its pre-releases; a
	// final sorts after them.
	preKey := func(x pepVersion) [2]int {
		switch {
		case x.preKind < 0 && x.post < 0 && x.dev >= 0:
			return [2]int{-2, 0}
		case x.preKind < 0:
			return [2]int{3, 0}
		}
		return [2]int{x.preKind, x.pre}
	}
	pa, pb := preKey(v), preKey(o)
	if c := cmpInt(pa[0], pb[0]); c != 0 {
		return c
	}
	if c := cmpInt(pa[1], pb[1]); c != 0 {
		return c
	}
	if c := cmpInt(v.post, o.post); c != 0 {
		return c
	}
	devKey := func(x pepVersion) int {
		if x.dev < 0 {
			return 1 << 40
		}
		return x.dev
	}
	if c := cmpInt(devKey(v), devKey(o)); c != 0 {
		return c
	}
	return cmpLocal(v.local, o.local)
}

// cmpLocal orders local parts: none first, numeric segments above
// alphanumeric ones, shorter first when one is a prefix of the other.
func cmpLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		na, ea := strconv.Atoi(a[i])
		nb, eb := strconv.Atoi(b[i])
		switch {
		case ea == nil && eb == nil:
			if c := cmpInt(na, nb); c != 0 {
				return c
			}
		case ea == nil:
			return 1
		case eb == nil:
			return -1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

// pepClause is one `OP VERSION` of a specifier.
type pepClause struct {
	op      string
	raw     string // the version as written (=== compares strings)
	v       pepVersion
	prefix  bool // == V.* or != V.*
	hasPost bool
}

// pepSpec is a comma-separated specifier set; empty matches every
// version.
type pepSpec struct {
	clauses []pepClause
	pre     bool // a clause names a pre-release: pre-releases may match
}

var pepOps = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// parsePEP440Spec parses a specifier set such as ">=1.2, <2" or "1.0".
// A clause without an operator means `===`, as the manager reads a
// plugin import's version.
func parsePEP440Spec(s string) (pepSpec, error) {
	var sp pepSpec
	if len(s) > maxVersionLen {
		return sp, fmt.Errorf("%w: longer than %d characters", ErrBadVersionSpec, maxVersionLen)
	}
	if strings.TrimSpace(s) == "" {
		return sp, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return sp, fmt.Errorf("%w: empty clause in %q", ErrBadVersionSpec, s)
		}
		c := pepClause{op: "==="}
		for _, op := range pepOps {
			if rest, ok := strings.CutPrefix(part, op); ok {
				c.op, part = op, strings.TrimSpace(rest)
				break
			}
		}
		c.raw = part
		if c.op == "===" {
			if part == "" || strings.ContainsAny(part, " \t") {
				return sp, fmt.Errorf("%w: %q", ErrBadVersionSpec, s)
			}
			if v, err := parsePEP440(part); err == nil {
				c.v = v
				sp.pre = sp.pre || v.isPre()
			}
			sp.clauses = append(sp.clauses, c)
			continue
		}
		vs := part
		if (c.op == "==" || c.op == "!=") && strings.HasSuffix(vs, ".*") {
			c.prefix, vs = true, strings.TrimSuffix(vs, ".*")
		}
		v, err := parsePEP440(vs)
		if err != nil {
			return sp, err
		}
		switch {
		case c.prefix && (v.local != nil || v.dev >= 0):
			return sp, fmt.Errorf("%w: %q: a prefix match takes a release only", ErrBadVersionSpec, part)
		case v.local != nil && c.op != "==" && c.op != "!=":
			return sp, fmt.Errorf("%w: %q: only == and != take a local version", ErrBadVersionSpec, part)
		case c.op == "~=" && len(v.release) < 2:
			return sp, fmt.Errorf("%w: %q: ~= needs at least two release numbers", ErrBadVersionSpec, part)
		}
		c.v, c.hasPost = v, v.post >= 0
		sp.pre = sp.pre || v.isPre()
		sp.clauses = append(sp.clauses, c)
	}
	return sp, nil
}

// prefixMatch reports whether v's release starts with the clause's
// release (zero-padded), as `== V.*` does.
func prefixMatch(v, p pepVersion) bool {
	if v.epoch != p.epoch {
		return false
	}
	for i, n := range p.release {
		x := 0
		if i < len(v.release) {
			x = v.release[i]
		}
		if x != n {
			return false
		}
	}
	return true
}

func (c pepClause) match(raw string, v pepVersion) bool {
	switch c.op {
	case "===":
		return strings.EqualFold(strings.TrimSpace(raw), c.raw)
	case "==", "!=":
		var eq bool
		switch {
		case c.prefix:
			eq = prefixMatch(v.public(), c.v)
		case c.v.local == nil:
			eq = v.public().compare(c.v) == 0
		default:
			eq = v.compare(c.v) == 0
		}
		return eq == (c.op == "==")
	case "~=":
		p := c.v.base()
		p.release = p.release[:len(p.release)-1]
		return v.public().compare(c.v) >= 0 && prefixMatch(v, p)
	case "<=":
		return v.public().compare(c.v) <= 0
	case ">=":
		return v.public().compare(c.v) >= 0
	case "<":
		if v.public().compare(c.v) >= 0 {
			return false
		}
		return c.v.isPre() || !v.isPre() || v.base().compare(c.v.base()) != 0
	case ">":
		if v.public().compare(c.v) <= 0 {
			return false
		}
		if !c.hasPost && v.post >= 0 && v.base().compare(c.v.base()) == 0 {
			return false
		}
		return v.local == nil || v.base().compare(c.v.base()) != 0
	}
	return false
}

// contains reports whether the version raw (parsed as v) satisfies every
// clause; pre-releases only when a clause names one.
func (sp pepSpec) contains(raw string, v pepVersion) bool {
	if v.isPre() && !sp.pre {
		return false
	}
	for _, c := range sp.clauses {
		if !c.match(raw, v) {
			return false
		}
	}
	return true
}
