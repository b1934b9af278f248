package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// ErrNotExclusive is returned by the fault controls on an Env from Require: stopping a
// component would break other tests running at the same time. Use RequireExclusive.
var ErrNotExclusive = errors.New("fault controls need testenv.RequireExclusive")

// Component names accepted by Stop and Start (as in testenv/ctl.sh).
const (
	SSHD      = "sshd"
	APIServer = "kube-apiserver"
	Etcd      = "etcd"
	Scheduler = "kube-scheduler"
	Kwok      = "kwok"
)

// ctlTimeout bounds one ctl.sh call (a start waits for health, up to 90 s per component).
const ctlTimeout = 2 * time.Minute

// StopSSHD stops the SSH server: new connections are refused until StartSSHD.
// Connections already open stay up, as with a real sshd restart.
func (e *Env) StopSSHD() error { return e.Stop(SSHD) }

// StartSSHD starts the SSH server again on the same port with the same host key and waits
// until it answers.
func (e *Env) StartSSHD() error { return e.Start(SSHD) }

// StopAPIServer stops kube-apiserver: kubectl fails with "connection refused".
func (e *Env) StopAPIServer() error { return e.Stop(APIServer) }

// StartAPIServer starts kube-apiserver again (same port, certificates and etcd data, so
// every object is still there) and waits until /readyz answers.
func (e *Env) StartAPIServer() error { return e.Start(APIServer) }

// Stop stops one component by its recorded pid.
func (e *Env) Stop(component string) error {
	if err := e.ctlRun("stop", component); err != nil {
		return err
	}
	e.stopped[component] = true
	return nil
}

// Start starts a stopped component and waits until it is healthy.
func (e *Env) Start(component string) error {
	if err := e.ctlRun("start", component); err != nil {
		return err
	}
	delete(e.stopped, component)
	return nil
}

// restoreStopped starts every component this Env stopped and did not start again.
func (e *Env) restoreStopped() error {
	names := make([]string, 0, len(e.stopped))
	for n := range e.stopped {
		names = append(names, n)
	}
	// etcd before kube-apiserver before the rest: sorted order happens to give that.
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		errs = append(errs, e.Start(n))
	}
	return errors.Join(errs...)
}

// ctlRun runs testenv/ctl.sh VERB COMPONENT for this environment.
func (e *Env) ctlRun(verb, component string) error {
	if !e.exclusive {
		return fmt.Errorf("%s %s: %w", verb, component, ErrNotExclusive)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ctlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", e.ctl, verb, component)
	cmd.Env = append(os.Environ(), "GANTRY_TESTENV_DIR="+e.Dir)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("testenv ctl %s %s: %w\n%s", verb, component, err, strings.TrimSpace(out.String()))
	}
	return nil
}
