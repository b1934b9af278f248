package ssh_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/plugins/ssh"
)

// Running kubectl on a master over a pooled connection, with the manifest on
// stdin, output streamed (token masked) and the usual error branches.
func Example() {
	pool := ssh.NewPool(ssh.Config{KnownHostsFile: "/var/lib/gantry/known_hosts"})
	defer pool.Close()

	master := ssh.Target{Host: "10.0.0.5", User: "ubuntu", KeyFile: "/etc/gantry/agent_key.pem"}
	token := "s3cr3t-token"
	res, err := pool.Stream(context.Background(), master, ssh.Command{
		Args:    []string{"kubectl", "--token", token, "apply", "-f", "-"},
		Stdin:   strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n"),
		Timeout: 2 * time.Minute,
		Secrets: []string{token},
	}, func(stream ssh.StreamName, line string) {
		fmt.Printf("[%s] %s\n", stream, line) // e.g. into an event
	})
	var exit *ssh.ExitError
	switch {
	case err == nil:
		fmt.Printf("applied: %s", res.Stdout)
	case errors.As(err, &exit):
		fmt.Println("kubectl failed:", exit.Code, string(exit.Stderr))
	case ssh.IsRetryable(err), errors.Is(err, ssh.ErrTimeout):
		fmt.Println("try again later:", err)
	default: // host key, credentials, invalid input: not retryable
		fmt.Println("error:", err)
	}
}
