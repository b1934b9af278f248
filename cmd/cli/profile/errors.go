package profile

import "errors"

// Sentinels (each error names the profile, the file or the variable).
var (
	// ErrNoProfile: no profile has that name.
	ErrNoProfile = errors.New("no such profile")
	// ErrExists: a profile has that name already.
	ErrExists = errors.New("profile exists")
	// ErrBadName: an empty, reserved or malformed profile name.
	ErrBadName = errors.New("bad profile name")
	// ErrBadURL: a URL that is not http(s)://host[:port][/path], or plain
	// http to a host that is not loopback.
	ErrBadURL = errors.New("bad server URL")
	// ErrBadToken: a token file that is missing, empty, too large or holds
	// more than one line.
	ErrBadToken = errors.New("bad token")
	// ErrBadFile: profiles.json or a CA file cannot be read or parsed.
	ErrBadFile = errors.New("bad file")
)
