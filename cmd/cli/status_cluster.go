package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/manager/api"
)

// describeCluster renders the members, workers and claims of a shared
// store (etcd) for `gantry status`.
func describeCluster(c *api.Cluster, now time.Time) string {
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
	for _, cl := range c.Claims {
		fmt.Fprintf(&b, "  %-14s by %s (%s pid %d), token %d, held %s, lease %s left\n",
			cl.ExecutionID, cl.Holder.Name, hostName(cl.Holder.Host), cl.Holder.PID, cl.Token, age(now, cl.Since), cl.LeaseTTL)
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
