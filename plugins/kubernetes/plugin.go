package kubernetes

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/ssh"
	"github.com/gantryhq/gantry/tosca"
)

// Name is the plugin name blueprints map operations to ("kubernetes.*").
const Name = tosca.PluginKubernetes

// Operation names (the part after "kubernetes.").
const (
	OpConnectMaster     = tosca.OpConnectMaster
	OpCheckMaster       = tosca.OpCheckMaster
	OpLabelNode         = tosca.OpLabelNode
	OpUnlabelNode       = tosca.OpUnlabelNode
	OpStartMicroservice = tosca.OpMicroserviceStart
	OpStopMicroservice  = tosca.OpMicroserviceStop
)

// DefaultTimeout bounds an operation whose node has no timeout property.
const DefaultTimeout = 5 * time.Minute

// Plugin is the Kubernetes plugin. One Plugin (and so one SSH pool) serves
// every operation of a gantry process: 50 microservices on one master share
// one connection.
type Plugin struct {
	Pool *ssh.Pool
	// PollInterval is the pause between readiness checks (default 1 s).
	PollInterval time.Duration
	// RetryPause is the first pause after a transient kubectl failure (default 1 s).
	RetryPause time.Duration
}

// New returns a plugin over pool.
func New(pool *ssh.Pool) *Plugin { return &Plugin{Pool: pool} }

// Run dispatches one operation.
func (p *Plugin) Run(ctx context.Context, op *plugins.Context) (any, error) {
	switch op.Operation.Operation {
	case OpConnectMaster:
		return nil, connectMaster(ctx, op)
	case OpCheckMaster:
		return nil, p.checkMaster(ctx, op)
	case OpLabelNode:
		return nil, p.labelNode(ctx, op)
	case OpUnlabelNode:
		return nil, p.unlabelNode(ctx, op)
	case OpStartMicroservice:
		return nil, p.startMicroservice(ctx, op)
	case OpStopMicroservice:
		return nil, p.stopMicroservice(ctx, op)
	}
	return nil, plugins.NonRecoverable(fmt.Errorf("kubernetes plugin has no operation %q", op.Operation.Operation))
}

// kubectlFor builds the kubectl runner of an operation: its SSH target and
// its deadline (the node's timeout property, or the operation's timeout).
func (p *Plugin) kubectlFor(ctx context.Context, op *plugins.Context) (*kubectl, error) {
	t, err := sshTarget(ctx, op)
	if err != nil {
		return nil, err
	}
	timeout := DefaultTimeout
	if s := num(op.Inputs["timeout"]); s > 0 {
		timeout = time.Duration(s) * time.Second
	} else if s := num(op.Node.Properties["timeout"]); s > 0 {
		timeout = time.Duration(s) * time.Second
	}
	if op.Timeout > 0 && op.Timeout < timeout {
		timeout = op.Timeout
	}
	pause := p.RetryPause
	if pause <= 0 {
		pause = time.Second
	}
	bin := str(op.Node.Properties, "kubectl")
	if bin == "" {
		bin = "kubectl"
	}
	return &kubectl{pool: p.Pool, target: t, binary: bin, op: op, deadline: time.Now().Add(timeout), pause: pause, maxPause: 5 * time.Second}, nil
}

func (p *Plugin) poll() time.Duration {
	if p.PollInterval > 0 {
		return p.PollInterval
	}
	return time.Second
}

// checkMaster verifies that the master answers over SSH and its API server is ready.
func (p *Plugin) checkMaster(ctx context.Context, op *plugins.Context) error {
	k, err := p.kubectlFor(ctx, op)
	if err != nil {
		return err
	}
	out, err := k.run(ctx, nil, "get", "--raw=/readyz")
	if err != nil {
		return err
	}
	if err := op.Runtime.Set(str(op.Node.Properties, "ip"), "ip"); err != nil {
		return err
	}
	op.Log(plugins.LevelInfo, "Kubernetes master %s is ready (%s)", k.target, trimOut(out))
	return nil
}

func trimOut(b []byte) string {
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
