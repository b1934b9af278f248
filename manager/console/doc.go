// Package console is Gantry's web console: the static assets `gantry
// server` serves at / (embedded in the binary, nothing loaded from the
// internet) and the handler that serves them.
//
// Contracts:
//   - The assets under web/ are the source: plain ES modules, CSS and one
//     HTML page, no build step. The one generated file is the graph layout
//     library, web/vendor/dagre.esm.js, copied from npm by `make
//     console-assets` (part of `make build`); a plain `go build` of a fresh
//     clone embeds web/vendor/README.txt alone and the console draws the
//     topology as a list instead of a picture.
//   - The console uses the public REST API (/api/v1) only, signed in with a
//     cookie session (manager/server's /console/session); every write sends
//     the session's CSRF token.
//   - Handler serves every asset gzip-compressed when the client accepts it
//     (compressed once, at start), with an ETag, `Cache-Control: no-cache`,
//     and a Content-Security-Policy that allows this origin only. Paths
//     that name no asset get index.html (the console routes in its URL's
//     fragment, so that is only a bookmark of /).
package console
