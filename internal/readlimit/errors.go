package readlimit

import "errors"

var (
	// ErrNotRegular: the path names a directory, FIFO, device or socket
	// where a regular file is expected.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: there is more data than the limit allows.
	ErrTooLarge = errors.New("larger than the limit")
)
