package kubernetes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"gopkg.in/yaml.v3"
)

// ErrManifest is returned when the Microservice's config or config_files
// cannot be turned into Kubernetes objects.
var ErrManifest = errors.New("invalid manifest")

// ConfigFile is one entry of the Microservice's config_files property.
type ConfigFile struct {
	File      string         // blueprint-relative path of a YAML manifest (may hold several documents)
	Overrides map[string]any // override path -> value (see SetPath)
}

// ParseConfigFiles reads the config_files property value.
func ParseConfigFiles(v any) ([]ConfigFile, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: config_files must be a list of {file, overrides}, got %s", ErrManifest, kindOf(v))
	}
	out := make([]ConfigFile, 0, len(list))
	for i, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: config_files[%d] must be a map with 'file', got %s", ErrManifest, i, kindOf(el))
		}
		file, _ := m["file"].(string)
		if file == "" {
			return nil, fmt.Errorf("%w: config_files[%d] has no 'file'", ErrManifest, i)
		}
		cf := ConfigFile{File: file}
		for k := range m {
			if k != "file" && k != "overrides" {
				return nil, fmt.Errorf("%w: config_files[%d]: unknown key %q (want file, overrides)", ErrManifest, i, k)
			}
		}
		switch o := m["overrides"].(type) {
		case nil:
		case map[string]any:
			cf.Overrides = o
		case []any:
			return nil, fmt.Errorf("%w: config_files[%d].overrides is a list (the 2016 plugin's Python statements); "+
				"Gantry takes a map of PATH: VALUE, e.g. {\"spec.containers[0].image\": \"nginx:1.27\"}", ErrManifest, i)
		default:
			return nil, fmt.Errorf("%w: config_files[%d].overrides must be a map of PATH: VALUE, got %s", ErrManifest, i, kindOf(o))
		}
		out = append(out, cf)
	}
	return out, nil
}

// RenderManifests builds the objects to apply: the config map when it is
// not empty, else every document of every config file with its overrides
// applied in path order. readFile reads a blueprint-relative file.
func RenderManifests(config map[string]any, files []ConfigFile, readFile func(string) ([]byte, error)) ([]map[string]any, error) {
	if len(config) > 0 {
		if err := checkObject(config, "config"); err != nil {
			return nil, err
		}
		return []map[string]any{config}, nil
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: the Microservice has neither config nor config_files", ErrManifest)
	}
	var objs []map[string]any
	for _, cf := range files {
		data, err := readFile(cf.File)
		if err != nil {
			return nil, fmt.Errorf("%w: reading %s: %v", ErrManifest, cf.File, err)
		}
		docs, err := decodeDocuments(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrManifest, cf.File, err)
		}
		if len(docs) == 0 {
			return nil, fmt.Errorf("%w: %s holds no Kubernetes object", ErrManifest, cf.File)
		}
		paths := make([]string, 0, len(cf.Overrides))
		for p := range cf.Overrides {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for i, doc := range docs {
			if err := checkObject(doc, fmt.Sprintf("%s document %d", cf.File, i+1)); err != nil {
				return nil, err
			}
		}
		// Overrides address the first document (the 2016 format had one
		// object per file); several documents are addressed by [N] at the
		// front of the path, e.g. "[1].spec.replicas".
		for _, p := range paths {
			target, rest, err := pickDocument(docs, p)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrManifest, cf.File, err)
			}
			if err := SetPath(target, rest, cf.Overrides[p]); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrManifest, cf.File, err)
			}
		}
		objs = append(objs, docs...)
	}
	return objs, nil
}

func pickDocument(docs []map[string]any, path string) (map[string]any, string, error) {
	if len(path) > 0 && path[0] == '[' {
		var n int
		var rest string
		if _, err := fmt.Sscanf(path, "[%d]", &n); err == nil {
			end := bytes.IndexByte([]byte(path), ']')
			rest = path[end+1:]
			if len(rest) > 0 && rest[0] == '.' {
				rest = rest[1:]
			}
			if n < 0 || n >= len(docs) {
				return nil, "", fmt.Errorf("override %q: document index %d out of range (%d documents)", path, n, len(docs))
			}
			return docs[n], rest, nil
		}
	}
	return docs[0], path, nil
}

func decodeDocuments(data []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

func checkObject(obj map[string]any, where string) error {
	kind, _ := obj["kind"].(string)
	api, _ := obj["apiVersion"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	switch {
	case kind == "":
		return fmt.Errorf("%w: %s has no kind", ErrManifest, where)
	case api == "":
		return fmt.Errorf("%w: %s (%s) has no apiVersion", ErrManifest, where, kind)
	case name == "":
		return fmt.Errorf("%w: %s (%s) has no metadata.name (generateName is not supported: Gantry must know what it created)", ErrManifest, where, kind)
	}
	return nil
}

// EncodeList encodes objects as one JSON v1 List, the input of `kubectl apply -f -`.
func EncodeList(objs []map[string]any) ([]byte, error) {
	items := make([]any, len(objs))
	for i, o := range objs {
		items[i] = o
	}
	data, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		return nil, fmt.Errorf("%w: encoding: %v", ErrManifest, err)
	}
	return data, nil
}
