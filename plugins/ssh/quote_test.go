package ssh

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// hostileArgs are values that break naive command building.
var hostileArgs = []string{
	"x; rm -rf /",
	"$(touch /tmp/gantry-pwned)",
	"`id`",
	"it's",
	`"double" quotes`,
	"new\nline",
	"tab\there",
	`back\slash\`,
	"",
	"  spaces  ",
	"*",
	"~",
	"#not-a-comment",
	"a=b",
	"-n",
	"--",
	"$HOME ${PATH}",
	"!event",
	"a|b&c>d<e",
	"'; echo injected; '",
	"ünïcødé ✓",
	"\\'\\\"",
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"plain", "plain"},
		{"/usr/bin/kubectl", "/usr/bin/kubectl"},
		{"--flag=value", "'--flag=value'"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"x; rm -rf /", "'x; rm -rf /'"},
		{"$(id)", "'$(id)'"},
		{"~", "'~'"},
		{"a\nb", "'a\nb'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, Quote(tt.in))
		})
	}
	require.Equal(t, "printf '%s\\n' 'a b' ''", Join([]string{"printf", `%s\n`, "a b", ""}))
}

// echoArgs is a command line that prints each argument in <>, one a line.
func echoArgs(args []string) []string {
	return append([]string{"printf", "<%s>\\n"}, args...)
}

func wantEchoed(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString("<" + a + ">\n")
	}
	return b.String()
}

// TestQuoteLocalShell checks Join against the local /bin/sh (the same
// parsing a remote login shell does).
func TestQuoteLocalShell(t *testing.T) {
	out, err := exec.Command("/bin/sh", "-c", Join(echoArgs(hostileArgs))).Output()
	require.NoError(t, err)
	require.Equal(t, wantEchoed(hostileArgs), string(out))
}

func FuzzQuote(f *testing.F) {
	for _, a := range hostileArgs {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			t.Skip("NUL cannot be an argument")
		}
		out, err := exec.Command("/bin/sh", "-c", "printf '%s' "+Quote(s)).Output()
		require.NoError(t, err)
		require.Equal(t, s, string(out))
	})
}
