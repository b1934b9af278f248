package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// OpenFunc opens the store a URL of its scheme names (the whole URL, e.g.
// "etcd://127.0.0.1:2379/gantry?ca=ca.pem").
type OpenFunc func(ctx context.Context, target string, opts Options) (Store, error)

// SchemeBolt names a bbolt file as a URL: bolt://PATH (a bare path too).
const SchemeBolt = "bolt"

var (
	schemesMu sync.Mutex
	schemes   = map[string]OpenFunc{}
)

// RegisterScheme makes Open hand URLs of scheme to fn. Backends that live
// in their own packages (store/etcd) register themselves when imported, so
// that this package does not depend on their clients.
func RegisterScheme(scheme string, fn OpenFunc) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	schemes[scheme] = fn
}

// Open opens the store target names: a bbolt file path or bolt://PATH, or
// a URL whose scheme a backend registered (etcd://host:port[,host:port...]
// once store/etcd is imported). It is what --store and $GANTRY_STORE take.
func Open(ctx context.Context, target string, opts Options) (Store, error) {
	st, err := openBackend(ctx, target, opts)
	if err != nil {
		return nil, err
	}
	keyFile := opts.SecretKeyFile
	if keyFile == "" {
		if keyFile, err = KeyFileFor(target); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	return EncryptSecrets(st, keyFile), nil
}

// openBackend opens the backend target names.
func openBackend(ctx context.Context, target string, opts Options) (Store, error) {
	scheme, rest, isURL := strings.Cut(target, "://")
	switch {
	case target == "":
		return nil, fmt.Errorf("open store: empty location: %w", ErrInvalid)
	case !isURL:
		return OpenBolt(target, opts)
	case scheme == SchemeBolt:
		return OpenBolt(rest, opts)
	}
	schemesMu.Lock()
	fn := schemes[scheme]
	known := []string{SchemeBolt}
	for s := range schemes {
		known = append(known, s)
	}
	schemesMu.Unlock()
	if fn == nil {
		sort.Strings(known)
		return nil, fmt.Errorf("open store %q: unknown scheme %q (known: %s; a plain path is a bbolt file): %w",
			target, scheme, strings.Join(known, ", "), ErrInvalid)
	}
	return fn(ctx, target, opts)
}

// IsURL reports whether target names a store by URL rather than by a
// local file path (a bolt:// URL is a file path too).
func IsURL(target string) bool {
	scheme, _, ok := strings.Cut(target, "://")
	return ok && scheme != SchemeBolt
}
