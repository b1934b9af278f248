//go:build !unix

package testenv

import (
	"fmt"
	"time"
)

// lockEnv is unsupported where the environment cannot run (it needs sshd and loopback ports
// on a Unix host).
func lockEnv(string, bool, time.Duration) (func(), error) {
	return nil, fmt.Errorf("%w: the test environment runs on Unix hosts only", ErrUnavailable)
}
