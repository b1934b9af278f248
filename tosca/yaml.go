package tosca

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits applied while loading YAML.
const (
	// DefaultMaxFileSize is the largest blueprint file accepted (bytes).
	DefaultMaxFileSize = 10 << 20
	// maxDepth bounds the nesting of collections.
	maxDepth = 500
	// minAliasBudget is the number of nodes alias expansion may always add;
	// beyond it expansion may add at most aliasRatio times the file's own
	// node count.
	minAliasBudget = 100_000
	aliasRatio     = 10
)

// Pos is a place in a blueprint file (1-based line and column).
type Pos struct {
	File string
	Line int
	Col  int
}

type nkind uint8

const (
	kNull nkind = iota
	kString
	kInt
	kFloat
	kBool
	kMap
	kSeq
)

func (k nkind) String() string {
	switch k {
	case kNull:
		return "null"
	case kString:
		return "string"
	case kInt:
		return "integer"
	case kFloat:
		return "float"
	case kBool:
		return "boolean"
	case kMap:
		return "dict"
	case kSeq:
		return "list"
	}
	return "unknown"
}

// ynode is a YAML value with aliases and merge keys resolved and positions
// kept. Maps keep their key order.
type ynode struct {
	kind  nkind
	val   any // scalar value: string, int, float64, bool or nil
	keys  []*ynode
	vals  []*ynode
	items []*ynode
	pos   Pos
}

// get returns the value of key in a map node, or nil.
func (n *ynode) get(key string) *ynode {
	if n == nil || n.kind != kMap {
		return nil
	}
	for i, k := range n.keys {
		if s, ok := k.val.(string); ok && s == key {
			return n.vals[i]
		}
	}
	return nil
}

// keyNode returns the key node of key in a map node, or nil.
func (n *ynode) keyNode(key string) *ynode {
	if n == nil || n.kind != kMap {
		return nil
	}
	for _, k := range n.keys {
		if s, ok := k.val.(string); ok && s == key {
			return k
		}
	}
	return nil
}

func (n *ynode) str() (string, bool) {
	if n == nil || n.kind != kString {
		return "", false
	}
	return n.val.(string), true
}

// keyStr is the text of a map key.
func (n *ynode) keyStr() string {
	if s, ok := n.val.(string); ok {
		return s
	}
	return fmt.Sprint(n.val)
}

// plain converts the node into plain Go values: map[string]any, []any,
// string, int, float64, bool or nil.
func (n *ynode) plain() any {
	if n == nil {
		return nil
	}
	switch n.kind {
	case kMap:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k.keyStr()] = n.vals[i].plain()
		}
		return m
	case kSeq:
		l := make([]any, len(n.items))
		for i, it := range n.items {
			l[i] = it.plain()
		}
		return l
	default:
		return n.val
	}
}

// fromPlain builds a node from a plain value (used for synthetic values such
// as inputs); every node gets position pos.
func fromPlain(v any, pos Pos) *ynode {
	switch t := v.(type) {
	case nil:
		return &ynode{kind: kNull, pos: pos}
	case string:
		return &ynode{kind: kString, val: t, pos: pos}
	case bool:
		return &ynode{kind: kBool, val: t, pos: pos}
	case int:
		return &ynode{kind: kInt, val: t, pos: pos}
	case int64:
		return &ynode{kind: kInt, val: int(t), pos: pos}
	case float64:
		return &ynode{kind: kFloat, val: t, pos: pos}
	case map[string]any:
		n := &ynode{kind: kMap, pos: pos}
		for _, k := range sortedKeys(t) {
			n.keys = append(n.keys, &ynode{kind: kString, val: k, pos: pos})
			n.vals = append(n.vals, fromPlain(t[k], pos))
		}
		return n
	case []any:
		n := &ynode{kind: kSeq, pos: pos}
		for _, it := range t {
			n.items = append(n.items, fromPlain(it, pos))
		}
		return n
	default:
		return &ynode{kind: kString, val: fmt.Sprint(t), pos: pos}
	}
}

// decodeYAML parses one YAML document of a blueprint file. It never panics;
// every problem is positioned in file.
func decodeYAML(file string, data []byte, maxSize int64) (root *ynode, probs Problems) {
	defer func() {
		if r := recover(); r != nil {
			root = nil
			probs = append(probs, Problem{File: file, Line: 1, Column: 1, Code: CodeInternal,
				Message: fmt.Sprintf("internal error while reading YAML: %v", r),
				Hint:    "please report this blueprint as a Gantry bug"})
		}
	}()
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	if int64(len(data)) > maxSize {
		return nil, Problems{{File: file, Line: 1, Column: 1, Code: CodeFileTooLarge,
			Message: fmt.Sprintf("file is %d bytes, more than the limit of %d bytes", len(data), maxSize),
			Hint:    "split the blueprint into imported files, or raise the limit (Options.MaxFileSize)"}}
	}
	if p, ok := binaryPos(data); ok {
		p.File = file
		return nil, Problems{{File: file, Line: p.Line, Column: p.Col, Code: CodeBinary,
			Message: "file is not UTF-8 text (binary or control characters)",
			Hint:    "a blueprint must be a YAML text file"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return &ynode{kind: kMap, pos: Pos{File: file, Line: 1, Col: 1}}, nil
		}
		pr := yamlErrProblem(file, err)
		refineYAMLError(data, &pr)
		return nil, Problems{pr}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		probs = append(probs, Problem{File: file, Line: extra.Line, Column: extra.Column, Code: CodeYAMLMultiDoc,
			Message: "file holds more than one YAML document", Hint: "a blueprint file is a single document; remove the `---` separator"})
	} else if err.Error() != "EOF" {
		probs = append(probs, yamlErrProblem(file, err))
	}
	c := &converter{file: file}
	c.budget = int64(countNodes(&doc, 0)) * aliasRatio
	if c.budget < minAliasBudget {
		c.budget = minAliasBudget
	}
	var top *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		top = doc.Content[0]
	} else {
		top = &doc
	}
	root = c.convert(top, 0, false)
	probs = append(probs, c.probs...)
	if root == nil || root.kind == kNull {
		root = &ynode{kind: kMap, pos: Pos{File: file, Line: 1, Col: 1}}
	}
	return root, probs
}

var yamlLineRe = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

func yamlErrProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 1, 1
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			col, _ = strconv.Atoi(m[2])
		}
		msg = strings.TrimSpace(yamlLineRe.ReplaceAllString(msg, ""))
		msg = strings.TrimPrefix(strings.TrimPrefix(msg, ":"), " ")
	}
	return Problem{File: file, Line: line, Column: col, Code: CodeYAMLSyntax,
		Message: "invalid YAML: " + msg, Hint: "check indentation, quoting and `key: value` pairs around this line"}
}

// refineYAMLError moves a syntax error to the line where the document stops
// parsing: yaml.v3 reports the line where the enclosing block starts. The
// first failing prefix of whole lines is found by bisection.
func refineYAMLError(data []byte, pr *Problem) {
	if len(data) > 1<<20 {
		return
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(n int) bool {
		var doc yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &doc)
		return err != nil
	}
	if !fails(len(lines)) {
		return
	}
	lo, hi := 0, len(lines) // fails(hi) is true; find the smallest such hi
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if hi <= pr.Line {
		return
	}
	if pr.Line > 0 {
		pr.Message += fmt.Sprintf(" (in the block starting at line %d)", pr.Line)
	}
	pr.Line = hi
	line := lines[hi-1]
	pr.Column = len(line) - len(bytes.TrimLeft(line, " \t")) + 1
}

// binaryPos finds the first byte that cannot be in a YAML text file.
func binaryPos(data []byte) (Pos, bool) {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		bad := r == utf8.RuneError && size <= 1
		if !bad && r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			bad = true
		}
		if !bad && (r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff) {
			bad = true
		}
		if bad {
			return Pos{Line: line, Col: col}, true
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += size
	}
	return Pos{}, false
}

func countNodes(n *yaml.Node, depth int) int {
	if n == nil || depth > maxDepth {
		return 0
	}
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch, depth+1)
	}
	return c
}

type converter struct {
	slab   []ynode // nodes are allocated in slabs
	file   string
	budget int64
	probs  Problems
	failed bool // alias budget exhausted or too deep: stop expanding
}

// node allocates a node from the current slab.
func (c *converter) node(kind nkind, val any, pos Pos) *ynode {
	if len(c.slab) == 0 {
		c.slab = make([]ynode, 256)
	}
	n := &c.slab[0]
	c.slab = c.slab[1:]
	n.kind, n.val, n.pos = kind, val, pos
	return n
}

func (c *converter) add(n *yaml.Node, code, msg, hint string) {
	c.probs = append(c.probs, Problem{File: c.file, Line: n.Line, Column: n.Column, Code: code, Message: msg, Hint: hint})
}

func (c *converter) convert(n *yaml.Node, depth int, viaAlias bool) *ynode {
	if c.failed {
		return nil
	}
	if depth > maxDepth {
		c.add(n, CodeYAMLDepth, fmt.Sprintf("YAML is nested more than %d levels deep", maxDepth), "flatten the structure")
		c.failed = true
		return nil
	}
	if viaAlias {
		c.budget--
		if c.budget < 0 {
			c.add(n, CodeYAMLAliasLimit, "YAML aliases expand to too many values (possible \"billion laughs\" document)",
				"use fewer nested aliases; Gantry bounds alias expansion")
			c.failed = true
			return nil
		}
	}
	pos := Pos{File: c.file, Line: n.Line, Col: n.Column}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &ynode{kind: kNull, pos: pos}
		}
		return c.convert(n.Content[0], depth, viaAlias)
	case yaml.AliasNode:
		if n.Alias == nil {
			c.add(n, CodeYAMLSyntax, "unknown YAML alias", "define the anchor (&name) before using *name")
			return &ynode{kind: kNull, pos: pos}
		}
		return c.convert(n.Alias, depth+1, true)
	case yaml.ScalarNode:
		return c.scalar(n, pos)
	case yaml.SequenceNode:
		out := c.node(kSeq, nil, pos)
		out.items = make([]*ynode, 0, len(n.Content))
		for _, ch := range n.Content {
			v := c.convert(ch, depth+1, viaAlias)
			if v == nil {
				return out
			}
			out.items = append(out.items, v)
		}
		return out
	case yaml.MappingNode:
		return c.mapping(n, pos, depth, viaAlias)
	}
	return &ynode{kind: kNull, pos: pos}
}

func (c *converter) scalar(n *yaml.Node, pos Pos) *ynode {
	switch n.ShortTag() {
	case "!!null":
		return c.node(kNull, nil, pos)
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return c.node(kBool, b, pos)
		}
	case "!!int":
		var i int
		if err := n.Decode(&i); err == nil {
			return c.node(kInt, i, pos)
		}
		var f float64
		if err := n.Decode(&f); err == nil {
			return c.node(kFloat, f, pos)
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				c.add(n, CodeNonFinite, fmt.Sprintf("%s is not a finite number; Gantry keeps values as JSON, which has no infinity or NaN", n.Value),
					fmt.Sprintf("quote it ('%s') to keep it as text, or use a large finite number", n.Value))
				return c.node(kString, n.Value, pos)
			}
			return c.node(kFloat, f, pos)
		}
	}
	return c.node(kString, n.Value, pos)
}

func (c *converter) mapping(n *yaml.Node, pos Pos, depth int, viaAlias bool) *ynode {
	out := c.node(kMap, nil, pos)
	out.keys = make([]*ynode, 0, len(n.Content)/2)
	out.vals = make([]*ynode, 0, len(n.Content)/2)
	var seen map[string]int
	if len(n.Content) > 16 {
		seen = make(map[string]int, len(n.Content)/2)
	}
	var merges []*ynode
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
			v := c.convert(vn, depth+1, viaAlias)
			if v == nil {
				return out
			}
			switch v.kind {
			case kMap:
				merges = append(merges, v)
			case kSeq:
				for _, it := range v.items {
					if it.kind != kMap {
						c.add(vn, CodeYAMLMerge, "a merge key `<<` takes a mapping or a list of mappings", "write `<<: *anchor` where the anchor names a mapping")
						continue
					}
					merges = append(merges, it)
				}
			default:
				c.add(vn, CodeYAMLMerge, "a merge key `<<` takes a mapping or a list of mappings", "write `<<: *anchor` where the anchor names a mapping")
			}
			continue
		}
		k := c.convert(kn, depth+1, viaAlias)
		if k == nil {
			return out
		}
		if k.kind == kMap || k.kind == kSeq {
			c.add(kn, CodeWrongType, "a mapping key must be a scalar", "use a plain string as key")
			continue
		}
		if k.kind != kString {
			k = &ynode{kind: kString, val: scalarText(kn, k), pos: k.pos}
		}
		ks := k.val.(string)
		if prev, dup := lookupKey(out, seen, ks); dup {
			c.add(kn, CodeYAMLDuplicateKey, fmt.Sprintf("key %q is defined twice in this mapping (first at line %d)", ks, out.keys[prev].pos.Line),
				"remove one of them; YAML keys must be unique")
			continue
		}
		v := c.convert(vn, depth+1, viaAlias)
		if v == nil {
			return out
		}
		if seen != nil {
			seen[ks] = len(out.keys)
		}
		out.keys = append(out.keys, k)
		out.vals = append(out.vals, v)
	}
	// Merge keys: explicit keys win, then earlier merged mappings win.
	// Lookups go through a map as soon as the result may be large, so that
	// merging a big mapping stays linear.
	if seen == nil && len(merges) > 0 {
		total := len(out.keys)
		for _, m := range merges {
			total += len(m.keys)
		}
		if total > 16 {
			seen = make(map[string]int, total)
			for i, k := range out.keys {
				seen[k.keyStr()] = i
			}
		}
	}
	for _, m := range merges {
		for j, k := range m.keys {
			ks := k.keyStr()
			if _, ok := lookupKey(out, seen, ks); ok {
				continue
			}
			if seen != nil {
				seen[ks] = len(out.keys)
			}
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, m.vals[j])
		}
	}
	return out
}

// lookupKey finds key in a mapping being built: through seen when the
// mapping is large, by scanning otherwise.
func lookupKey(out *ynode, seen map[string]int, key string) (int, bool) {
	if seen != nil {
		i, ok := seen[key]
		return i, ok
	}
	for i, k := range out.keys {
		if k.keyStr() == key {
			return i, true
		}
	}
	return 0, false
}

func scalarText(yn *yaml.Node, n *ynode) string {
	if n.kind == kNull {
		return yn.Value
	}
	return yn.Value
}
