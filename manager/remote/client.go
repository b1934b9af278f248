package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/server"
)

// Bounds of what the client reads.
const (
	// MaxResponseBytes bounds a response body (a deployment's plan, a page
	// of events).
	MaxResponseBytes = 256 << 20
	// maxErrorBytes bounds an error response.
	maxErrorBytes = 1 << 20
	// maxSSELine bounds one line of an event stream.
	maxSSELine = 8 << 20
	// requestTimeout bounds a request that is not a stream or long poll.
	requestTimeout = 5 * time.Minute
	// longPoll is how long one wait request waits.
	longPoll = 30 * time.Second
)

// Config configures a Client.
type Config struct {
	// URL is the server's base URL, e.g. https://gantry.example:8700.
	URL string
	// Token is the bearer token (from a file or GANTRY_TOKEN, never a flag).
	Token string
	// TLS configures https (e.g. a private CA's pool in RootCAs); nil:
	// the system's roots.
	TLS *tls.Config
	// Profile names the CLI profile in use (Info).
	Profile string
	// HTTPClient overrides the transport (tests); TLS is then ignored.
	HTTPClient *http.Client
}

// Client is an api.Service over HTTP.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client

	mu     sync.Mutex
	closed chan struct{}
}

var _ api.Service = (*Client)(nil)

// New builds a client; it does not contact the server.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, ErrNoURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://HOST[:PORT]: %w", cfg.URL, api.ErrInvalid)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.TLS != nil {
			tr.TLSClientConfig = cfg.TLS.Clone()
		}
		hc = &http.Client{Transport: tr}
	}
	return &Client{cfg: cfg, base: base, hc: hc, closed: make(chan struct{})}, nil
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Close stops the client's event streams.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	return nil
}

// request is one API call.
type request struct {
	method string
	path   string // a server.Path* filled with server.PathOf
	query  url.Values
	header http.Header
	body   io.Reader
	ctype  string
	// json is marshalled as the body when body is nil.
	json any
	// stream: no timeout (event streams, long polls carry their own).
	stream bool
}

// send performs a request and returns the response of a 2xx status; any
// other status is decoded into an *api.Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	u := *c.base
	u.Path += r.path
	u.RawQuery = r.query.Encode()
	body, ctype := r.body, r.ctype
	if body == nil && r.json != nil {
		b, err := json.Marshal(r.json)
		if err != nil {
			return nil, err
		}
		body, ctype = bytes.NewReader(b), server.ContentJSON
	}
	var cancel context.CancelFunc = func() {}
	if !r.stream {
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ctx.Err()
		}
		return nil, unavailable(c.base.String(), err)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// decodeError turns an error response into an *api.Error.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	var e api.Error
	if json.Unmarshal(b, &e) == nil && e.Code != "" {
		return &e
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return &api.Error{Code: server.CodeOfStatus(resp.StatusCode), Message: fmt.Sprintf("gantry server: %s: %s", resp.Status, msg)}
}

// call performs a request and decodes a JSON answer into out (nil: none).
func (c *Client) call(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
		return nil
	}
	lr := &io.LimitedReader{R: resp.Body, N: MaxResponseBytes + 1}
	if err := json.NewDecoder(lr).Decode(out); err != nil {
		if lr.N <= 0 {
			return fmt.Errorf("%s %s: response exceeds %d bytes: %w", r.method, r.path, MaxResponseBytes, api.ErrTooLarge)
		}
		return fmt.Errorf("%s %s: %v: %w", r.method, r.path, err, ErrBadResponse)
	}
	return nil
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return ""
}
