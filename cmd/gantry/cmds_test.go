package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the commands the scripts use besides testscript's own.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"json":     cmdJSON,
	"jsonvar":  cmdJSONVar,
	"ndjson":   cmdNDJSON,
	"waitfile": cmdWaitFile,
	"allbytes": cmdAllBytes,
}

// cmdJSON asserts on a JSON document (a file, or stdout/stderr):
//
//	json FILE PATH                 the value at PATH exists (! json: it does not)
//	json FILE PATH == VALUE        equals VALUE (JSON if it parses, else a string)
//	json FILE PATH len N           an array, object or string of length N
//	json FILE PATH type TYPE       object, array, string, number, bool or null
//	json FILE PATH has KEY...      an object with these keys
//	json FILE PATH all KEY VALUE   an array of objects whose KEY all equal VALUE
//
// PATH is dotted: object keys and array indexes (negative from the end);
// "." is the whole document.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: json FILE PATH [== VALUE | len N | type TYPE | has KEY... | all KEY VALUE]")
	}
	doc := readJSON(ts, args[0])
	v, found := lookup(doc, args[1])
	if len(args) == 2 {
		switch {
		case found && neg:
			ts.Fatalf("%s: %s exists (%s)", args[0], args[1], short(v))
		case !found && !neg:
			ts.Fatalf("%s: %s does not exist", args[0], args[1])
		}
		return
	}
	if !found {
		ts.Fatalf("%s: %s does not exist", args[0], args[1])
	}
	ok, what := check(ts, v, args[2], args[3:])
	if ok == neg {
		ts.Fatalf("%s: %s: %s", args[0], args[1], what)
	}
}

// check evaluates one assertion and describes the value for messages.
func check(ts *testscript.TestScript, v any, op string, args []string) (bool, string) {
	need := func(n int) {
		if len(args) < n {
			ts.Fatalf("json: %s needs %d argument(s)", op, n)
		}
	}
	switch op {
	case "==":
		need(1)
		want := parseValue(args[0])
		if s, ok := v.(string); ok && s == args[0] {
			return true, "" // a string that reads as a number (an all-digit id) equals its text
		}
		return reflect.DeepEqual(v, want), fmt.Sprintf("got %s, want %s", short(v), short(want))
	case "len":
		need(1)
		n, err := strconv.Atoi(args[0])
		ts.Check(err)
		got := -1
		switch x := v.(type) {
		case []any:
			got = len(x)
		case map[string]any:
			got = len(x)
		case string:
			got = len(x)
		}
		return got == n, fmt.Sprintf("length %d, want %d", got, n)
	case "type":
		need(1)
		got := typeName(v)
		return got == args[0], fmt.Sprintf("type %s, want %s", got, args[0])
	case "has":
		need(1)
		obj, ok := v.(map[string]any)
		if !ok {
			return false, fmt.Sprintf("%s is not an object", short(v))
		}
		for _, k := range args {
			if _, ok := obj[k]; !ok {
				return false, fmt.Sprintf("no key %q in %s", k, short(v))
			}
		}
		return true, fmt.Sprintf("has keys %v", args)
	case "all":
		need(2)
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return false, fmt.Sprintf("%s is not a non-empty array", short(v))
		}
		want := parseValue(args[1])
		for i, el := range arr {
			got, _ := lookup(el, args[0])
			if !reflect.DeepEqual(got, want) {
				return false, fmt.Sprintf("element %d: %s is %s, want %s", i, args[0], short(got), short(want))
			}
		}
		return true, fmt.Sprintf("all %s are %s", args[0], short(want))
	}
	ts.Fatalf("json: unknown assertion %q", op)
	return false, ""
}

// cmdJSONVar sets an environment variable to the value at PATH: strings
// as they are, other values as JSON.
//
//	jsonvar VAR FILE PATH
func cmdJSONVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonvar VAR FILE PATH")
	}
	v, found := lookup(readJSON(ts, args[1]), args[2])
	if !found {
		ts.Fatalf("%s: %s does not exist", args[1], args[2])
	}
	s, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		ts.Check(err)
		s = string(b)
	}
	ts.Setenv(args[0], s)
}

// cmdNDJSON checks that FILE holds events as NDJSON: one object a line,
// each with seq (strictly increasing), execution_id, type, timestamp and
// message, all of one execution. The TYPEs given must each occur.
//
//	ndjson FILE [TYPE...]
func cmdNDJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: ndjson FILE [TYPE...]")
	}
	text := ts.ReadFile(args[0])
	seen := map[string]int{}
	var lastSeq float64
	execID := ""
	n := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			ts.Fatalf("%s line %d is not a JSON object: %v: %q", args[0], n, err, sc.Text())
		}
		for _, k := range []string{"seq", "execution_id", "type", "timestamp", "message"} {
			if _, ok := ev[k]; !ok {
				ts.Fatalf("%s line %d has no %q: %q", args[0], n, k, sc.Text())
			}
		}
		seq, _ := ev["seq"].(float64)
		if seq <= lastSeq {
			ts.Fatalf("%s line %d: seq %v after %v", args[0], n, seq, lastSeq)
		}
		lastSeq = seq
		id, _ := ev["execution_id"].(string)
		if execID == "" {
			execID = id
		} else if id != execID {
			ts.Fatalf("%s line %d: execution %s among events of %s", args[0], n, id, execID)
		}
		typ, _ := ev["type"].(string)
		seen[typ]++
	}
	ts.Check(sc.Err())
	if n == 0 {
		ts.Fatalf("%s: no events", args[0])
	}
	for _, typ := range args[1:] {
		if seen[typ] == 0 {
			ts.Fatalf("%s: no %s event among %v", args[0], typ, seen)
		}
	}
}

// cmdAllBytes writes every byte value from FIRST (default 0) to 0xff in
// order to FILE: a value that is not UTF-8 (from 1, one an environment
// variable can carry).
//
//	allbytes FILE [FIRST]
func cmdAllBytes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: allbytes FILE [FIRST]")
	}
	first := 0
	if len(args) == 2 {
		var err error
		first, err = strconv.Atoi(args[1])
		ts.Check(err)
	}
	var b []byte
	for i := first; i < 256; i++ {
		b = append(b, byte(i))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o600))
}

// cmdWaitFile waits (up to 30 s) until FILE exists.
//
//	waitfile FILE
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear within 30s", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readJSON(ts *testscript.TestScript, file string) any {
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile(file)), &v); err != nil {
		ts.Fatalf("%s is not JSON: %v", file, err)
	}
	return v
}

// lookup follows a dotted path of keys and indexes.
func lookup(v any, path string) (any, bool) {
	if path == "." || path == "" {
		return v, true
	}
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil {
				return nil, false
			}
			if i < 0 {
				i += len(x)
			}
			if i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func parseValue(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
}

func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
