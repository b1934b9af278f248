package profile

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tok = "gtk_0123456789abcdef_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "home", ".gantry", "profiles.json")
	f, err := Load(path)
	require.NoError(t, err, "a missing file is empty")
	assert.Empty(t, f.Profiles)

	tf := writeFile(t, dir, "prod.token", tok+"\n")
	require.NoError(t, f.Add(&Profile{Name: "prod", URL: "https://gantry.example:8443", TokenFile: tf}, false))
	require.NoError(t, f.Add(&Profile{Name: "dev", URL: "http://127.0.0.1:8080", TokenFile: tf}, false))
	assert.ErrorIs(t, f.Add(&Profile{Name: "dev", URL: "http://127.0.0.1:8080", TokenFile: tf}, false), ErrExists)
	require.NoError(t, f.Use("prod"))
	require.NoError(t, f.Save())

	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	st, err = os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), tok, "the file holds the token's path, not the token")
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	g, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"dev", "prod"}, g.Names())
	assert.Equal(t, "prod", g.Current)
	assert.Equal(t, tf, g.Profiles["prod"].TokenFile)
	require.NoError(t, g.Delete("prod"))
	assert.Empty(t, g.Current, "deleting the profile in use goes back to local")
	assert.ErrorIs(t, g.Delete("prod"), ErrNoProfile)
	assert.ErrorIs(t, g.Use("nope"), ErrNoProfile)
	require.NoError(t, g.Use(Local))
}

func TestAddRefuses(t *testing.T) {
	dir := t.TempDir()
	tf := writeFile(t, dir, "t", tok)
	ca := writeFile(t, dir, "ca.pem", "not a certificate")
	tests := []struct {
		name string
		p    Profile
		want error
	}{
		{"reserved name", Profile{Name: Local, URL: "https://x", TokenFile: tf}, ErrBadName},
		{"empty name", Profile{Name: "", URL: "https://x", TokenFile: tf}, ErrBadName},
		{"slash in name", Profile{Name: "a/b", URL: "https://x", TokenFile: tf}, ErrBadName},
		{"plain http to a remote host", Profile{Name: "p", URL: "http://gantry.example", TokenFile: tf}, ErrBadURL},
		{"no scheme", Profile{Name: "p", URL: "gantry.example:8443", TokenFile: tf}, ErrBadURL},
		{"credentials in URL", Profile{Name: "p", URL: "https://u:pw@gantry.example", TokenFile: tf}, ErrBadURL},
		{"missing token file", Profile{Name: "p", URL: "https://x", TokenFile: filepath.Join(dir, "nope")}, ErrBadToken},
		{"empty token file", Profile{Name: "p", URL: "https://x", TokenFile: writeFile(t, dir, "e", "\n")}, ErrBadToken},
		{"two tokens", Profile{Name: "p", URL: "https://x", TokenFile: writeFile(t, dir, "two", tok+"\n"+tok)}, ErrBadToken},
		{"huge token file", Profile{Name: "p", URL: "https://x", TokenFile: writeFile(t, dir, "big", strings.Repeat("a", MaxTokenBytes+1))}, ErrBadToken},
		{"token file is a folder", Profile{Name: "p", URL: "https://x", TokenFile: dir}, ErrBadToken},
		{"bad CA", Profile{Name: "p", URL: "https://x", TokenFile: tf, CAFile: ca}, ErrBadFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &File{Profiles: map[string]*Profile{}}
			p := tc.p
			err := f.Add(&p, false)
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), tok)
			assert.Empty(t, f.Profiles)
		})
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage":         "{not json",
		"missing current": `{"current":"x","profiles":{}}`,
		"null profile":    `{"profiles":{"a":null}}`,
	} {
		_, err := Load(writeFile(t, dir, strings.ReplaceAll(name, " ", "_"), body))
		assert.ErrorIs(t, err, ErrBadFile, name)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	tf := writeFile(t, dir, "prod.token", tok)
	envTF := writeFile(t, dir, "env.token", "gtk_env_file\n")
	path := filepath.Join(dir, "profiles.json")
	f, err := Load(path)
	require.NoError(t, err)
	require.NoError(t, f.Add(&Profile{Name: "prod", URL: "https://prod.example", TokenFile: tf}, false))
	require.NoError(t, f.Save())
	usePath := filepath.Join(dir, "use.json")
	f.path = usePath
	require.NoError(t, f.Use("prod"))
	require.NoError(t, f.Save())

	tests := []struct {
		name                     string
		env                      map[string]string
		wantNil                  bool
		wantProfile, wantURL     string
		wantToken, wantCA, wantE string
	}{
		{name: "no profile in use: local", env: map[string]string{EnvProfiles: path}, wantNil: true},
		{name: "no file: local", env: map[string]string{EnvProfiles: filepath.Join(dir, "none.json")}, wantNil: true},
		{name: "profile in use", env: map[string]string{EnvProfiles: usePath},
			wantProfile: "prod", wantURL: "https://prod.example", wantToken: tok},
		{name: "GANTRY_TOKEN wins over the profile's file", env: map[string]string{EnvProfiles: usePath, EnvToken: "gtk_env"},
			wantProfile: "prod", wantURL: "https://prod.example", wantToken: "gtk_env"},
		{name: "GANTRY_URL wins over the profile", env: map[string]string{EnvProfiles: usePath, EnvURL: "http://127.0.0.1:9", EnvToken: "gtk_env"},
			wantURL: "http://127.0.0.1:9", wantToken: "gtk_env"},
		{name: "GANTRY_TOKEN_FILE", env: map[string]string{EnvURL: "https://ci.example", EnvTokenFile: envTF, EnvCA: "/ca.pem"},
			wantURL: "https://ci.example", wantToken: "gtk_env_file", wantCA: "/ca.pem"},
		{name: "GANTRY_URL without a token", env: map[string]string{EnvURL: "https://ci.example"}, wantE: "no token"},
		{name: "GANTRY_URL plain http to a remote host", env: map[string]string{EnvURL: "http://ci.example", EnvToken: "x"}, wantE: "plain http"},
		{name: "GANTRY_TOKEN with a newline inside", env: map[string]string{EnvURL: "https://ci.example", EnvToken: "a\nb"}, wantE: "one token, one line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			got, err := Resolve(getenv)
			if tc.wantE != "" {
				require.ErrorContains(t, err, tc.wantE)
				return
			}
			require.NoError(t, err)
			if tc.wantNil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tc.wantProfile, got.Profile)
			assert.Equal(t, tc.wantURL, got.URL)
			assert.Equal(t, tc.wantToken, got.Token())
			assert.Equal(t, tc.wantCA, got.CAFile)
		})
	}
}

func TestTargetNeverShowsToken(t *testing.T) {
	tg := &Target{Profile: "prod", URL: "https://prod.example", token: tok}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, arg := range []any{tg, *tg, []*Target{tg}} {
			assert.NotContains(t, fmt.Sprintf(format, arg), "00112233", "%s of %T", format, arg)
		}
	}
	data, err := json.Marshal(tg)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "00112233")
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("x", "target", tg)
	assert.NotContains(t, sb.String(), "00112233")
	assert.Contains(t, sb.String(), "prod")
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://gantry.example":          true,
		"https://gantry.example:8443/sub": true,
		"http://127.0.0.1:8080":           true,
		"http://localhost:8080":           true,
		"http://[::1]:8080":               true,
		"http://10.0.0.1:8080":            false,
		"ftp://x":                         false,
		"https://":                        false,
		"https://x?a=b":                   false,
	} {
		err := CheckURL(raw)
		if ok {
			assert.NoError(t, err, raw)
		} else {
			assert.ErrorIs(t, err, ErrBadURL, raw)
		}
	}
}
