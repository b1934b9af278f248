package cmdutil

import (
	"bufio"
	"encoding/json"
	"io"
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
// of indenting it all), followed by a newline.
func PrintJSONOutline(w io.Writer, v any, depth int) error {
	o := &outliner{w: bufio.NewWriterSize(w, 64<<10), depth: depth}
	enc := json.NewEncoder(o)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode writes once, ending with '\n'
		return err
	}
	return o.w.Flush()
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
