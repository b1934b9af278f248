package secretmask

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMaskerString(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"none", nil, "pass s3cr3t", "pass s3cr3t"},
		{"one", []string{"s3cr3t"}, "pass s3cr3t done", "pass ****** done"},
		{"repeated", []string{"abcd"}, "abcdabcd-abcd", "************-******"},
		{"short secret not masked alone", []string{"ab"}, "abab-ab", "abab-ab"},
		{"short lines not masked alone", []string{"ab\ncd"}, "ab cd ab\ncd", "ab cd ******"},
		{"empty secret ignored", []string{""}, "text", "text"},
		{"longer wins over prefix", []string{"abcd", "abcdefg"}, "xabcdefgx abcdx", "x******x ******x"},
		{"overlapping", []string{"abab"}, "ababab", "******ab"},
		{"multi-line secret", []string{"-----BEGIN\nKEYS\n-----END"}, "k=-----BEGIN\nKEYS\n-----END.", "k=******."},
		{"each line of a multi-line secret", []string{"-----BEGIN KEY-----\r\n  MIIEabcd\nxy\n-----END KEY-----\n"},
			"line -----BEGIN KEY-----\nline     MIIEabcd  \nline xy\nline -----END KEY-----",
			"line ******\nline     ******  \nline xy\nline ******"},
		{"json leaves", []string{`{"user":"admin","password":"hunter22","list":["tok-123"]}`},
			"admin hunter22 tok-123", "****** ****** ******"},
		{"no partial leak at end", []string{"secret"}, "secre", "secre"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.secrets...)
			require.Equal(t, tt.want, m.String(tt.in))
			require.Equal(t, tt.want, string(m.Bytes([]byte(tt.in))))
		})
	}
	require.Nil(t, New("", ""), "nothing to mask gives a nil masker")
	var nilMasker *Masker
	require.Equal(t, "x", nilMasker.String("x"))
}

// TestMaskWriterSplits feeds the input through the streaming writer split at
// every pair of positions: the output must equal the one-shot masking, so a
// secret cut across writes is still masked.
func TestMaskWriterSplits(t *testing.T) {
	secrets := []string{"hunter2", "hunter2hunter3", "pa$$\nwords"}
	m := New(secrets...)
	in := "user=bob pass=hunter2 x hunter2hunter3 y pa$$\nwords hunte hunter"
	want := m.String(in)
	for _, s := range secrets {
		require.NotContains(t, want, s)
	}
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			var out bytes.Buffer
			w := m.Writer(&out)
			for _, part := range []string{in[:i], in[i:j], in[j:]} {
				n, err := w.Write([]byte(part))
				require.NoError(t, err)
				require.Equal(t, len(part), n)
			}
			require.NoError(t, w.Close())
			require.Equal(t, want, out.String(), "split at %d,%d", i, j)
		}
	}
}

// TestMaskWriterHoldsBackOnlyPrefixes checks output is not delayed beyond a
// possible secret start.
func TestMaskWriterHoldsBackOnlyPrefixes(t *testing.T) {
	var out bytes.Buffer
	w := New("token123").Writer(&out)
	_, _ = w.Write([]byte("line one\nsome tok"))
	require.Equal(t, "line one\nsome ", out.String())
	_, _ = w.Write([]byte("en123 and tok"))
	require.Equal(t, "line one\nsome ****** and ", out.String())
	require.NoError(t, w.Close())
	require.Equal(t, "line one\nsome ****** and tok", out.String())
}

func FuzzMasker(f *testing.F) {
	f.Add("s3cr3t", "abc s3cr3t def s3cr", 3)
	f.Add("aaaa", "aaaaaaaaa", 1)
	f.Add("a\nbcde\nfghi", "bcde fghi a", 2)
	f.Fuzz(func(t *testing.T, secret, in string, cut int) {
		m := New(secret)
		want := m.String(in)
		if len(secret) >= MinLen && !strings.Contains(secret, "*") {
			require.NotContains(t, want, secret)
		}
		if cut < 0 {
			cut = -cut
		}
		if len(in) > 0 {
			cut %= len(in) + 1
		} else {
			cut = 0
		}
		var out bytes.Buffer
		w := m.Writer(&out)
		_, _ = w.Write([]byte(in[:cut]))
		_, _ = w.Write([]byte(in[cut:]))
		require.NoError(t, w.Close())
		require.Equal(t, want, out.String())
	})
}

func TestFragments(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"abc", nil},
		{"abcd", []string{"abcd"}},
		{"ab\ncdef\n", []string{"ab\ncdef\n", "cdef"}},
		{`["abc","defg"]`, []string{`["abc","defg"]`, "defg"}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Fragments(tt.in), "%q", tt.in)
	}
}

func TestSet(t *testing.T) {
	var s Set
	require.Equal(t, "x s3cret", s.String("x s3cret"))
	s.Add("s3cret")
	s.Add("no")
	s.Add("s3cret")
	require.Equal(t, "x ****** no", s.String("x s3cret no"))
	require.Len(t, s.values, 1)
}
