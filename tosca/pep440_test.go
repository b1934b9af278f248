package tosca

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPEP440Order(t *testing.T) {
	// packaging's documented order.
	ordered := []string{"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
		"1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
		"1.0.post456.dev34", "1.0.post456", "1.1.dev1", "2!0.1"}
	for i := 1; i < len(ordered); i++ {
		a, err := parsePEP440(ordered[i-1])
		require.NoError(t, err, ordered[i-1])
		b, err := parsePEP440(ordered[i])
		require.NoError(t, err, ordered[i])
		assert.Equal(t, -1, a.compare(b), "%s < %s", ordered[i-1], ordered[i])
		assert.Equal(t, 1, b.compare(a), "%s > %s", ordered[i], ordered[i-1])
	}
	a, _ := parsePEP440("1.0")
	b, _ := parsePEP440("1.0.0")
	assert.Equal(t, 0, a.compare(b), "trailing zeros")
	for _, bad := range []string{"", "x", "1..0", "1.0-", "1.0+", "1.0+a..b", "01234567890123.1"} {
		_, err := parsePEP440(bad)
		assert.ErrorIs(t, err, ErrBadVersionSpec, bad)
	}
}

func TestPEP440Spec(t *testing.T) {
	versions := []string{"0.0.1", "1.0", "1.0.post1", "1.5", "2.0rc1", "2.0", "2.0+local", "2.1", "3.0.dev1", "3.1.99", "10.0"}
	tests := []struct {
		spec string
		want []string
	}{
		{"", []string{"0.0.1", "1.0", "1.0.post1", "1.5", "2.0", "2.0+local", "2.1", "3.1.99", "10.0"}},
		{"1.0", []string{"1.0"}}, // no operator: ===
		{"===2.0+local", []string{"2.0+local"}},
		{"==2.0", []string{"2.0", "2.0+local"}},
		{"==2.0+local", []string{"2.0+local"}},
		{"== 1.*", []string{"1.0", "1.0.post1", "1.5"}},
		{"!=1.*", []string{"0.0.1", "2.0", "2.0+local", "2.1", "3.1.99", "10.0"}},
		{">=0.0.1", []string{"0.0.1", "1.0", "1.0.post1", "1.5", "2.0", "2.0+local", "2.1", "3.1.99", "10.0"}},
		{" >2", []string{"2.1", "3.1.99", "10.0"}},
		{">1.0", []string{"1.5", "2.0", "2.0+local", "2.1", "3.1.99", "10.0"}},
		{"<2", []string{"0.0.1", "1.0", "1.0.post1", "1.5"}},
		{"<=2.0", []string{"0.0.1", "1.0", "1.0.post1", "1.5", "2.0", "2.0+local"}},
		{"~=1.0", []string{"1.0", "1.0.post1", "1.5"}},
		{"~=2.0.0", []string{"2.0", "2.0+local"}},
		{">=1.0, <2.0", []string{"1.0", "1.0.post1", "1.5"}},
		{">=2.0rc1,<3", []string{"2.0rc1", "2.0", "2.0+local", "2.1"}},
		{">=3.0.dev0", []string{"3.0.dev1", "3.1.99", "10.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			sp, err := parsePEP440Spec(tt.spec)
			require.NoError(t, err)
			var got []string
			for _, s := range versions {
				v, err := parsePEP440(s)
				require.NoError(t, err, s)
				if sp.contains(s, v) {
					got = append(got, s)
				}
			}
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			assert.Equal(t, want, got)
		})
	}
	for _, bad := range []string{">=", "==1.0.*.dev1", "~=1", ">=1.0+local", "1.0,,2.0", "=> 1.0", ">=x"} {
		_, err := parsePEP440Spec(bad)
		assert.ErrorIs(t, err, ErrBadVersionSpec, bad)
	}
}

// FuzzPEP440Spec: any specifier and version parse without panicking, and
// a version always compares equal to itself.
func FuzzPEP440Spec(f *testing.F) {
	for _, s := range []string{">=1.0, <2", "1.0", "== 1.*", "~=2.0.1", "!=1.0+abc", "===foo", "1!2.0rc1.post2.dev3+x.1"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, spec, ver string) {
		sp, err := parsePEP440Spec(spec)
		v, verr := parsePEP440(ver)
		if verr == nil {
			if v.compare(v) != 0 {
				t.Fatalf("%q does not equal itself", ver)
			}
			if err == nil {
				_ = sp.contains(ver, v)
			}
		}
	})
}
