package tosca

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gantryhq/gantry/internal/readlimit"
)

// ImportRule maps http(s) import URLs that start with Prefix to files under
// the local directory Dir: `Prefix + rest` is read from `Dir/rest`.
type ImportRule struct {
	Prefix string
	Dir    string
}

// ErrBadImportRule is returned for a malformed `PREFIX=DIR` rule.
var ErrBadImportRule = errors.New("import rule must be PREFIX=DIR")

// ParseImportRule parses one `PREFIX=DIR` rule (the --import-rule flag).
func ParseImportRule(s string) (ImportRule, error) {
	// The prefix is a URL and may itself hold '=' only in its query, which
	// import prefixes never have: split at the last '='.
	i := strings.LastIndex(s, "=")
	if i <= 0 || i == len(s)-1 {
		return ImportRule{}, fmt.Errorf("%q: %w", s, ErrBadImportRule)
	}
	return ImportRule{Prefix: strings.TrimSpace(s[:i]), Dir: strings.TrimSpace(s[i+1:])}, nil
}

// ImportRulesFromEnv parses GANTRY_IMPORT_RULES (`PREFIX=DIR;PREFIX=DIR`).
func ImportRulesFromEnv() ([]ImportRule, error) {
	return ParseImportRules(os.Getenv("GANTRY_IMPORT_RULES"))
}

// ParseImportRules parses a `;`-separated list of `PREFIX=DIR` rules.
func ParseImportRules(s string) ([]ImportRule, error) {
	var rules []ImportRule
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		r, err := ParseImportRule(part)
		if err != nil {
			return nil, fmt.Errorf("GANTRY_IMPORT_RULES: %w", err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

var (
	typesURLRe      = regexp.MustCompile(`^https?://(www\.)?(getcloudify\.org|cloudify\.co)/spec/cloudify/[^/]+/types\.yaml$`)
	proxyPluginRe   = regexp.MustCompile(`^https?://.*cloudify-proxy-plugin/.+/plugin\.yaml$`)
	kubeRemotePlgRe = regexp.MustCompile(`^https?://.*cloudify-kubernetes-plugin/.+/plugin-remote\.yaml$`)
)

// source is one loaded blueprint file.
type source struct {
	key     string // identity: absolute path, or builtin:NAME
	display string // name used in problems
	dir     string // directory for relative imports ("" for built-ins)
	builtin bool
	// resource: read from Options.ResourcesDir (a manager's types file)
	resource bool
	// ns is the file's namespace ("" for none; namespace.go)
	ns string
	// stored: the file is (or a relative import of) a blueprint of the
	// store imported as `NS--blueprint:ID` (imports_blueprint.go).
	stored  *storedOrigin
	root    *ynode
	imports []*source
}

type loader struct {
	opts    Options
	mainDir string // absolute directory of the main file
	dispDir string // main file's directory as the caller wrote it
	files   map[string]*source
	order   []*source // post-order: imports before importers
	probs   Problems
	loaded  int
	pre     map[string]preDecoded // files already decoded
	// ruleRoot maps a file read through an import rule to the rule's
	// folder: its own relative imports stay in that folder.
	ruleRoot map[string]string
	// ver is the main file's DSL version: it picks the types and plugin
	// files a manager serves (imports_modern.go).
	ver dslVersion
	// curNS is the namespace of the file being loaded (namespace.go).
	curNS string
	// curStored is the stored blueprint the file being loaded comes from.
	curStored *storedOrigin
	// storedBlueprints maps the ids of `blueprint:ID` imports to the main
	// file Options.Blueprints gave (imports_blueprint.go).
	storedBlueprints map[string]string
}

type preDecoded struct {
	root  *ynode
	probs Problems
}

func (l *loader) add(pos Pos, code, msg, hint string) {
	l.probs = append(l.probs, Problem{File: pos.File, Line: pos.Line, Column: pos.Col, Code: code, Message: msg, Hint: hint})
}

// displayName gives the name of an imported file as seen from the caller.
func (l *loader) displayName(abs string) string {
	if rel, err := filepath.Rel(l.mainDir, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join(l.dispDir, rel)
	}
	return abs
}

func (l *loader) readFile(path, display string, at Pos) ([]byte, bool) {
	f, err := readlimit.Open(path)
	if err != nil {
		code, hint := CodeFileRead, "check the path"
		switch {
		case errors.Is(err, os.ErrNotExist):
			code = CodeImportNotFound
		case errors.Is(err, readlimit.ErrNotRegular):
			kind := "not a regular file"
			if st, err := os.Stat(path); err == nil {
				kind = readlimit.Kind(st.Mode())
			}
			l.add(orPos(at, display), CodeFileRead, fmt.Sprintf("%s is %s, not a blueprint file", display, kind),
				"name the YAML file itself: Gantry reads only regular files, never pipes, devices or folders")
			return nil, false
		}
		if at.File == "" {
			at = Pos{File: display}
		}
		l.add(at, code, fmt.Sprintf("cannot read %s: %v", display, unwrapPathErr(err)), hint)
		return nil, false
	}
	defer f.Close()
	max := l.opts.maxFileSize()
	data, err := readlimit.All(f, max)
	if errors.Is(err, readlimit.ErrTooLarge) {
		l.add(Pos{File: display, Line: 1, Col: 1}, CodeFileTooLarge,
			fmt.Sprintf("file is larger than the limit of %d bytes", max),
			"split the blueprint into imported files, or raise the limit (Options.MaxFileSize)")
		return nil, false
	}
	if err != nil {
		l.add(orPos(at, display), CodeFileRead, fmt.Sprintf("cannot read %s: %v", display, err), "")
		return nil, false
	}
	return data, true
}

func orPos(at Pos, display string) Pos {
	if at.File == "" {
		return Pos{File: display, Line: 1, Col: 1}
	}
	return at
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// load reads a file (once) and, recursively, its imports.
func (l *loader) load(key, display, dir string, builtin bool, data []byte, at Pos) *source {
	fileKey := key
	if l.curNS != "" {
		key += "\x00" + l.curNS // one copy of a file per namespace
		display += " (namespace " + l.curNS + ")"
	}
	if s, ok := l.files[key]; ok {
		return s
	}
	l.loaded++
	if l.loaded > l.opts.maxFiles() {
		l.add(at, CodeImportInvalid, fmt.Sprintf("more than %d files imported", l.opts.maxFiles()), "a blueprint and its imports are limited in number")
		return nil
	}
	if data == nil {
		var ok bool
		if data, ok = l.readFile(fileKey, display, at); !ok {
			return nil
		}
	}
	var root *ynode
	var probs Problems
	if pd, ok := l.pre[fileKey]; ok {
		root, probs = pd.root, pd.probs
	} else {
		root, probs = decodeYAML(display, data, l.opts.maxFileSize())
	}
	l.probs = append(l.probs, probs...)
	if root == nil {
		return nil
	}
	s := &source{key: key, display: display, dir: dir, builtin: builtin, root: root, ns: l.curNS}
	if !builtin {
		s.stored = l.curStored
	}
	l.files[key] = s
	if root.kind != kMap {
		l.add(root.pos, CodeWrongType, fmt.Sprintf("a blueprint file must be a mapping, found %s", root.kind),
			"start the file with `tosca_definitions_version: cloudify_dsl_1_3`")
		s.root = &ynode{kind: kMap, pos: root.pos}
		l.order = append(l.order, s)
		return s
	}
	if imps := root.get("imports"); imps != nil {
		if imps.kind != kSeq {
			if imps.kind != kNull {
				l.add(imps.pos, CodeWrongType, fmt.Sprintf("`imports` must be a list, found %s", imps.kind), "write `imports:` followed by `- path` lines")
			}
		} else {
			seen := map[string]bool{}
			for _, it := range imps.items {
				imp, ok := importString(it)
				if !ok {
					l.add(it.pos, CodeWrongType, fmt.Sprintf("an import must be a string, found %s", it.kind), "")
					continue
				}
				if seen[imp] {
					l.add(it.pos, CodeImportDuplicate, fmt.Sprintf("%q is imported twice in this list", imp), "remove the duplicate")
					continue
				}
				seen[imp] = true
				l.curNS, l.curStored = childNamespace(s.ns, imp), s.stored
				if child := l.resolveImport(imp, s, it.pos); child != nil {
					s.imports = append(s.imports, child)
				}
				l.curNS, l.curStored = s.ns, s.stored
			}
		}
	}
	l.applyNamespace(s)
	l.order = append(l.order, s)
	return s
}

// resolveImport maps an import string to a file and loads it.
func (l *loader) resolveImport(imp string, from *source, at Pos) *source {
	imp = strings.TrimSpace(imp)
	if imp == "" {
		l.add(at, CodeImportInvalid, "empty import", "remove the empty entry")
		return nil
	}
	whole := imp
	if _, rest := splitNamespace(imp); rest != imp {
		imp = strings.TrimSpace(rest)
	}
	if id, ok := strings.CutPrefix(imp, blueprintImportPrefix); ok {
		return l.loadStoredBlueprint(whole, strings.TrimSpace(id), at)
	}
	if name, ok := strings.CutPrefix(imp, "plugin:"); ok {
		return l.loadPlugin(name, at)
	}
	u, err := url.Parse(imp)
	scheme := ""
	if err == nil && len(u.Scheme) > 1 { // a one-letter scheme is a Windows drive
		scheme = strings.ToLower(u.Scheme)
	}
	switch scheme {
	case "":
		return l.loadRelative(imp, from, at)
	case "file":
		p := u.Path
		if u.Host != "" && u.Host != "localhost" {
			p = "//" + u.Host + p
		}
		if !filepath.IsAbs(p) {
			return l.loadRelative(p, from, at)
		}
		return l.loadInFolder(imp, filepath.Clean(p), from, at)
	case "http", "https":
		for _, r := range l.opts.ImportRules {
			if r.Prefix != "" && strings.HasPrefix(imp, r.Prefix) {
				rest := strings.TrimPrefix(imp, r.Prefix)
				if i := strings.IndexAny(rest, "?#"); i >= 0 {
					rest = rest[:i]
				}
				dir, err := filepath.Abs(r.Dir)
				if err != nil {
					dir = r.Dir
				}
				p := filepath.Join(dir, filepath.FromSlash(rest))
				if !within(dir, p) {
					l.add(at, CodeImportOutside, fmt.Sprintf("import %q maps through the rule for %s to %s, outside the rule's folder %s", imp, r.Prefix, p, dir),
						"an import rule only reads files under its folder; fix the URL")
					return nil
				}
				if l.ruleRoot == nil {
					l.ruleRoot = map[string]string{}
				}
				l.ruleRoot[p] = dir
				return l.loadPath(p, at)
			}
		}
		switch {
		case typesURLRe.MatchString(imp):
			return l.loadBuiltin("types.yaml", at)
		case proxyPluginRe.MatchString(imp):
			return l.loadBuiltinPlugin("proxy", at)
		case kubeRemotePlgRe.MatchString(imp):
			return l.loadBuiltinPlugin("kubernetes", at)
		}
		prefix := imp
		if i := strings.LastIndex(imp, "/"); i > len(scheme)+3 {
			prefix = imp[:i+1]
		}
		l.add(at, CodeImportUnmapped, fmt.Sprintf("import %q is a URL and Gantry never downloads imports", imp),
			fmt.Sprintf("download it into a folder DIR and add `--import-rule %s=DIR` (or GANTRY_IMPORT_RULES)", prefix))
		return nil
	default:
		l.add(at, CodeImportUnmapped, fmt.Sprintf("import %q uses the unsupported scheme %q", imp, scheme),
			"use a relative path, file://, plugin:NAME, or an http(s) URL with --import-rule")
		return nil
	}
}

func (l *loader) loadRelative(p string, from *source, at Pos) *source {
	if from != nil && from.builtin {
		return l.loadBuiltin(path.Join(path.Dir(strings.TrimPrefix(from.key, builtinKeyPrefix)), p), at) // a built-in file imports its siblings
	}
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		return l.loadInFolder(p, filepath.Clean(p), from, at)
	}
	var tries []string
	if from != nil && from.dir != "" {
		tries = append(tries, filepath.Join(from.dir, p))
	}
	tries = append(tries, filepath.Join(l.mainDir, p))
	for _, t := range tries {
		if st, err := os.Stat(t); err == nil && !st.IsDir() {
			return l.loadInFolder(p, t, from, at)
		}
	}
	if s, ok := l.loadResource(p, at); ok {
		return s
	}
	return l.loadInFolder(p, tries[0], from, at)
}

// loadInFolder loads a file imported by path, which must lie in the main
// blueprint's folder (an upload stores that folder, and a deployment never
// reads the user's files again), or, for a file read through an import
// rule, in that rule's folder.
func (l *loader) loadInFolder(imp, abs string, from *source, at Pos) *source {
	if from != nil {
		fromFile, _, _ := strings.Cut(from.key, "\x00") // the key without its namespace
		if root := l.ruleRoot[fromFile]; root != "" && within(root, abs) {
			l.ruleRoot[abs] = root
			return l.loadPath(abs, at)
		}
	}
	if !within(l.mainDir, abs) {
		shown := abs
		if r, err := filepath.EvalSymlinks(abs); err == nil && r != abs {
			shown = fmt.Sprintf("%s, a link to %s", abs, r)
		}
		l.add(at, CodeImportOutside, fmt.Sprintf("import %q is %s, outside the blueprint's folder %s", imp, shown, l.mainDir),
			"Gantry stores the blueprint's folder and nothing else: copy the file into the folder and import it by a relative path, or map a URL to a local folder with --import-rule")
		return nil
	}
	return l.loadPath(abs, at)
}

// within reports whether path lies under dir, also once symbolic links
// are resolved (when both exist).
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil || !filepath.IsLocal(rel) {
		return false
	}
	rd, err1 := filepath.EvalSymlinks(dir)
	rp, err2 := filepath.EvalSymlinks(path)
	if err1 != nil || err2 != nil {
		return true // a missing file is reported when it is read
	}
	rel, err = filepath.Rel(rd, rp)
	return err == nil && filepath.IsLocal(rel)
}

func (l *loader) loadPath(abs string, at Pos) *source {
	return l.load(abs, l.displayName(abs), filepath.Dir(abs), false, nil, at)
}

// builtinKeyPrefix starts the key of a built-in file.
const builtinKeyPrefix = "builtin:"

func (l *loader) loadBuiltin(name string, at Pos) *source {
	data, err := builtinFS.ReadFile("builtin/" + name)
	if err != nil {
		l.add(at, CodeImportNotFound, fmt.Sprintf("no built-in file %q", name), "")
		return nil
	}
	key := builtinKeyPrefix + name
	defer l.withoutNamespace()()
	return l.load(key, "<gantry>/"+name, "", true, data, at)
}

func (l *loader) loadBuiltinPlugin(name string, at Pos) *source {
	names := BuiltinPlugins()
	i := sort.SearchStrings(names, name)
	if i >= len(names) || names[i] != name {
		hint := "built-in plugins: " + strings.Join(names, ", ")
		if s := suggest(name, names); s != "" {
			hint = s + " " + hint
		}
		l.add(at, CodeImportNotFound, fmt.Sprintf("plugin:%s is not a Gantry built-in plugin", name), hint)
		return nil
	}
	if rt := l.opts.Runtime; rt != nil {
		if _, ok := rt.Plugins[name]; !ok {
			var runs []string
			for _, n := range names {
				if _, ok := rt.Plugins[n]; ok {
					runs = append(runs, n)
				}
			}
			l.add(at, CodePluginNotRunnable, fmt.Sprintf("plugin:%s is not offered: Gantry has no runtime for it yet", name),
				"built-in plugins that run: "+strings.Join(runs, ", "))
			return nil
		}
	}
	return l.loadBuiltin("plugins/"+name+".yaml", at)
}
