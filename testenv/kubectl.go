package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// KubectlCmd returns a local `kubectl ARGS...` command talking to this environment's API
// server (KUBECONFIG set), for checking cluster state independently of the code under test.
func (e *Env) KubectlCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.KubectlPath, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+e.Kubeconfig)
	return cmd
}

// Kubectl runs a local `kubectl ARGS...` against this environment and returns its standard
// output; on failure the error includes standard error.
func (e *Env) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := e.KubectlCmd(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
