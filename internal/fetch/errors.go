package fetch

import "errors"

// Sentinel errors of Get.
var (
	// ErrScheme: the URL (or a redirect) is not http or https.
	ErrScheme = errors.New("not an http(s) URL")
	// ErrStatus: the server answered with a status other than 200.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrTooLarge: the body is larger than the limit.
	ErrTooLarge = errors.New("download too large")
	// ErrTooManyRedirects: more than MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
)
