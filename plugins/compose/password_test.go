package compose

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// secretFake is a secret store: the password tests check what reaches it
// and what does not reach logs and runtime properties.
type secretFake struct {
	Deployments // unused methods panic
	secrets     map[string]string
}

func (f *secretFake) HasSecret(_ context.Context, k string) (bool, error) {
	_, ok := f.secrets[k]
	return ok, nil
}
func (f *secretFake) CreateSecret(_ context.Context, k, v string) error {
	if _, ok := f.secrets[k]; ok {
		return ErrExists
	}
	f.secrets[k] = v
	return nil
}
func (f *secretFake) DeleteSecret(_ context.Context, k string) error {
	delete(f.secrets, k)
	return nil
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Log(_ plugins.Level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, msg)
}

func passwordOp(operation string, props, rt map[string]any, log plugins.Logger) *plugins.Context {
	full := map[string]any{propLength: 8, propUppercase: 0, propLowercase: 0, propDigits: 0, propSymbols: 0, propUseIfExists: false}
	for k, v := range props {
		full[k] = v
	}
	return &plugins.Context{
		DeploymentID: "dep",
		Operation:    &tosca.Operation{Plugin: Name, Operation: operation},
		Node:         &tosca.Node{ID: "pw", Properties: full},
		Instance:     &tosca.NodeInstance{ID: "pw_1", NodeID: "pw"},
		Runtime:      plugins.NewMapRuntime(nil, rt, nil),
		Logger:       log,
	}
}

func count(s, chars string) int {
	n := 0
	for _, r := range s {
		if strings.ContainsRune(chars, r) {
			n++
		}
	}
	return n
}

// The generated password has the length and at least the minimum count of
// each class, and no character of a class set to -1 (Cloudify's rules).
func TestPasswordClasses(t *testing.T) {
	upper, lower, digits, symbols := passwordClasses[0].chars, passwordClasses[1].chars, passwordClasses[2].chars, passwordClasses[3].chars
	for _, tc := range []struct {
		name  string
		props map[string]any
		check func(t *testing.T, pw string)
	}{
		{"defaults", nil, func(t *testing.T, pw string) { require.Len(t, pw, 8) }},
		{"minimums", map[string]any{propLength: 12, propDigits: 2, propSymbols: 1, propUppercase: 3}, func(t *testing.T, pw string) {
			require.Len(t, pw, 12)
			require.GreaterOrEqual(t, count(pw, digits), 2)
			require.GreaterOrEqual(t, count(pw, symbols), 1)
			require.GreaterOrEqual(t, count(pw, upper), 3)
		}},
		{"uppercase and digits only", map[string]any{propLowercase: -1, propSymbols: -1}, func(t *testing.T, pw string) {
			require.Zero(t, count(pw, lower+symbols), pw)
		}},
		{"digits only, JSON numbers", map[string]any{propLength: float64(20), propUppercase: float64(-1), propLowercase: -1, propSymbols: -1}, func(t *testing.T, pw string) {
			require.Len(t, pw, 20)
			require.Equal(t, 20, count(pw, digits))
		}},
		{"exact minimums", map[string]any{propLength: 6, propUppercase: 3, propLowercase: 3}, func(t *testing.T, pw string) {
			require.Equal(t, 3, count(pw, upper))
			require.Equal(t, 3, count(pw, lower))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for i := 0; i < 20; i++ {
				f := &secretFake{secrets: map[string]string{}}
				_, err := (&Plugin{Deployments: f}).Run(context.Background(), passwordOp(tosca.OpPasswordCreate, tc.props, nil, nil))
				require.NoError(t, err)
				pw := f.secrets["ps_dep_pw_1"]
				tc.check(t, pw)
				seen[pw] = true
			}
			if tc.name != "exact minimums" {
				require.Greater(t, len(seen), 15, "passwords are random")
			}
		})
	}
}

// Properties Cloudify's creation_validation refuses are refused before
// anything is stored.
func TestPasswordInvalid(t *testing.T) {
	for _, tc := range []struct {
		props map[string]any
		want  string
	}{
		{map[string]any{propLength: 5}, "length must be an integer from 6 to 4096"},
		{map[string]any{propLength: 5000}, "length must be an integer from 6 to 4096"},
		{map[string]any{propLength: "8"}, "length must be an integer"},
		{map[string]any{propLowercase: -10}, "lowercase must be -1 (not used) or a minimum count"},
		{map[string]any{propUppercase: -1, propLowercase: -1, propDigits: -1, propSymbols: -1}, "at least one character class must be used"},
		{map[string]any{propUppercase: 4, propLowercase: 5}, "add up to 9, more than the length 8"},
		{map[string]any{propUseIfExists: true}, "use_secret_if_exists needs a secret_name"},
	} {
		f := &secretFake{secrets: map[string]string{}}
		_, err := (&Plugin{Deployments: f}).Run(context.Background(), passwordOp(tosca.OpPasswordCreate, tc.props, nil, nil))
		require.True(t, plugins.IsNonRecoverable(err), "%v", tc.props)
		require.ErrorContains(t, err, tc.want)
		require.Empty(t, f.secrets)
	}
}

// create stores the password in the secret only (runtime properties hold
// {get_secret: NAME}, logs the name); running it again keeps the secret;
// an existing secret is refused unless use_secret_if_exists, and then
// delete leaves it; otherwise delete deletes it.
func TestPasswordCreateDelete(t *testing.T) {
	ctx := context.Background()
	f := &secretFake{secrets: map[string]string{"taken": "mine"}}
	p := &Plugin{Deployments: f}
	log := &logLines{}
	op := passwordOp(tosca.OpPasswordCreate, map[string]any{propSecretName: "db_pw", propLength: 32}, nil, log)
	_, err := p.Run(ctx, op)
	require.NoError(t, err)
	pw := f.secrets["db_pw"]
	require.Len(t, pw, 32)
	require.Equal(t, map[string]any{RuntimeSecretName: "db_pw", RuntimePassword: map[string]any{"get_secret": "db_pw"}}, op.Runtime.All())
	require.NotEmpty(t, log.lines)
	for _, l := range log.lines {
		require.NotContains(t, l, pw)
	}
	_, err = p.Run(ctx, op)
	require.NoError(t, err, "create running again keeps its secret")
	require.Equal(t, pw, f.secrets["db_pw"])

	other := passwordOp(tosca.OpPasswordCreate, map[string]any{propSecretName: "db_pw"}, nil, nil)
	_, err = p.Run(ctx, other)
	require.True(t, plugins.IsNonRecoverable(err))
	require.ErrorContains(t, err, "secret db_pw exists already; set use_secret_if_exists: true")

	op.Operation.Operation = tosca.OpPasswordDelete
	_, err = p.Run(ctx, op)
	require.NoError(t, err)
	require.NotContains(t, f.secrets, "db_pw")
	require.Empty(t, op.Runtime.All())

	ext := passwordOp(tosca.OpPasswordCreate, map[string]any{propSecretName: "taken", propUseIfExists: true}, nil, nil)
	_, err = p.Run(ctx, ext)
	require.NoError(t, err)
	require.Equal(t, "mine", f.secrets["taken"], "an existing secret is used, not replaced")
	ext.Operation.Operation = tosca.OpPasswordDelete
	_, err = p.Run(ctx, ext)
	require.NoError(t, err)
	require.Equal(t, "mine", f.secrets["taken"], "and left on delete")
}
