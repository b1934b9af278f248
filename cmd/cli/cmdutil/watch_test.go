package cmdutil

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
)

// On a terminal the progress line names the operations running now.
func TestProgressNamesRunningOperations(t *testing.T) {
	var out bytes.Buffer
	p := &EventPrinter{IO: &IOStreams{Out: &out, IsTerminal: true}}
	sent := func(id, inst, op string) {
		p.OnEvent(&api.Event{Type: api.EventTaskSent, TaskID: id, NodeInstanceID: inst, Operation: op})
	}
	sent("t1", "web_1", "cloudify.interfaces.lifecycle.create")
	sent("t2", "db_1", "cloudify.interfaces.lifecycle.start")
	sent("t3", "lb_1", "cloudify.interfaces.lifecycle.configure")
	sent("t4", "mq_1", "cloudify.interfaces.lifecycle.create")
	p.OnEvent(&api.Event{Type: api.EventTaskSucceeded, TaskID: "t3"})

	p.SetProgress(api.Progress{Operations: 10, Done: 1, Running: 3, Elapsed: 2 * time.Second})
	line := out.String()[strings.LastIndex(out.String(), "\r")+1:]
	require.Contains(t, line, "1/10 operations done, 3 running, 0 failed, 2s elapsed: ")
	require.Contains(t, line, "db_1 start, mq_1 create, web_1 create")
	require.NotContains(t, line, "lb_1", "finished operations leave the line")

	sent("t5", "zz_1", "cloudify.interfaces.lifecycle.create")
	p.SetProgress(api.Progress{Operations: 10, Done: 1, Running: 4})
	require.Contains(t, out.String()[strings.LastIndex(out.String(), "\r")+1:], ", +1 more")
}

// Piped output gets no progress line at all.
func TestNoProgressWhenPiped(t *testing.T) {
	var out bytes.Buffer
	p := &EventPrinter{IO: &IOStreams{Out: &out}}
	p.OnEvent(&api.Event{Type: api.EventTaskSent, TaskID: "t1", NodeInstanceID: "web_1", Operation: "create"})
	p.SetProgress(api.Progress{Operations: 1})
	require.Empty(t, out.String())
}
