package compose

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// Runtime properties of a cloudify.nodes.PasswordSecret: Cloudify's
// secret_name and password ({get_secret: secret_name}, never the value),
// and Gantry's secret_existed (use_secret_if_exists found the secret: delete
// leaves it).
const (
	RuntimeSecretName    = "secret_name"
	RuntimePassword      = "password"
	RuntimeSecretExisted = "secret_existed"
)

// PasswordSecret properties and limits.
const (
	propLength       = "length"
	propUppercase    = "uppercase"
	propLowercase    = "lowercase"
	propDigits       = "digits"
	propSymbols      = "symbols"
	propSecretName   = "secret_name"
	propUseIfExists  = "use_secret_if_exists"
	minPasswordLen   = 6 // Cloudify's minimum
	maxPasswordLen   = 4096
	secretNamePrefix = "ps_"
	// A class of -1 is not used; 0 or more is its minimum count.
	classUnused = -1
)

// Character classes (Cloudify's: Python's ascii_uppercase, ascii_lowercase,
// digits and " " + punctuation).
var passwordClasses = []struct{ prop, chars string }{
	{propUppercase, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
	{propLowercase, "abcdefghijklmnopqrstuvwxyz"},
	{propDigits, "0123456789"},
	{propSymbols, " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
}

// passwordCreate (PasswordSecret create) stores a new password in secret
// secret_name (default ps_DEPLOYMENT_INSTANCE), or uses the secret when it
// exists and use_secret_if_exists is set. The value goes to the store only:
// runtime properties hold {get_secret: NAME}, logs the name.
func (p *Plugin) passwordCreate(ctx context.Context, op *plugins.Context) error {
	length, mins, err := passwordSpec(op)
	if err != nil {
		return plugins.NonRecoverable(fmt.Errorf("node %s: %w", op.Node.ID, err))
	}
	name, _ := desired(op, propSecretName).(string)
	useExisting, _ := desired(op, propUseIfExists).(bool)
	if useExisting && name == "" {
		return plugins.NonRecoverable(fmt.Errorf("node %s: use_secret_if_exists needs a secret_name: name the secret to use", op.Node.ID))
	}
	if name == "" {
		name = secretNamePrefix + op.DeploymentID + "_" + op.Instance.ID
	}
	exists, err := p.Deployments.HasSecret(ctx, name)
	if err != nil {
		return err
	}
	prev, _ := op.Runtime.Get(RuntimeSecretName)
	ref := map[string]any{tosca.FnGetSecret: name}
	switch {
	case exists && useExisting:
		op.Log(plugins.LevelInfo, "using the existing secret %s", name)
		return setRuntime(op, map[string]any{RuntimeSecretName: name, RuntimePassword: ref, RuntimeSecretExisted: true})
	case exists && prev == name: // create runs again: the secret is this instance's
		return nil
	case exists:
		return plugins.NonRecoverable(fmt.Errorf("node %s: secret %s exists already; set use_secret_if_exists: true to use it, or choose another secret_name", op.Node.ID, name))
	}
	if err := setRuntime(op, map[string]any{RuntimeSecretName: name, RuntimePassword: ref}); err != nil {
		return err
	}
	pw, err := generatePassword(length, mins)
	if err != nil {
		return err
	}
	err = p.Deployments.CreateSecret(ctx, name, pw)
	if errors.Is(err, ErrExists) {
		return plugins.NonRecoverable(fmt.Errorf("node %s: secret %s was created meanwhile; set use_secret_if_exists: true to use it, or choose another secret_name", op.Node.ID, name))
	}
	if err != nil {
		return fmt.Errorf("node %s: storing secret %s: %w", op.Node.ID, name, err)
	}
	op.Log(plugins.LevelInfo, "created a password of %d characters in secret %s", length, name)
	return nil
}

// passwordDelete (PasswordSecret delete) deletes the secret create made;
// one that existed before is left alone.
func (p *Plugin) passwordDelete(ctx context.Context, op *plugins.Context) error {
	v, _ := op.Runtime.Get(RuntimeSecretName)
	name, _ := v.(string)
	existed, _ := op.Runtime.Get(RuntimeSecretExisted)
	if name != "" && existed != true {
		if err := p.Deployments.DeleteSecret(ctx, name); err != nil {
			return fmt.Errorf("node %s: deleting secret %s: %w", op.Node.ID, name, err)
		}
		op.Log(plugins.LevelInfo, "deleted secret %s", name)
	}
	for _, k := range []string{RuntimeSecretName, RuntimePassword, RuntimeSecretExisted} {
		if err := op.Runtime.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// passwordSpec reads and checks length and the classes' minimum counts
// (Cloudify's creation_validation rules, plus maxPasswordLen).
func passwordSpec(op *plugins.Context) (int, []int, error) {
	length, ok := intOf(desired(op, propLength))
	if !ok || length < minPasswordLen || length > maxPasswordLen {
		return 0, nil, fmt.Errorf("length must be an integer from %d to %d (got %v)", minPasswordLen, maxPasswordLen, desired(op, propLength))
	}
	mins := make([]int, len(passwordClasses))
	sum, used := 0, 0
	for i, c := range passwordClasses {
		v := desired(op, c.prop)
		n, ok := intOf(v)
		if v == nil {
			n, ok = 0, true
		}
		if !ok || n < classUnused {
			return 0, nil, fmt.Errorf("%s must be -1 (not used) or a minimum count of 0 or more (got %v)", c.prop, v)
		}
		mins[i] = n
		if n != classUnused {
			used++
			sum += n
		}
	}
	if used == 0 {
		return 0, nil, errors.New("uppercase, lowercase, digits and symbols are all -1: at least one character class must be used")
	}
	if sum > length {
		return 0, nil, fmt.Errorf("the minimum counts of the character classes add up to %d, more than the length %d", sum, length)
	}
	return length, mins, nil
}

// generatePassword draws (crypto/rand) mins[i] characters of each class,
// then the rest from the union of the classes used, and shuffles them.
func generatePassword(length int, mins []int) (string, error) {
	out := make([]byte, 0, length)
	alphabet := ""
	for i, c := range passwordClasses {
		if mins[i] == classUnused {
			continue
		}
		alphabet += c.chars
		for j := 0; j < mins[i]; j++ {
			b, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	for len(out) < length {
		b, err := pick(alphabet)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := randIntn(i + 1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func pick(chars string) (byte, error) {
	i, err := randIntn(len(chars))
	if err != nil {
		return 0, err
	}
	return chars[i], nil
}

func randIntn(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("generating a password: %w", err)
	}
	return int(v.Int64()), nil
}

// intOf reads an integer property (YAML or JSON decoded).
func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return int(n), true
		}
	case uint64:
		if n <= math.MaxInt32 {
			return int(n), true
		}
	case float64:
		if n == math.Trunc(n) && n >= math.MinInt32 && n <= math.MaxInt32 {
			return int(n), true
		}
	}
	return 0, false
}
