package cmdutil

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrintJSONOutline(t *testing.T) {
	doc := map[string]any{
		"a":     1,
		"empty": map[string]any{},
		"none":  []any{},
		"nodes": []any{
			map[string]any{"id": "x", "s": `q"u{o,t:e]\`, "rels": []any{1, 2}},
			map[string]any{"id": "y"},
		},
		"text": "<b>, {not: [json]}",
	}
	for _, c := range []struct {
		depth int
		want  string
	}{
		{0, `{"a":1,"empty":{},"nodes":[{"id":"x","rels":[1,2],"s":"q\"u{o,t:e]\\"},{"id":"y"}],"none":[],"text":"<b>, {not: [json]}"}` + "\n"},
		{1, `{
  "a": 1,
  "empty": {},
  "nodes": [{"id":"x","rels":[1,2],"s":"q\"u{o,t:e]\\"},{"id":"y"}],
  "none": [],
  "text": "<b>, {not: [json]}"
}
`},
		{2, `{
  "a": 1,
  "empty": {},
  "nodes": [
    {"id":"x","rels":[1,2],"s":"q\"u{o,t:e]\\"},
    {"id":"y"}
  ],
  "none": [],
  "text": "<b>, {not: [json]}"
}
`},
	} {
		var out bytes.Buffer
		require.NoError(t, PrintJSONOutline(&out, doc, c.depth))
		assert.Equal(t, c.want, out.String(), "depth %d", c.depth)
		var back, want any
		require.NoError(t, json.Unmarshal(out.Bytes(), &back))
		js, _ := json.Marshal(doc)
		require.NoError(t, json.Unmarshal(js, &want))
		assert.Equal(t, want, back)

		// The same bytes written one at a time: the state carries over.
		var split bytes.Buffer
		o := &outliner{w: bufio.NewWriter(&split), depth: c.depth}
		var flat bytes.Buffer
		require.NoError(t, PrintJSONOutline(&flat, doc, 0))
		for _, b := range flat.Bytes() {
			_, err := o.Write([]byte{b})
			require.NoError(t, err)
		}
		require.NoError(t, o.w.WriteByte('\n'))
		require.NoError(t, o.w.Flush())
		assert.Equal(t, c.want, split.String(), "depth %d, byte by byte", c.depth)
	}
	assert.Error(t, PrintJSONOutline(&bytes.Buffer{}, map[string]any{"f": func() {}}, 1))
}

// A struct is written field by field and its slices element by element:
// the bytes are encoding/json's (tags, omitempty, nil and empty slices).
func TestPrintJSONOutlineStreamsStructs(t *testing.T) {
	type item struct {
		N int    `json:"n"`
		S string `json:"s,omitempty"`
	}
	type doc struct {
		Name    string         `json:"name"`
		Skip    string         `json:"-"`
		hidden  int            //nolint:unused // unexported fields are not written
		Opt     map[string]any `json:"opt,omitempty"`
		Items   []*item        `json:"items"`
		None    []int          `json:"none"`
		Empty   []int          `json:"empty"`
		OptList []int          `json:"opt_list,omitempty"`
		Untaged bool
		Raw     []byte `json:"raw"`
	}
	d := doc{Name: "<x>", Skip: "no", hidden: 1, Items: []*item{{N: 1, S: "a,b"}, {N: 2}}, Empty: []int{}, Raw: []byte("hi")}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(d))
	for _, v := range []any{d, &d} {
		var got bytes.Buffer
		require.NoError(t, PrintJSONOutline(&got, v, 0))
		assert.Equal(t, want.String(), got.String())
	}
	var got bytes.Buffer
	require.NoError(t, PrintJSONOutline(&got, &d, 2))
	assert.Equal(t, `{
  "name": "<x>",
  "items": [
    {"n":1,"s":"a,b"},
    {"n":2}
  ],
  "none": null,
  "empty": [],
  "Untaged": false,
  "raw": "aGk="
}
`, got.String())
}
