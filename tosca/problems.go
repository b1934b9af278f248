package tosca

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a blueprint or its inputs, with the place
// it was found. Code is stable (see docs/problems.md); Message and Hint are
// for people.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// String renders the problem as `file:line:col: message (hint)`.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString(" (")
		b.WriteString(p.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Problems is a list of problems. A nil or empty list means "valid".
type Problems []Problem

// Error joins the problems, one per line, in human form.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when there are no problems.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Has reports whether a problem with the given code is in the list.
func (ps Problems) Has(code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}

// sortProblems orders problems by file, line, column, code and message and
// drops exact duplicates, so that output is deterministic.
func sortProblems(ps Problems) Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p == ps[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Problem codes. They are stable: tools may branch on them. Each is
// documented in docs/problems.md.
const (
	CodeFileRead            = "file-read"
	CodeFileTooLarge        = "file-too-large"
	CodeBinary              = "binary-content"
	CodeYAMLSyntax          = "yaml-syntax"
	CodeYAMLAliasLimit      = "yaml-alias-limit"
	CodeYAMLDepth           = "yaml-too-deep"
	CodeYAMLDuplicateKey    = "yaml-duplicate-key"
	CodeYAMLMultiDoc        = "yaml-multiple-documents"
	CodeYAMLMerge           = "yaml-merge-key"
	CodeNonFinite           = "number-not-finite"
	CodeVersionMissing      = "version-missing"
	CodeVersionInvalid      = "version-unsupported"
	CodeVersionMismatch     = "version-mismatch"
	CodeVersionFeature      = "version-too-old"
	CodeImportNotFound      = "import-not-found"
	CodeImportUnmapped      = "import-url-unmapped"
	CodeImportDuplicate     = "import-duplicate"
	CodeImportInvalid       = "import-invalid"
	CodeImportOutside       = "import-outside-folder"
	CodeImportConflict      = "import-conflict"
	CodeImportNotMergable   = "import-not-mergeable"
	CodeUnknownKey          = "unknown-key"
	CodeWrongType           = "wrong-type"
	CodeMissingKey          = "missing-key"
	CodeInvalidValue        = "invalid-value"
	CodeTypeNotFound        = "type-not-found"
	CodeDerivedCycle        = "derived-from-cycle"
	CodePrimitiveRedef      = "primitive-redefined"
	CodePropertyRequired    = "property-required"
	CodePropertyUnknown     = "property-unknown"
	CodePropertyType        = "property-type"
	CodeOpUnmapped          = "operation-unmapped"
	CodeOpAmbiguous         = "operation-plugin-ambiguous"
	CodeOpScriptPath        = "operation-script-path-input"
	CodeOpScriptPlugin      = "operation-script-plugin-missing"
	CodeOpScriptOutside     = "operation-script-outside-folder"
	CodeHostAgentNoHost     = "host-agent-without-host"
	CodePluginInvalid       = "plugin-invalid"
	CodeRelTargetMissing    = "relationship-target-missing"
	CodeRelSelf             = "relationship-self"
	CodeRelContainedTwice   = "relationship-contained-in-twice"
	CodeRelCycle            = "relationship-cycle"
	CodeRelUnsupported      = "relationship-unsupported"
	CodeInstances           = "instances-invalid"
	CodeInstanceLimit       = "instances-too-many"
	CodeGroupInvalid        = "group-invalid"
	CodeGroupCycle          = "group-cycle"
	CodeScalingGroup        = "scaling-group-invalid"
	CodePolicyInvalid       = "policy-invalid"
	CodeWorkflowInvalid     = "workflow-invalid"
	CodeWorkflowNotRunnable = "workflow-not-runnable"
	CodeOpNotRunnable       = "operation-not-runnable"
	CodePluginNotRunnable   = "plugin-not-runnable"
	CodeInputMissing        = "input-missing"
	CodeInputUnknown        = "input-unknown"
	CodeInputType           = "input-type"
	CodeInputConstraint     = "input-constraint"
	CodeFuncArgs            = "function-arguments"
	CodeFuncInput           = "function-unknown-input"
	CodeFuncNode            = "function-unknown-node"
	CodeFuncContext         = "function-context"
	CodeFuncProperty        = "function-unknown-property"
	CodeFuncCycle           = "function-cycle"
	CodeFuncEval            = "function-evaluation"
	CodeFuncUnsupported     = "function-unsupported"
	CodeNameInvalid         = "name-invalid"
	CodeInternal            = "internal-error"
)
