package ssh

import "strings"

// Quote returns s quoted for a POSIX shell so that the shell passes it on as
// exactly one literal word: no expansion, no splitting, no globbing, no
// command substitution. Words made only of safe characters are left bare.
// A NUL byte cannot be passed in an argument at all; Run rejects it.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	if isSafeWord(s) {
		return s
	}
	// Inside single quotes nothing is special except the closing quote, which
	// we end, escape and reopen: ' -> '\''
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes every argument and joins them with spaces into one command line.
func Join(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(a))
	}
	return b.String()
}

// isSafeWord reports whether s needs no quoting. '=' is deliberately not
// safe (a first word "a=b" would be an assignment), nor '~' or '#' (tilde
// expansion, comments at the start of a word).
func isSafeWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '-', c == '.', c == '/', c == ':', c == ',', c == '+', c == '@', c == '%':
		default:
			return false
		}
	}
	return true
}
