package cmdutil

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/manager/api"
)

// EventPrinter shows the events of executions this process follows: plain
// lines when piped, NDJSON with --json, and on a terminal a progress line
// kept at the bottom.
type EventPrinter struct {
	IO   *IOStreams
	JSON bool
	// Verbose prints every event, not only logs, failures and workflow events.
	Verbose bool

	mu       sync.Mutex
	progress string
	// running maps task ids to "instance operation" of the operations
	// running now, for the progress line (terminals only).
	running map[string]string
}

// OnEvent is an api.ExecOptions OnEvent hook; safe for concurrent use.
func (p *EventPrinter) OnEvent(ev *api.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.IO.IsTerminal && !p.JSON {
		p.track(ev)
	}
	if p.JSON {
		_ = PrintNDJSON(p.IO.Out, ev)
		return
	}
	if !p.Verbose && !interesting(ev) {
		return
	}
	p.clearProgress()
	fmt.Fprintln(p.IO.Out, FormatEvent(ev))
	p.drawProgress()
}

func joinMsg(msg, errMsg string) string {
	switch {
	case errMsg == "":
		return msg
	case msg == "":
		return errMsg
	}
	return msg + ": " + errMsg
}

func interesting(ev *api.Event) bool {
	switch ev.Type {
	case api.EventLog, api.EventTaskFailed, api.EventTaskRescheduled, api.EventTaskIgnored,
		api.EventWorkflowStarted, api.EventWorkflowSucceeded, api.EventWorkflowFailed,
		api.EventWorkflowCancelled, api.EventTaskDryRun:
		return true
	}
	return false
}

// FormatEvent renders one event line, live or read back alike.
func FormatEvent(ev *api.Event) string {
	var b strings.Builder
	b.WriteString(ev.Timestamp.Local().Format("15:04:05.000"))
	b.WriteString("  ")
	b.WriteString(fmt.Sprintf("%-20s", ev.Type))
	if ev.NodeInstanceID != "" {
		b.WriteString(" [" + ev.NodeInstanceID)
		if ev.Operation != "" {
			b.WriteString(" " + ev.Operation)
		}
		b.WriteString("]")
	}
	if ev.Level != "" && ev.Level != "info" {
		b.WriteString(" " + strings.ToUpper(ev.Level))
	}
	if msg := joinMsg(ev.Message, ev.Error); msg != "" {
		b.WriteString(" " + msg)
	}
	return b.String()
}

func (p *EventPrinter) clearProgress() {
	if p.progress != "" && p.IO.IsTerminal {
		fmt.Fprint(p.IO.Out, "\r\033[K")
	}
}

func (p *EventPrinter) drawProgress() {
	if p.progress != "" && p.IO.IsTerminal {
		fmt.Fprint(p.IO.Out, p.progress)
	}
}

// SetProgress redraws the progress line (terminals only).
func (p *EventPrinter) SetProgress(pr api.Progress) {
	if !p.IO.IsTerminal || p.JSON {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearProgress()
	p.progress = fmt.Sprintf("%d/%d operations done, %d running, %d failed, %s elapsed%s",
		pr.Done, pr.Operations, pr.Running, pr.Failed, pr.Elapsed.Round(100*time.Millisecond), p.runningNames(3))
	p.drawProgress()
}

// track follows which operations run, from task events.
func (p *EventPrinter) track(ev *api.Event) {
	switch ev.Type {
	case api.EventTaskSent:
		if p.running == nil {
			p.running = map[string]string{}
		}
		op := ev.Operation
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			op = op[i+1:]
		}
		p.running[ev.TaskID] = ev.NodeInstanceID + " " + op
	case api.EventTaskSucceeded, api.EventTaskFailed, api.EventTaskRescheduled, api.EventTaskIgnored:
		delete(p.running, ev.TaskID)
	}
}

// runningNames lists up to n running operations, e.g. ": web_a1b2c3 start, db_x9y8z7 create, +4 more".
func (p *EventPrinter) runningNames(n int) string {
	if len(p.running) == 0 {
		return ""
	}
	names := make([]string, 0, len(p.running))
	for _, v := range p.running {
		names = append(names, v)
	}
	sort.Strings(names)
	more := ""
	if len(names) > n {
		more = fmt.Sprintf(", +%d more", len(names)-n)
		names = names[:n]
	}
	return ": " + strings.Join(names, ", ") + more
}

// EndProgress removes the progress line.
func (p *EventPrinter) EndProgress() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearProgress()
	p.progress = ""
}

// Watch waits for a running execution while showing progress. The first
// Ctrl-C cancels gracefully, a second one forces. It returns the final
// record and the exit error its status calls for.
func Watch(ctx context.Context, io *IOStreams, pr *EventPrinter, r api.Run) (*api.Execution, error) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	interrupts := 0
loop:
	for {
		select {
		case <-r.Done():
			break loop
		case <-sigs:
			interrupts++
			if interrupts == 1 {
				fmt.Fprintln(io.ErrOut, "\ncancelling: running operations finish, no new ones start (Ctrl-C again to force)")
				r.Cancel(false)
			} else {
				fmt.Fprintln(io.ErrOut, "\nforcing: stopping running operations")
				r.Cancel(true)
			}
		case <-tick.C:
			pr.SetProgress(r.Progress())
		}
	}
	pr.EndProgress()
	e, err := r.Wait(ctx)
	if err != nil {
		// The execution could not run, or what follows a successful
		// workflow failed (e.g. applying a scale).
		return e, StoreError(err)
	}
	return e, ExecutionExit(e)
}

// ExecutionExit is the exit error an ended execution calls for: nil when
// it succeeded, 3 when cancelled, 1 when it failed (with how to resume).
func ExecutionExit(e *api.Execution) error {
	switch e.Status {
	case api.ExecutionTerminated:
		return nil
	case api.ExecutionCancelled:
		return Exit(ExitCancelled, fmt.Errorf("execution %s (%s of %s) was cancelled; resume it with `gantry executions resume %s`",
			e.ID, e.WorkflowID, e.DeploymentID, e.ID))
	}
	msg := e.Error
	if msg == "" {
		msg = fmt.Sprintf("unknown error (status %s)", e.Status)
	}
	if e.RolledBack {
		return Exit(ExitFailed, fmt.Errorf("execution %s (%s of %s) failed: %s\nfix the cause, then update the deployment again",
			e.ID, e.WorkflowID, e.DeploymentID, msg))
	}
	return Exit(ExitFailed, fmt.Errorf("execution %s (%s of %s) failed: %s\nfix the cause, then `gantry executions resume %s`",
		e.ID, e.WorkflowID, e.DeploymentID, msg, e.ID))
}
