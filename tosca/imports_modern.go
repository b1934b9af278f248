package tosca

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Imports as a Cloudify 7 manager resolves them (manager-7/README.md in
// the conformance corpus): `cloudify/types/types.yaml` by DSL version from
// a resources folder, `plugin:NAME?version=SPEC` from a plugin catalog,
// and namespaced imports `NS--import`.

// Environment variables that stand for the --resources-dir and
// --plugins-dir flags.
const (
	EnvResourcesDir = "GANTRY_RESOURCES_DIR"
	EnvPluginsDir   = "GANTRY_PLUGINS_DIR"
)

// typesImport is the relative import every modern blueprint starts with.
const typesImport = "cloudify/types/types.yaml"

// NamespaceDelimiter separates a namespace from the import and from the
// names it prefixes.
const NamespaceDelimiter = "--"

// maxCatalogEntries bounds the folders read from one catalog listing.
const maxCatalogEntries = 10_000

// WithEnvDirs fills ResourcesDir and PluginsDir from GANTRY_RESOURCES_DIR
// and GANTRY_PLUGINS_DIR where the caller left them empty.
func (o Options) WithEnvDirs() Options {
	if o.ResourcesDir == "" {
		o.ResourcesDir = os.Getenv(EnvResourcesDir)
	}
	if o.PluginsDir == "" {
		o.PluginsDir = os.Getenv(EnvPluginsDir)
	}
	return o
}

// versionSuffix is `_1_N` for a blueprint of cloudify_dsl_1_N.
func (v dslVersion) suffix() string { return fmt.Sprintf("_%d_%d", v.major, v.minor) }

// splitNamespace splits `NS--import` into its namespace and the import;
// a namespace is a plain name (no '/', ':' or '.'), so URLs and paths
// holding "--" are left alone.
func splitNamespace(imp string) (ns, rest string) {
	i := strings.Index(imp, NamespaceDelimiter)
	if i <= 0 || strings.ContainsAny(imp[:i], "/:.\\ ") {
		return "", imp
	}
	return imp[:i], imp[i+len(NamespaceDelimiter):]
}

// loadResource resolves a relative import that is not beside the
// importing file as the manager does: ResourcesDir/NAME_1_N.yaml, then
// ResourcesDir/NAME; without a resources folder, cloudify/types/types.yaml
// is Gantry's built-in types. ok is false when neither applies.
func (l *loader) loadResource(p string, at Pos) (*source, bool) {
	if dir := l.opts.ResourcesDir; dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			abs = dir
		}
		ext := filepath.Ext(p)
		for _, cand := range []string{strings.TrimSuffix(p, ext) + l.ver.suffix() + ext, p} {
			f := filepath.Join(abs, filepath.FromSlash(cand))
			if !within(abs, f) {
				continue
			}
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
				if l.ruleRoot == nil {
					l.ruleRoot = map[string]string{}
				}
				l.ruleRoot[f] = abs
				restore := l.withoutNamespace() // Cloudify's basic types are never namespaced
				s := l.loadPath(f, at)
				restore()
				if s != nil {
					s.resource = true
				}
				return s, true
			}
		}
	}
	if filepath.ToSlash(filepath.Clean(p)) == typesImport {
		return l.loadBuiltin("types.yaml", at), true
	}
	return nil, false
}

// pluginImport is a parsed `plugin:NAME[?version=SPEC][&distribution=D]`.
type pluginImport struct {
	name    string
	spec    pepSpec
	hasSpec bool
}

// parsePluginImport parses the part after `plugin:`.
func parsePluginImport(s string) (pluginImport, error) {
	name, query, _ := strings.Cut(s, "?")
	pi := pluginImport{name: strings.TrimSpace(name)}
	if pi.name == "" {
		return pi, fmt.Errorf("plugin import without a name")
	}
	if query == "" {
		return pi, nil
	}
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		switch strings.TrimSpace(k) {
		case "version":
			sp, err := parsePEP440Spec(v)
			if err != nil {
				return pi, err
			}
			pi.spec, pi.hasSpec = sp, true
		case "distribution":
		default:
			return pi, fmt.Errorf("unknown plugin import parameter %q (only version and distribution)", k)
		}
	}
	return pi, nil
}

// loadPlugin resolves `plugin:...`: a Gantry plugin where one exists, else
// the highest matching version in the plugin catalog.
func (l *loader) loadPlugin(s string, at Pos) *source {
	pi, err := parsePluginImport(s)
	if err != nil {
		l.add(at, CodeImportInvalid, fmt.Sprintf("plugin:%s: %v", s, err),
			"write plugin:NAME or plugin:NAME?version=SPEC with a PEP 440 specifier such as >=1.2,<2")
		return nil
	}
	names := BuiltinPlugins()
	if i := sort.SearchStrings(names, pi.name); i < len(names) && names[i] == pi.name {
		return l.loadBuiltinPlugin(pi.name, at)
	}
	if l.opts.PluginsDir == "" {
		hint := "Gantry plugins: " + strings.Join(names, ", ") + "; for a third-party plugin give a catalog with --plugins-dir DIR (or $" + EnvPluginsDir + ") holding DIR/NAME/VERSION/plugin.yaml"
		if sg := suggest(pi.name, names); sg != "" {
			hint = sg + " " + hint
		}
		l.add(at, CodeImportNotFound, fmt.Sprintf("plugin:%s is not a Gantry plugin, and no plugin catalog is given", s), hint)
		return nil
	}
	return l.loadCatalogPlugin(pi, s, at)
}

var pluginFileRe = regexp.MustCompile(`^plugin_1_([0-9]{1,3})\.yaml$`)

func (l *loader) loadCatalogPlugin(pi pluginImport, s string, at Pos) *source {
	root, err := filepath.Abs(l.opts.PluginsDir)
	if err != nil {
		root = l.opts.PluginsDir
	}
	dir := filepath.Join(root, pi.name)
	if !filepath.IsLocal(pi.name) || strings.ContainsAny(pi.name, `/\`) || !within(root, dir) {
		l.add(at, CodeImportInvalid, fmt.Sprintf("plugin:%s: %q is not a plugin name", s, pi.name), "a plugin name is its package_name")
		return nil
	}
	entries, err := readDirBounded(dir)
	if err != nil {
		l.add(at, CodeImportNotFound, fmt.Sprintf("plugin:%s is neither a Gantry plugin nor in the plugin catalog %s", s, root),
			fmt.Sprintf("add it as %s/%s/VERSION/plugin.yaml, or use a Gantry plugin: %s", root, pi.name, strings.Join(BuiltinPlugins(), ", ")))
		return nil
	}
	best, bestRaw := pepVersion{}, ""
	var versions []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		raw := e.Name()
		versions = append(versions, raw)
		v, err := parsePEP440(raw)
		if err != nil {
			if pi.hasSpec && len(pi.spec.clauses) == 1 && pi.spec.clauses[0].op == "===" && pi.spec.clauses[0].match(raw, v) && bestRaw == "" {
				bestRaw = raw
			}
			continue
		}
		if !pi.spec.contains(raw, v) { // an empty spec: every final release
			continue
		}
		if bestRaw == "" || v.compare(best) > 0 {
			best, bestRaw = v, raw
		}
	}
	if bestRaw == "" {
		sort.Strings(versions)
		l.add(at, CodeImportNotFound, fmt.Sprintf("plugin:%s: no version of %s in the plugin catalog matches", s, pi.name),
			"versions in the catalog: "+strings.Join(versions, ", "))
		return nil
	}
	return l.loadCatalogFile(filepath.Join(dir, bestRaw), at)
}

// readDirBounded lists a folder, refusing more than maxCatalogEntries.
func readDirBounded(dir string) ([]os.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(maxCatalogEntries + 1)
	if err != nil {
		return nil, err
	}
	if len(entries) > maxCatalogEntries {
		return nil, fmt.Errorf("%s holds more than %d entries", dir, maxCatalogEntries)
	}
	return entries, nil
}

// loadCatalogFile picks the file of one plugin version the manager serves
// a blueprint of this DSL version: plugin_1_N.yaml for the blueprint's N,
// else the highest plugin_1_M.yaml with M <= N, else plugin.yaml. A plugin
// without plugin_1_3.yaml whose plugin.yaml uses 1_4+ types has one made
// from it (downgradePlugin), as the manager does at upload.
func (l *loader) loadCatalogFile(dir string, at Pos) *source {
	entries, err := readDirBounded(dir)
	if err != nil {
		l.add(at, CodeFileRead, fmt.Sprintf("cannot read the plugin folder %s: %v", dir, err), "")
		return nil
	}
	avail := map[int]bool{}
	hasMain := false
	for _, e := range entries {
		if e.Name() == "plugin.yaml" {
			hasMain = true
		} else if m := pluginFileRe.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			avail[n] = true
		}
	}
	if l.ruleRoot == nil {
		l.ruleRoot = map[string]string{}
	}
	mainFile := filepath.Join(dir, "plugin.yaml")
	var downgraded *ynode
	var dprobs Problems
	if hasMain && !avail[3] {
		if data, ok := l.readFile(mainFile, l.displayName(mainFile), at); ok {
			root, probs := decodeYAML(l.displayName(mainFile), data, l.opts.maxFileSize())
			if root != nil && root.kind == kMap && downgradePlugin(root) {
				avail[3], downgraded, dprobs = true, root, probs
			}
		}
	}
	pick := -1
	for n := range avail {
		if n <= l.ver.minor && n > pick {
			pick = n
		}
	}
	if pick < 0 {
		l.ruleRoot[mainFile] = dir
		return l.loadPath(mainFile, at)
	}
	f := filepath.Join(dir, fmt.Sprintf("plugin_1_%d.yaml", pick))
	l.ruleRoot[f] = dir
	if pick == 3 && downgraded != nil {
		if l.pre == nil {
			l.pre = map[string]preDecoded{}
		}
		l.pre[f] = preDecoded{downgraded, dprobs}
		return l.load(f, l.displayName(f)+" (made from plugin.yaml for DSL 1_3)", dir, false, []byte{}, at)
	}
	return l.loadPath(f, at)
}

// typesSince1_4 are the input types DSL 1_4 and 1_5 add.
var typesSince1_4 = map[string]bool{
	"blueprint_id": true, "deployment_id": true, "node_id": true, "node_type": true, "node_instance": true,
	"scaling_group": true, "secret_key": true, "capability_value": true, "operation_name": true,
}

// downgradeSelectors are the schema entries a manager downgrades in a
// plugin_1_3.yaml it makes ("*" is every key).
var downgradeSelectors = [][]string{
	{"data_types", "*", "properties", "*"},
	{"inputs", "*"},
	{"node_types", "*", "properties", "*"},
	{"relationships", "*", "source_interfaces", "*", "*", "inputs", "*"},
	{"relationships", "*", "target_interfaces", "*", "*", "inputs", "*"},
	{"workflows", "*", "parameters", "*"},
}

// selectNodes calls fn with every map node path selects under n.
func selectNodes(n *ynode, path []string, fn func(*ynode)) {
	if n == nil || n.kind != kMap {
		return
	}
	if len(path) == 0 {
		fn(n)
		return
	}
	if path[0] == "*" {
		for _, v := range n.vals {
			selectNodes(v, path[1:], fn)
		}
		return
	}
	selectNodes(n.get(path[0]), path[1:], fn)
}

// downgradePlugin rewrites a plugin.yaml into the plugin_1_3.yaml a
// manager makes for it (create_bc_plugin_yaml): schema entries of a
// 1_4+ type become string without constraints or item_type, and
// workflows lose availability_rules. It reports whether anything changed
// (the manager makes the file only then).
func downgradePlugin(root *ynode) bool {
	changed := false
	for _, sel := range downgradeSelectors {
		selectNodes(root, sel, func(e *ynode) {
			if t, ok := e.get("type").str(); ok && typesSince1_4[t] {
				e.set("type", &ynode{kind: kString, val: "string", pos: e.get("type").pos})
				e.del("constraints")
				e.del("item_type")
				changed = true
			}
		})
	}
	selectNodes(root, []string{"workflows", "*"}, func(w *ynode) {
		if r := w.get("availability_rules"); r != nil && r.kind == kMap && len(r.keys) > 0 {
			w.del("availability_rules")
			changed = true
		}
	})
	return changed
}

// set replaces (or adds) key's value in a map node.
func (n *ynode) set(key string, v *ynode) {
	for i, k := range n.keys {
		if k.keyStr() == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, &ynode{kind: kString, val: key, pos: v.pos})
	n.vals = append(n.vals, v)
}

// del removes key from a map node.
func (n *ynode) del(key string) {
	for i, k := range n.keys {
		if k.keyStr() == key {
			n.keys = append(n.keys[:i:i], n.keys[i+1:]...)
			n.vals = append(n.vals[:i:i], n.vals[i+1:]...)
			return
		}
	}
}

// importString is an import entry's string: a plain string, or (DSL 1_5)
// the single key of a mapping whose value sets the imported plugin's
// properties.
func importString(it *ynode) (string, bool) {
	if it.kind == kMap && len(it.keys) == 1 {
		return it.keys[0].str()
	}
	return it.str()
}
