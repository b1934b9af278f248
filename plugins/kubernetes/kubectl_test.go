package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/ssh"
)

// The retry loop's error names the last attempt's failure, wherever the
// operation's timeout lands: between attempts or during one.
func TestKubectlRetryNamesLastFailure(t *testing.T) {
	refused := fmt.Errorf("%w: 127.0.0.1:22: dial tcp 127.0.0.1:6443: connect: connection refused", ssh.ErrConnect)
	stopped := fmt.Errorf("%w: kubectl apply on 127.0.0.1:22 after 837ms (stopped)", ssh.ErrTimeout)
	tests := []struct {
		name     string
		attempts []error // the last one repeats
		want     []string
		not      []string
	}{
		{"timeout between attempts", []error{refused}, []string{"still failing after", "connection refused"}, nil},
		{"timeout during an attempt", []error{refused, refused, stopped},
			[]string{"still failing after 2 attempt(s) when the operation's timeout ran out", "connection refused", "attempt 3 was stopped", "837ms"}, nil},
		{"timeout during the first attempt", []error{stopped}, []string{"the operation's timeout ran out while it ran", "837ms"}, []string{"still failing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &kubectl{target: ssh.Target{Host: "127.0.0.1", Port: 22}, op: &plugins.Context{},
				deadline: time.Now().Add(300 * time.Millisecond), pause: 10 * time.Millisecond, maxPause: 20 * time.Millisecond}
			n := 0
			_, err := k.retry(context.Background(), "apply -f -", func(context.Context) (ssh.Result, error) {
				e := tt.attempts[min(n, len(tt.attempts)-1)]
				n++
				return ssh.Result{ExitCode: -1}, e
			})
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, w := range tt.not {
				assert.NotContains(t, err.Error(), w)
			}
			assert.False(t, plugins.IsNonRecoverable(err), "a timed-out operation is retried")
			if errors.Is(tt.attempts[len(tt.attempts)-1], ssh.ErrTimeout) {
				assert.ErrorIs(t, err, ssh.ErrTimeout)
			}
		})
	}
}
