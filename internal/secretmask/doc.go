// Package secretmask replaces secret values with ****** in text: the one
// masking implementation behind event redaction (workflow) and SSH output
// masking (plugins/ssh).
//
// The rule (docs/security.md, "Secrets in output"): a secret value is masked
// as a whole and also by its fragments, so that a script printing it piece
// by piece does not leak it:
//
//   - every line of a multi-line value (split at "\n", trimmed of spaces,
//     tabs and "\r"), so a PEM key printed line by line, or a value stored
//     in events one line per event, is masked line by line;
//   - every string leaf of a value that is a JSON document (get_secret can
//     pick a part of a JSON secret).
//
// A value or fragment shorter than MinLen bytes is not masked on its own:
// masking a 2-character secret would replace every occurrence of those two
// characters in all output (and such a secret protects nothing). Longer
// candidates are matched first, so a secret containing another is masked
// whole.
//
// Masker is immutable and safe for concurrent use; Set accumulates values
// as they are handed out. Writers returned by Masker.Writer mask a stream
// and hold back only bytes that could start a secret.
package secretmask
