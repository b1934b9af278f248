// Package fetch downloads one http(s) resource, bounded before it is read:
// in time (the whole request, redirects and body included), in size (a
// larger body is refused, never truncated, whatever Content-Length says) and
// in redirects (at most MaxRedirects, each to http or https only). A status
// other than 200 is an error naming it. The URL's user information (a
// password in user:pass@host) is never repeated in an error.
//
// It is the one http(s) downloader of Gantry's plugins (the cfy_extensions
// plugin downloads blueprint archives with it).
package fetch
