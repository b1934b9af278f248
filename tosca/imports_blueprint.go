package tosca

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// blueprintImportPrefix starts an import of a blueprint of the store
// (Cloudify 6+: `NS--blueprint:ID`).
const blueprintImportPrefix = "blueprint:"

// BlueprintResolver finds the blueprint a `blueprint:ID` import names in
// the caller's store: the path of its main file, in a folder holding its
// files that stays readable until Parse returns, or an error (an unknown
// id). The manager passes one; tosca never reads a store itself.
type BlueprintResolver func(id string) (mainFile string, err error)

// loadStoredBlueprint resolves `blueprint:ID` (imp is the whole import, with
// its namespace) through Options.Blueprints. As Cloudify, the import must
// be namespaced; the blueprint's node templates, types and the rest come
// in under that namespace, and its own relative imports are read from its
// folder.
func (l *loader) loadStoredBlueprint(imp, id string, at Pos) *source {
	if ns, _ := splitNamespace(strings.TrimSpace(imp)); ns == "" {
		l.add(at, CodeImportInvalid, fmt.Sprintf("import %q of a stored blueprint has no namespace", imp),
			fmt.Sprintf("Cloudify requires one: write `NS--%s` (its names become NS--name)", strings.TrimSpace(imp)))
		return nil
	}
	if id == "" {
		l.add(at, CodeImportInvalid, "`blueprint:` import without a blueprint id", "write NS--blueprint:ID with the id of an uploaded blueprint")
		return nil
	}
	if l.opts.Blueprints == nil {
		l.add(at, CodeImportUnmapped, fmt.Sprintf("import %q names a blueprint of a store, and this parse has none", imp),
			"blueprint:ID imports are resolved from the store when the blueprint is uploaded (`gantry blueprints upload`, `gantry install`); upload "+id+" first")
		return nil
	}
	main, ok := l.storedBlueprints[id]
	if !ok {
		var err error
		if main, err = l.opts.Blueprints(id); err != nil {
			l.add(at, CodeImportNotFound, fmt.Sprintf("import %q: %v", imp, err),
				fmt.Sprintf("upload the blueprint first (`gantry blueprints upload PATH -b %s`)", id))
			return nil
		}
		if l.storedBlueprints == nil {
			l.storedBlueprints = map[string]string{}
		}
		l.storedBlueprints[id] = main
	}
	dir := filepath.Dir(main)
	if l.ruleRoot == nil {
		l.ruleRoot = map[string]string{}
	}
	l.ruleRoot[main] = dir // its relative imports stay in its folder
	l.curStored = &storedOrigin{ns: l.curNS, id: id, dir: dir, at: at}
	return l.load(main, blueprintImportPrefix+id+"/"+filepath.Base(main), dir, false, nil, at)
}

// storedOrigin is a blueprint of the store imported under a namespace:
// the scripts its operations name are its own files, named NS--path in
// the plan (as Cloudify serves them). A run finds them there: the
// manager extracts each blueprint of Plan.NamespacesMapping into the
// importer's folder with every path prefixed by its namespace and "--".
type storedOrigin struct {
	ns  string // the whole namespace (NS, or A--NS when nested)
	id  string
	dir string // the folder its files were extracted to for the parse
	at  Pos    // the import
}

// holds reports whether rel (slash-separated, relative) names a file of
// the blueprint's folder (not a link out of it).
func (o *storedOrigin) holds(rel string) bool {
	path := filepath.FromSlash(rel)
	if !filepath.IsLocal(path) {
		return false
	}
	full := filepath.Join(o.dir, path)
	st, err := os.Stat(full)
	return err == nil && !st.IsDir() && within(o.dir, full)
}

// namespacedPath is a file of a stored blueprint as the importer's run
// folder holds it.
func (o *storedOrigin) namespacedPath(rel string) string { return o.ns + NamespaceDelimiter + rel }

// checkImportedFiles refuses a blueprint whose folder holds a name where
// a run puts a file of a stored blueprint whose scripts it runs (NS--name
// for each top-level name of that blueprint's folder): one would hide the
// other.
func (p *parser) checkImportedFiles() {
	done := map[string]bool{}
	for _, o := range p.stored {
		if _, used := p.bp.NamespacesMapping[o.ns]; !used || done[o.ns] || p.bp.Dir == "" {
			continue
		}
		done[o.ns] = true
		entries, err := os.ReadDir(o.dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := o.namespacedPath(e.Name())
			if _, err := os.Lstat(filepath.Join(p.bp.Dir, name)); err == nil {
				p.add(o.at, CodeImportConflict, fmt.Sprintf("the blueprint's folder has %s, where a run puts %s of blueprint %s (imported as %s%s)", name, e.Name(), o.id, o.ns, NamespaceDelimiter),
					"rename "+name+": names starting with "+o.ns+NamespaceDelimiter+" are the imported blueprint's")
			}
		}
	}
}
