package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/gantryhq/gantry/internal/atomicfile"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// EnvSecretKey names the environment variable that holds the secret key
// (base64 of 32 bytes); it overrides the key file.
const EnvSecretKey = "GANTRY_SECRET_KEY"

// sealedPrefix marks a secret value encrypted at rest; values without it
// are plaintext records of earlier versions.
const sealedPrefix = "gantry-aes256gcm:v1:"

// secretKeyLen is AES-256's key length.
const secretKeyLen = 32

// maxKeyFile bounds the read of a key file (base64 of 32 bytes is 44).
const maxKeyFile = 1 << 10

// KeyFileFor returns the secret key file of the store target names: next
// to a bbolt file (gantry.db -> gantry.db.key), else ~/.gantry/secret.key.
func KeyFileFor(target string) (string, error) {
	if !IsURL(target) {
		return strings.TrimPrefix(target, SchemeBolt+"://") + ".key", nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("secret key file for store %s: %w (set HOME or %s)", target, err, EnvSecretKey)
	}
	return filepath.Join(home, ".gantry", "secret.key"), nil
}

// secretKeys finds the key lazily: from $GANTRY_SECRET_KEY, else the key
// file, which is created (0600, 32 random bytes, base64) the first time a
// secret is written and none exists.
type secretKeys struct {
	file string

	mu   sync.Mutex
	aead cipher.AEAD
	seen os.FileInfo // the key file aead came from (nil: the environment)
}

// fresh drops the cached key if the key file was replaced (another
// process rotated it), so that nothing is sealed under a retired key.
func (k *secretKeys) fresh() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.aead == nil || k.seen == nil {
		return
	}
	if fi, err := os.Stat(k.file); err != nil || !os.SameFile(fi, k.seen) {
		k.aead, k.seen = nil, nil
	}
}

// get returns the cipher; create makes the key file if it is missing.
func (k *secretKeys) get(create bool) (cipher.AEAD, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.aead != nil {
		return k.aead, nil
	}
	raw, err := k.load(create)
	if err != nil || raw == nil {
		return nil, err
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	k.aead = aead
	if _, env := os.LookupEnv(EnvSecretKey); !env {
		k.seen, _ = os.Stat(k.file)
	}
	return aead, nil
}

func newAEAD(raw []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// load reads the key (nil if there is none and !create).
func (k *secretKeys) load(create bool) ([]byte, error) {
	if v, ok := os.LookupEnv(EnvSecretKey); ok {
		raw, err := decodeKey([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSecretKey, err)
		}
		return raw, nil
	}
	f, err := os.Open(k.file)
	if errors.Is(err, os.ErrNotExist) {
		if !create {
			return nil, nil
		}
		return createKeyFile(k.file)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s is readable by others (mode %04o): chmod 600 it: %w", k.file, fi.Mode().Perm(), ErrSecretKey)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", k.file, err)
	}
	raw, err := decodeKey(data)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", k.file, err)
	}
	return raw, nil
}

// decodeKey decodes a key's base64 text.
func decodeKey(text []byte) ([]byte, error) {
	if len(text) > maxKeyFile {
		return nil, fmt.Errorf("longer than a key: %w", ErrSecretKey)
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(text)))
	if err != nil || len(raw) != secretKeyLen {
		return nil, fmt.Errorf("not the base64 of %d bytes (make one with `head -c 32 /dev/urandom | base64`): %w", secretKeyLen, ErrSecretKey)
	}
	return raw, nil
}

// NewSecretKeyText returns a new random key as base64 text.
func NewSecretKeyText() (string, error) {
	raw := make([]byte, secretKeyLen)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// createKeyFile makes a new key file, whole (written under a temporary
// name and linked into place); if another process made one meanwhile,
// that one is used.
func createKeyFile(path string) ([]byte, error) {
	text, err := NewSecretKeyText()
	if err != nil {
		return nil, fmt.Errorf("new secret key: %w", err)
	}
	return createKeyFileText(path, text)
}

// createKeyFileText writes the key file path holding text, unless one
// exists: then that one's key is returned.
func createKeyFileText(path, text string) ([]byte, error) {
	err := atomicfile.WriteBytes(path, atomicfile.Create, []byte(text+"\n"))
	if errors.Is(err, atomicfile.ErrExists) {
		return (&secretKeys{file: path}).load(false)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return decodeKey([]byte(text))
}

// seal encrypts value with the secret's key as additional data, so that a
// sealed value moved to another secret does not open.
func seal(aead cipher.AEAD, key, value string) (string, error) {
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, []byte(value), []byte(key))
	return sealedPrefix + base64.StdEncoding.EncodeToString(out), nil
}

// unseal decrypts a sealed value; plaintext (older records) is returned
// as is. A value that does not decrypt is tried again once the key file
// was replaced (a rotation by another process, or one that crashed before
// its last step).
func (k *secretKeys) unseal(key, stored string) (string, error) {
	aead, err := k.cipherFor(key, stored)
	if err != nil || aead == nil {
		return stored, err
	}
	plain, err := unsealWith(aead, key, stored)
	if errors.Is(err, ErrSecretKey) && k.finishRotation() {
		if aead, gerr := k.get(false); gerr == nil && aead != nil {
			plain, err = unsealWith(aead, key, stored)
		}
	}
	if errors.Is(err, ErrSecretKey) {
		return "", fmt.Errorf("secret %q does not decrypt with the key in %s (another store's key, or $%s?): %w",
			key, k.file, EnvSecretKey, ErrSecretKey)
	}
	return plain, err
}

// cipherFor returns the cipher to open stored with (nil for plaintext).
func (k *secretKeys) cipherFor(key, stored string) (cipher.AEAD, error) {
	if !strings.HasPrefix(stored, sealedPrefix) {
		return nil, nil
	}
	aead, err := k.get(false)
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", key, err)
	}
	if aead == nil {
		return nil, fmt.Errorf("secret %q is encrypted, but the key file %s is missing (restore it from your backup, or set %s): %w",
			key, k.file, EnvSecretKey, ErrSecretKey)
	}
	return aead, nil
}

// unsealWith decrypts a sealed value with aead (plaintext as is).
func unsealWith(aead cipher.AEAD, key, stored string) (string, error) {
	b64, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, nil
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(data) < aead.NonceSize() {
		return "", fmt.Errorf("secret %q: encrypted value is malformed: %w", key, ErrDamaged)
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(key))
	if err != nil {
		return "", fmt.Errorf("secret %q: %w", key, ErrSecretKey)
	}
	return string(plain), nil
}

// cryptStore is a Store whose secret values are encrypted at rest: the
// backend below only ever sees sealed values. Both backends get it from
// Open, so encryption is one implementation.
type cryptStore struct {
	Store
	keys *secretKeys
}

// EncryptSecrets returns st with secret values sealed with AES-256-GCM
// under the key of keyFile (or $GANTRY_SECRET_KEY). Plaintext values of
// earlier versions read as they are and are sealed when next written.
func EncryptSecrets(st Store, keyFile string) Store {
	return &cryptStore{Store: st, keys: &secretKeys{file: keyFile}}
}

// Unwrap returns the backend.
func (c *cryptStore) Unwrap() Store { return c.Store }

func (c *cryptStore) PutSecret(ctx context.Context, s *Secret, overwrite bool) error {
	if s == nil {
		return c.Store.PutSecret(ctx, s, overwrite)
	}
	c.keys.fresh()
	aead, err := c.keys.get(true)
	if err != nil {
		return fmt.Errorf("secret %q: %w", s.Key, err)
	}
	rec := *s
	if rec.Value, err = seal(aead, s.Key, s.Value); err != nil {
		return fmt.Errorf("secret %q: %w", s.Key, err)
	}
	if err := c.Store.PutSecret(ctx, &rec, overwrite); err != nil {
		return err
	}
	rec.Value = s.Value
	*s = rec
	return nil
}

func (c *cryptStore) GetSecret(ctx context.Context, key string) (*Secret, error) {
	s, err := c.Store.GetSecret(ctx, key)
	if err != nil {
		return nil, err
	}
	if s.Value, err = c.keys.unseal(key, s.Value); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *cryptStore) Batch(ctx context.Context, fn func(Store) error) error {
	return c.Store.Batch(ctx, func(inner Store) error {
		return fn(&cryptStore{Store: inner, keys: c.keys})
	})
}

// pendingKey is where RotateKey puts the new key until the secrets are
// re-encrypted under it.
func (k *secretKeys) pendingKey() string { return k.file + ".new" }

// finishRotation completes a rotation that crashed between re-encrypting
// the secrets and renaming the new key into place (or picks up one another
// process finished): it reports whether the key changed.
func (k *secretKeys) finishRotation() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, env := os.LookupEnv(EnvSecretKey); env {
		return false
	}
	if _, err := os.Stat(k.pendingKey()); err == nil {
		if os.Rename(k.pendingKey(), k.file) != nil {
			return false
		}
	}
	if k.seen != nil {
		if fi, err := os.Stat(k.file); err == nil && os.SameFile(fi, k.seen) {
			return false
		}
	}
	k.aead, k.seen = nil, nil
	return true
}

// RotateKey re-encrypts every secret under a new key and replaces the key
// file with it; it returns how many secrets it re-encrypted. The new key
// is written to KEYFILE.new first, the secrets are re-encrypted in one
// transaction, then KEYFILE.new is renamed over KEYFILE: after a crash in
// between, the next read finishes the rename. With $GANTRY_SECRET_KEY set
// it refuses: see docs/security.md for rotating that key.
func (c *cryptStore) RotateKey(ctx context.Context) (int, error) {
	if _, env := os.LookupEnv(EnvSecretKey); env {
		return 0, fmt.Errorf("the key comes from $%s: rotate it as docs/security.md describes: %w", EnvSecretKey, ErrSecretKey)
	}
	c.keys.fresh()
	old, err := c.keys.get(true)
	if err != nil {
		return 0, err
	}
	text, err := NewSecretKeyText()
	if err != nil {
		return 0, err
	}
	raw, _ := decodeKey([]byte(text))
	next, err := newAEAD(raw)
	if err != nil {
		return 0, err
	}
	pending := c.keys.pendingKey()
	_ = os.Remove(pending)
	if _, err := createKeyFileText(pending, text); err != nil {
		return 0, err
	}
	n := 0
	err = c.Store.Batch(ctx, func(b Store) error {
		list, err := b.ListSecrets(ctx)
		if err != nil {
			return err
		}
		for _, meta := range list {
			s, err := b.GetSecret(ctx, meta.Key)
			if err != nil {
				return err
			}
			v, err := unsealWith(old, s.Key, s.Value)
			if err != nil {
				return fmt.Errorf("%w (with the key in %s)", err, c.keys.file)
			}
			if s.Value, err = seal(next, s.Key, v); err != nil {
				return err
			}
			if err := b.PutSecret(ctx, s, true); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		_ = os.Remove(pending)
		return 0, fmt.Errorf("rotate the secret key: %w", err)
	}
	if !c.keys.finishRotation() {
		return n, fmt.Errorf("rotate the secret key: secrets are re-encrypted under %s, but it could not replace %s: rename it by hand: %w", pending, c.keys.file, ErrSecretKey)
	}
	return n, nil
}

// AsKeyRotator returns st's secret encryption if it has one.
func AsKeyRotator(st Store) (interface {
	RotateKey(ctx context.Context) (int, error)
}, bool) {
	c, ok := st.(*cryptStore)
	return c, ok
}
