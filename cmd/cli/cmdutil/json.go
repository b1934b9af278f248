package cmdutil

import (
	"bufio"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

// PrintJSON writes v as indented JSON followed by a newline.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// PrintNDJSON writes v as one compact JSON line.
func PrintNDJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// PrintJSONOutline writes v as JSON indented only to depth levels, each
// value deeper than that on one line (a large document stays readable line
// by line, e.g. one plan node per line, at a fraction of the cost and size
// of indenting it all), followed by a newline. A struct's slices are
// written element by element, so that the document is never held whole.
func PrintJSONOutline(w io.Writer, v any, depth int) error {
	o := &outliner{w: bufio.NewWriterSize(w, 64<<10), depth: depth}
	enc := json.NewEncoder(o)
	enc.SetEscapeHTML(false)
	if err := streamJSON(o, enc, reflect.ValueOf(v)); err != nil {
		return err
	}
	o.w.WriteByte('\n')
	return o.w.Flush()
}

// streamJSON writes v as encoding/json would, a struct (or a pointer to
// one) field by field and its slices element by element. Anything else, and
// a struct encoding/json treats specially, is encoded whole.
func streamJSON(o *outliner, enc *json.Encoder, v reflect.Value) error {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() || v.Kind() != reflect.Struct || v.Type().Implements(marshalerType) || reflect.PointerTo(v.Type()).Implements(marshalerType) {
		return enc.Encode(v.Interface())
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Anonymous {
			return enc.Encode(v.Interface())
		}
	}
	o.Write([]byte{'{'})
	first := true
	for i := 0; i < t.NumField(); i++ {
		sf, fv := t.Field(i), v.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" || (opts == "omitempty" && isEmptyJSON(fv)) {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if !first {
			o.Write([]byte{','})
		}
		first = false
		key, _ := json.Marshal(name)
		o.Write(append(key, ':'))
		if fv.Kind() != reflect.Slice || fv.IsNil() || fv.Type().Elem().Kind() == reflect.Uint8 {
			if err := enc.Encode(fv.Interface()); err != nil {
				return err
			}
			continue
		}
		o.Write([]byte{'['})
		for j := 0; j < fv.Len(); j++ {
			if j > 0 {
				o.Write([]byte{','})
			}
			if err := enc.Encode(fv.Index(j).Interface()); err != nil {
				return err
			}
		}
		o.Write([]byte{']'})
	}
	o.Write([]byte{'}'})
	return nil
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// isEmptyJSON is encoding/json's omitempty test.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// outliner copies compact JSON to w, broken into lines down to depth
// levels with two spaces of indent per level.
type outliner struct {
	w        *bufio.Writer
	depth    int
	level    int
	inString bool
	escaped  bool // the previous byte was a backslash in a string
	prev     byte // the previous byte outside strings
	pending  bool // an opening bracket whose line break waits for the next byte
}

func (o *outliner) newline(level int) {
	o.w.WriteByte('\n')
	for i := 0; i < level; i++ {
		o.w.WriteString("  ")
	}
}

func (o *outliner) Write(js []byte) (int, error) {
	start := 0 // of the bytes of js not written yet
	for i, c := range js {
		if o.inString {
			switch {
			case o.escaped:
				o.escaped = false
			case c == '\\':
				o.escaped = true
			case c == '"':
				o.inString = false
			}
			continue
		}
		if c == '\n' { // Encode's newline after each value
			o.w.Write(js[start:i])
			start = i + 1
			continue
		}
		if o.pending { // after '{' or '[' at a shallow level: break unless empty
			o.pending = false
			if c != '}' && c != ']' {
				o.w.Write(js[start:i])
				o.newline(o.level)
				start = i
			}
		}
		switch c {
		case '"':
			o.inString = true
		case '{', '[':
			o.level++
			o.pending = o.level <= o.depth
		case '}', ']':
			if o.level <= o.depth && o.prev != '{' && o.prev != '[' {
				o.w.Write(js[start:i])
				o.newline(o.level - 1)
				start = i
			}
			o.level--
		case ',':
			if o.level <= o.depth {
				o.w.Write(js[start : i+1])
				o.newline(o.level)
				start = i + 1
			}
		case ':':
			if o.level <= o.depth {
				o.w.Write(js[start : i+1])
				o.w.WriteByte(' ')
				start = i + 1
			}
		}
		o.prev = c
	}
	o.w.Write(js[start:])
	return len(js), nil
}
