package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/manager/api"
)

// describeCluster renders the members, workers, claims and queue of a
// shared store (etcd) for `gantry status`.
func describeCluster(c *api.Cluster, now time.Time) string {
	byID := make(map[string]*api.Execution, len(c.Executions))
	for _, e := range c.Executions {
		byID[e.ID] = e
	}
	what := func(id string) string {
		if e := byID[id]; e != nil {
			return fmt.Sprintf("%s of %s", e.WorkflowID, e.DeploymentID)
		}
		return ""
	}
	var b strings.Builder
	b.WriteString("members:\n")
	for _, m := range c.Members {
		role := "follower"
		switch {
		case m.Error != "":
			role = "unreachable: " + m.Error
		case m.Leader:
			role = "leader"
		}
		fmt.Fprintf(&b, "  %-10s %-28s %s\n", m.Name, strings.Join(m.ClientURL, ","), role)
	}
	fmt.Fprintf(&b, "workers: %d\n", len(c.Workers))
	for _, w := range c.Workers {
		fmt.Fprintf(&b, "  %-20s %s pid %d, parallel %d, up %s, lease %s left\n",
			w.Name, hostName(w.Host), w.PID, w.Parallel, age(now, w.Started), w.LeaseTTL)
	}
	fmt.Fprintf(&b, "claims: %d\n", len(c.Claims))
	claimed := make(map[string]bool, len(c.Claims))
	for _, cl := range c.Claims {
		claimed[cl.ExecutionID] = true
		fmt.Fprintf(&b, "  %-14s %s by %s (%s pid %d), token %d, held %s, lease %s left\n",
			cl.ExecutionID, what(cl.ExecutionID), cl.Holder.Name, hostName(cl.Holder.Host), cl.Holder.PID, cl.Token, age(now, cl.Since), cl.LeaseTTL)
	}
	fmt.Fprintf(&b, "queued: %d\n", c.Queued)
	shown := 0
	for _, e := range c.Executions {
		if !claimed[e.ID] {
			shown++
			fmt.Fprintf(&b, "  %-14s %s, queued %s ago\n", e.ID, what(e.ID), age(now, e.CreatedAt))
		}
	}
	if shown < c.Queued {
		fmt.Fprintf(&b, "  ... and %d more\n", c.Queued-shown)
	}
	if c.Error != "" {
		fmt.Fprintf(&b, "cluster error: %s\n", c.Error)
	}
	return b.String()
}

// hostName drops the boot id of a "hostname boot-id" host.
func hostName(h string) string {
	name, _, _ := strings.Cut(h, " ")
	return name
}

func age(now, since time.Time) time.Duration {
	if since.IsZero() {
		return 0
	}
	return now.Sub(since).Round(time.Second)
}
