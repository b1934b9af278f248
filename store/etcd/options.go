package etcdstore

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/store"
)

// Scheme is the URL scheme of the etcd backend.
const Scheme = "etcd"

// Defaults (see Options).
const (
	DefaultPrefix       = "/gantry/"
	DefaultDialTimeout  = 5 * time.Second
	DefaultMaxTxnOps    = 128 // etcd's --max-txn-ops default
	DefaultMaxTxnBytes  = 1 << 20
	DefaultPageSize     = 1000
	DefaultArchiveChunk = 512 << 10
	DefaultRetries      = 100
	// DefaultLeaseTTL is how long a process's claims outlive it (or its
	// being cut off from the cluster) before another worker may take its
	// executions over.
	DefaultLeaseTTL = 10 * time.Second
)

// A connection to a member that stopped answering without closing it (the
// member paused or frozen, the network black-holed) is found by gRPC
// keepalive pings: none answered within keepAliveTimeout of one sent
// after keepAliveTime of silence ends the connection, so that its calls
// fail and go to another member and its watches resume there, instead of
// waiting on it for ever. (gRPC pings no more often than every 10 s.)
const (
	keepAliveTime    = 10 * time.Second
	keepAliveTimeout = 3 * time.Second
)

// Options configures a Store. The zero value of each field is its default.
type Options struct {
	// Endpoints are the cluster's client URLs or host:port pairs.
	Endpoints []string
	// Prefix is prepended to every key; several Gantry installations (or
	// tests) can share a cluster under different prefixes. It must end
	// with "/". Default DefaultPrefix.
	Prefix string
	// TLS, when set, secures the connection (and presents a client
	// certificate if it holds one).
	TLS         *tls.Config
	DialTimeout time.Duration
	// MaxTxnOps is the cluster's --max-txn-ops: operations (and compares)
	// per transaction. MaxTxnBytes bounds the keys and values of one
	// transaction, below the cluster's --max-request-bytes (1.5 MiB by
	// default).
	MaxTxnOps   int
	MaxTxnBytes int
	// PageSize bounds the keys one read returns; longer scans page.
	PageSize int
	// ArchiveChunk is the size of the pieces a blueprint archive is
	// stored in. MaxArchiveBytes bounds an archive (default
	// store.DefaultMaxArchiveBytes).
	ArchiveChunk    int
	MaxArchiveBytes int64
	// Retries bounds how often an operation whose reads another client
	// changed before it committed runs again.
	Retries int
	// LeaseTTL is the time to live of this process's lease, to which its
	// claims and worker registration are attached (whole seconds, at
	// least 2). Default DefaultLeaseTTL.
	LeaseTTL time.Duration
	// DeletedExecutionTTL is how long the tombstone of an execution
	// deleted with its deployment is kept (on a lease of its own; reads
	// also check it). Default store.DeletedExecutionTTL.
	DeletedExecutionTTL time.Duration
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(o.Prefix, "/") {
		o.Prefix += "/"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.MaxTxnOps <= 0 {
		o.MaxTxnOps = DefaultMaxTxnOps
	}
	if o.MaxTxnBytes <= 0 {
		o.MaxTxnBytes = DefaultMaxTxnBytes
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.ArchiveChunk <= 0 {
		o.ArchiveChunk = DefaultArchiveChunk
	}
	if o.MaxArchiveBytes <= 0 {
		o.MaxArchiveBytes = store.DefaultMaxArchiveBytes
	}
	if o.Retries <= 0 {
		o.Retries = DefaultRetries
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.DeletedExecutionTTL <= 0 {
		o.DeletedExecutionTTL = store.DeletedExecutionTTL
	}
	return o
}

// URL query parameters.
const (
	paramCA          = "ca"
	paramCert        = "cert"
	paramKey         = "key"
	paramTLS         = "tls"
	paramServerName  = "server-name"
	paramDialTimeout = "dial-timeout"
	paramMaxTxnOps   = "max-txn-ops"
	paramLeaseTTL    = "lease-ttl"
)

// ParseURL reads etcd://HOST:PORT[,HOST:PORT...][/PREFIX][?PARAMS]:
//
//	ca=FILE            trust this CA (PEM) for the servers' certificates; implies TLS
//	cert=FILE&key=FILE present this client certificate; implies TLS
//	tls=true           TLS with the system's CAs
//	server-name=NAME   the name to verify the servers' certificates against
//	dial-timeout=5s    how long to wait for the cluster
//	max-txn-ops=128    the cluster's --max-txn-ops, if it was raised
//	lease-ttl=10s      how long this process's claims outlive it (>= 2s)
//
// PREFIX defaults to "gantry" (keys under "/gantry/"). Files are read
// here; no secret ever goes on a command line.
func ParseURL(target string) (Options, error) {
	var o Options
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, fmt.Errorf("store URL %q: %s: %w", redact(target), fmt.Sprintf(format, args...), store.ErrInvalid)
	}
	rest, ok := strings.CutPrefix(target, Scheme+"://")
	if !ok {
		return bad("want %s://HOST:PORT[,HOST:PORT...][/PREFIX][?ca=FILE&cert=FILE&key=FILE]", Scheme)
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	hosts, prefix, _ := strings.Cut(rest, "/")
	if hosts == "" {
		return bad("no HOST:PORT")
	}
	for _, h := range strings.Split(hosts, ",") {
		if _, _, err := splitHostPort(h); err != nil {
			return bad("endpoint %q: %v", h, err)
		}
		o.Endpoints = append(o.Endpoints, h)
	}
	if strings.Contains(prefix, "\x00") {
		return bad("prefix contains NUL")
	}
	o.Prefix = "/" + strings.Trim(prefix, "/") + "/"
	if o.Prefix == "//" {
		o.Prefix = DefaultPrefix
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return bad("query: %v", err)
	}
	for name := range q {
		switch name {
		case paramCA, paramCert, paramKey, paramTLS, paramServerName, paramDialTimeout, paramMaxTxnOps, paramLeaseTTL:
		default:
			return bad("unknown parameter %q (known: ca, cert, key, tls, server-name, dial-timeout, max-txn-ops, lease-ttl)", name)
		}
	}
	if v := q.Get(paramDialTimeout); v != "" {
		if o.DialTimeout, err = time.ParseDuration(v); err != nil || o.DialTimeout <= 0 {
			return bad("%s=%q is not a positive duration", paramDialTimeout, v)
		}
	}
	if v := q.Get(paramMaxTxnOps); v != "" {
		if o.MaxTxnOps, err = strconv.Atoi(v); err != nil || o.MaxTxnOps < 8 {
			return bad("%s=%q is not a number >= 8", paramMaxTxnOps, v)
		}
	}
	if v := q.Get(paramLeaseTTL); v != "" {
		if o.LeaseTTL, err = time.ParseDuration(v); err != nil || o.LeaseTTL < 2*time.Second {
			return bad("%s=%q is not a duration of at least 2s", paramLeaseTTL, v)
		}
	}
	useTLS := false
	if v := q.Get(paramTLS); v != "" {
		if useTLS, err = strconv.ParseBool(v); err != nil {
			return bad("%s=%q is not true or false", paramTLS, v)
		}
	}
	ca, cert, key := q.Get(paramCA), q.Get(paramCert), q.Get(paramKey)
	if (cert == "") != (key == "") {
		return bad("cert and key go together")
	}
	if !useTLS && ca == "" && cert == "" {
		return o, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: q.Get(paramServerName)}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return bad("CA: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return bad("CA %s: no PEM certificate in it", ca)
		}
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return bad("client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	o.TLS = cfg
	return o, nil
}

func splitHostPort(h string) (string, int, error) {
	i := strings.LastIndexByte(h, ':')
	if i <= 0 || strings.ContainsAny(h, " /@") {
		return "", 0, fmt.Errorf("want HOST:PORT")
	}
	port, err := strconv.Atoi(h[i+1:])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not 1-65535", h[i+1:])
	}
	return h[:i], port, nil
}

// redact drops the query (file names only, but a URL in an error should
// not grow into a place secrets could hide).
func redact(target string) string {
	base, _, _ := strings.Cut(target, "?")
	return base
}
