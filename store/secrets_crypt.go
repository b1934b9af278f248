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
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(text + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if errors.Is(err, os.ErrExist) {
		return (&secretKeys{file: path}).load(false)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, err
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
// as is.
func (k *secretKeys) unseal(key, stored string) (string, error) {
	b64, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, nil
	}
	aead, err := k.get(false)
	if err != nil {
		return "", fmt.Errorf("secret %q: %w", key, err)
	}
	if aead == nil {
		return "", fmt.Errorf("secret %q is encrypted, but the key file %s is missing (restore it from your backup, or set %s): %w",
			key, k.file, EnvSecretKey, ErrSecretKey)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(data) < aead.NonceSize() {
		return "", fmt.Errorf("secret %q: encrypted value is malformed: %w", key, ErrDamaged)
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(key))
	if err != nil {
		return "", fmt.Errorf("secret %q does not decrypt with the key in %s (another store's key, or $%s?): %w",
			key, k.file, EnvSecretKey, ErrSecretKey)
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
