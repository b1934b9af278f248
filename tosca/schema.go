package tosca

import (
	"fmt"
	"sort"
)

// parser holds the state of one Parse call.
type parser struct {
	bp       *Blueprint
	ver      dslVersion
	probs    Problems
	builtins map[string]bool // display names of built-in files
	// typesFiles are the display names of files read from
	// Options.ResourcesDir: like built-ins, their workflows Gantry cannot
	// run are left out rather than refused (checkRunnable).
	typesFiles map[string]bool
	fileOK     map[string]bool // cache of script-path existence checks
	// stored maps the display names of files of stored blueprints
	// (`NS--blueprint:ID` imports) to where they come from.
	stored    map[string]*storedOrigin
	outside   map[string]bool  // cache of scriptOutside
	propState map[string]uint8 // get_property cycle check: 1 visiting, 2 done
	// partial is set while a type's default of a data-typed property is
	// checked: such a default may leave required fields to the template.
	partial bool
	// wfPos is where each workflow is declared (for checkRunnable).
	wfPos map[string]Pos
	opts  Options
}

func (p *parser) add(pos Pos, code, msg, hint string) {
	p.probs = append(p.probs, Problem{File: pos.File, Line: pos.Line, Column: pos.Col, Code: code, Message: msg, Hint: hint})
}

// keys maps allowed keys of a strict mapping to their minimum DSL version.
type keys map[string]dslVersion

func (k keys) names() []string {
	out := make([]string, 0, len(k))
	for n := range k {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// isMap reports whether n is a mapping and records a problem when it is not.
// A null node is accepted as an empty mapping when nullOK.
func (p *parser) isMap(n *ynode, what string, nullOK bool) bool {
	if n == nil {
		return false
	}
	if n.kind == kMap {
		return true
	}
	if n.kind == kNull && nullOK {
		return false
	}
	p.add(n.pos, CodeWrongType, fmt.Sprintf("%s must be a dict, found %s", what, n.kind), "")
	return false
}

// strict checks the keys of mapping n against allowed: unknown keys and keys
// newer than the blueprint's DSL version are problems.
func (p *parser) strict(n *ynode, what string, allowed keys) {
	if n == nil || n.kind != kMap {
		return
	}
	for _, k := range n.keys {
		ks := k.keyStr()
		min, ok := allowed[ks]
		if !ok {
			hint := suggest(ks, allowed.names())
			if hint == "" {
				hint = "allowed keys: " + allowedList(allowed.names())
			}
			p.add(k.pos, CodeUnknownKey, fmt.Sprintf("'%s' is not a valid key of %s", ks, what), hint)
			continue
		}
		if !p.ver.atLeast(min) {
			p.needVersion(k, "'"+ks+"' in "+what, min)
		}
	}
}

// needVersion records a problem when the blueprint's version is older than
// min. Built-in files are exempt.
func (p *parser) needVersion(at *ynode, what string, min dslVersion) {
	if at == nil || p.ver.atLeast(min) || p.builtins[at.pos.File] {
		return
	}
	p.add(at.pos, CodeVersionFeature, fmt.Sprintf("%s needs tosca_definitions_version %s or newer (this blueprint is %s)", what, min, p.ver),
		"raise tosca_definitions_version")
}

// required reports a missing key.
func (p *parser) required(n *ynode, key, what string) *ynode {
	v := n.get(key)
	if v == nil {
		p.add(n.pos, CodeMissingKey, fmt.Sprintf("%s is missing the required key '%s'", what, key), "")
	}
	return v
}

// str reads a string value; null is "" (ok=false) without a problem.
func (p *parser) str(n *ynode, what string) (string, bool) {
	if n == nil || n.kind == kNull {
		return "", false
	}
	if n.kind != kString {
		p.add(n.pos, CodeWrongType, fmt.Sprintf("%s must be a string, found %s", what, n.kind), "")
		return "", false
	}
	return n.val.(string), true
}

// boolean reads a boolean value.
func (p *parser) boolean(n *ynode, what string, def bool) bool {
	if n == nil || n.kind == kNull {
		return def
	}
	if n.kind != kBool {
		p.add(n.pos, CodeWrongType, fmt.Sprintf("%s must be a boolean, found %s", what, n.kind), "write true or false")
		return def
	}
	return n.val.(bool)
}

// strList reads a list of strings.
func (p *parser) strList(n *ynode, what string) []string {
	if n == nil || n.kind == kNull {
		return nil
	}
	if n.kind != kSeq {
		p.add(n.pos, CodeWrongType, fmt.Sprintf("%s must be a list, found %s", what, n.kind), "")
		return nil
	}
	out := make([]string, 0, len(n.items))
	for _, it := range n.items {
		if s, ok := p.str(it, what+" entry"); ok {
			out = append(out, s)
		}
	}
	return out
}

// entries iterates a mapping section; each value must be a mapping unless
// scalarOK.
func (p *parser) entries(sec *ynode, what string, f func(name string, key, val *ynode)) {
	if sec == nil || sec.kind == kNull {
		return
	}
	if !p.isMap(sec, what, true) {
		return
	}
	for i, k := range sec.keys {
		name := k.keyStr()
		if r, bad := ControlChar(name); bad {
			p.add(k.pos, CodeNameInvalid, fmt.Sprintf("%s name %q holds the control character %U", what, name, r),
				"names and ids are printed in terminals and logs: use letters, digits, '-', '_' and '.'")
			continue
		}
		f(name, k, sec.vals[i])
	}
}

// ControlChar finds the first control character of s: C0 and C1 controls,
// DEL, and the Unicode line and paragraph separators. Names in a blueprint
// and every id Gantry stores refuse them (a newline or an escape sequence
// in an id rewrites what a terminal or a log shows).
func ControlChar(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}
