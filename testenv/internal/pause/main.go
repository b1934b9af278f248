// Command pause is the pod sandbox process of the test environment's real node
// (testenv/realnode.sh packs it, alone, into the sandbox image containerd starts for
// every pod). It holds the pod's namespaces, reaps the orphans re-parented to it, and
// exits 0 on SIGTERM or SIGINT. Static, standard library only.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
