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

// A retry loop ended by its context (a cancel, or the engine's backstop
// deadline) still names the last failure that the context did not cause.
func TestKubectlRetryEndedByContextNamesLastFailure(t *testing.T) {
	refused := fmt.Errorf("%w: 127.0.0.1:22: dial tcp 127.0.0.1:6443: connect: connection refused", ssh.ErrConnect)
	tests := []struct {
		name string
		// second is attempt 2 (attempt 1 is refused); it may end ctx.
		second  func(ctx context.Context, cancel context.CancelFunc) error
		pause   time.Duration
		want    []string
		not     []string
		is      error
		timeout time.Duration // of ctx (0: none)
	}{
		{
			name:  "cancelled while waiting to retry",
			pause: time.Hour,
			second: func(context.Context, context.CancelFunc) error {
				panic("no second attempt after a cancel")
			},
			want: []string{"context canceled at attempt 1", "the last failure", "connection refused"},
			is:   context.Canceled,
		},
		{
			name:  "cancelled during an attempt",
			pause: time.Millisecond,
			second: func(ctx context.Context, cancel context.CancelFunc) error {
				cancel()
				return fmt.Errorf("ssh: kubectl on 127.0.0.1:22 stopped: %w", ctx.Err())
			},
			want: []string{"context canceled at attempt 2", "connection refused"},
			not:  []string{"stopped"},
			is:   context.Canceled,
		},
		{
			name:    "backstop deadline during an attempt",
			pause:   time.Millisecond,
			timeout: 100 * time.Millisecond,
			second: func(ctx context.Context, _ context.CancelFunc) error {
				<-ctx.Done()
				return fmt.Errorf("%w: kubectl on 127.0.0.1:22 (stopped): %w", ssh.ErrTimeout, ctx.Err())
			},
			want: []string{"still failing after 1 attempt(s) when the operation's timeout ran out", "connection refused", "attempt 2 was stopped"},
			is:   ssh.ErrTimeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			k := &kubectl{target: ssh.Target{Host: "127.0.0.1", Port: 22}, op: &plugins.Context{},
				deadline: time.Now().Add(2 * time.Hour), pause: tt.pause, maxPause: tt.pause}
			n := 0
			_, err := k.retry(ctx, "apply -f -", func(ctx context.Context) (ssh.Result, error) {
				n++
				if n == 1 {
					if tt.pause == time.Hour {
						time.AfterFunc(20*time.Millisecond, cancel)
					}
					return ssh.Result{ExitCode: -1}, refused
				}
				return ssh.Result{ExitCode: -1}, tt.second(ctx, cancel)
			})
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, w := range tt.not {
				assert.NotContains(t, err.Error(), w)
			}
			assert.ErrorIs(t, err, tt.is)
			assert.False(t, plugins.IsNonRecoverable(err))
		})
	}
}
