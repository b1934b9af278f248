package tosca

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	hdr + "node_templates:\n  a: {type: cloudify.nodes.Root}\n",
	"tosca_definitions_version: cloudify_dsl_1_3\nx: &a {b: *a}\n",
	"a: &a [1,2]\nb: [*a, *a]\nc: {<<: {d: 1}}\n",
	"\x00\x01",
	"[[[[[[",
	"tosca_definitions_version: cloudify_dsl_1_3\ninputs: {i: {default: 1, constraints: [{in_range: [0, 2]}]}}\noutputs: {o: {value: {concat: [{get_input: i}, x]}}}\n",
	hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Compute\n    properties: {ip: {get_property: [SELF, os_family]}}\n    relationships: [{type: cloudify.relationships.depends_on, target: a}]\n",
}

// FuzzLoad feeds arbitrary bytes to the YAML loader: it must never panic and
// every problem must carry a position.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, probs := decodeYAML("fuzz.yaml", data, 1<<20)
		for _, p := range probs {
			if p.File == "" || p.Line <= 0 {
				t.Fatalf("problem without position: %+v", p)
			}
		}
		if root != nil {
			_ = root.plain()
		}
	})
}

// FuzzParse feeds arbitrary blueprints to Parse and Prepare: they must never
// panic (an internal-error problem counts as a failure) and every problem
// must carry a position.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "blueprint.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		bp, probs := Parse(path, Options{MaxFiles: 5})
		if len(probs) == 0 {
			_, probs = bp.Prepare(nil)
		}
		for _, p := range probs {
			if p.Code == CodeInternal {
				t.Fatalf("internal error: %+v", p)
			}
			if p.File == "" || p.Line <= 0 {
				t.Fatalf("problem without position: %+v", p)
			}
		}
	})
}

// FuzzParseInputs feeds `-i` arguments to ParseInputs: it never panics,
// what it returns encodes as JSON (no infinity or NaN), and the text of a
// KEY=VALUE pair that comes back as a string is the text given.
func FuzzParseInputs(f *testing.F) {
	for _, s := range []string{"a=007", "a=0x1F", "a=1.10", "a=.inf", "a=.nan", "a=3", "a=[1, .inf]", "a={b: .nan}",
		"a=line1\nline2", "a='q'", "a=x;b=y", `{"a": 1}`, "{a: [1, 2]}", "a: b", "a=", "a=null", "a=~", "a=1e400", "a=-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if _, err := os.Stat(arg); err == nil {
			return // an existing path is read as an inputs file
		}
		got, err := ParseInputs([]string{arg})
		if err != nil {
			if !errors.Is(err, ErrBadInput) && !strings.Contains(err.Error(), "not a file, KEY=VALUE") {
				t.Fatalf("ParseInputs(%q): error without ErrBadInput: %v", arg, err)
			}
			return
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("ParseInputs(%q) = %#v does not encode as JSON: %v", arg, got, err)
		}
		if keyValueRe.MatchString(arg) && len(splitPairs(arg)) == 1 {
			k, v, _ := strings.Cut(arg, "=")
			if s, ok := got[strings.TrimSpace(k)].(string); ok && s != v {
				q := strings.TrimSpace(v)
				if len(q) < 2 || (q[0] != '\'' && q[0] != '"') {
					t.Fatalf("ParseInputs(%q): value %q, want the text as given %q", arg, s, v)
				}
			}
		}
	})
}
