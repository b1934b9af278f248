package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gantryhq/gantry/internal/readlimit"
)

// MaxRedirects bounds the redirects one download follows.
const MaxRedirects = 5

// Limits bound one download.
type Limits struct {
	MaxBytes int64         // the largest body accepted
	Timeout  time.Duration // the whole download, redirects and body included
}

// IsURL reports whether s is an http or https URL with a host.
func IsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Get downloads rawURL within lim and returns its body.
func Get(ctx context.Context, rawURL string, lim Limits) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: %w", Redact(rawURL), ErrScheme)
	}
	shown := u.Redacted()
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown, err)
	}
	client := &http.Client{CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("more than %d: %w", MaxRedirects, ErrTooManyRedirects)
		}
		if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
			return fmt.Errorf("redirected to %s: %w", r.URL.Redacted(), ErrScheme)
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, fmt.Errorf("%s: no complete answer within %s: %w", shown, lim.Timeout, context.DeadlineExceeded)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named once, redacted
		}
		return nil, fmt.Errorf("%s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %w", shown, resp.Status, ErrStatus)
	}
	if resp.ContentLength > lim.MaxBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", shown, resp.ContentLength, lim.MaxBytes, ErrTooLarge)
	}
	body, err := readlimit.All(resp.Body, lim.MaxBytes)
	switch {
	case errors.Is(err, readlimit.ErrTooLarge):
		return nil, fmt.Errorf("%s: more than %d bytes: %w", shown, lim.MaxBytes, ErrTooLarge)
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("%s: no complete answer within %s: %w", shown, lim.Timeout, context.DeadlineExceeded)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", shown, err)
	}
	return body, nil
}

// Redact hides the password of a URL that parses, for messages; one that
// does not parse is not repeated (it may hold one).
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the URL"
	}
	return u.Redacted()
}
