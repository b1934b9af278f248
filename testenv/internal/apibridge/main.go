// Command apibridge makes the test environment's API server, which listens on the
// machine's 127.0.0.1 only, reachable from inside the real node's network namespace: it
// listens on -listen inside the namespace named by -netns and forwards every connection to
// -target in the machine's namespace. The listening socket is created from a thread that
// entered the namespace for that one call (a socket keeps the namespace it was created
// in); everything else runs in the machine's namespace. TLS passes through untouched.
//
//	apibridge -netns /run/netns/NAME -listen 127.0.0.1:PORT -target 127.0.0.1:PORT -ready FILE
//
// FILE is written once the listener is up (testenv/realnode.sh waits for it). SIGTERM
// stops it. Standard library only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// dialTimeout bounds each connection to the target.
const dialTimeout = 5 * time.Second

func main() {
	netns := flag.String("netns", "", "network namespace file (/run/netns/NAME) to listen in")
	listen := flag.String("listen", "", "address to listen on inside the namespace")
	target := flag.String("target", "", "address to forward to, in this process's namespace")
	ready := flag.String("ready", "", "file written once listening")
	flag.Parse()
	if *netns == "" || *listen == "" || *target == "" {
		log.Fatal("apibridge: -netns, -listen and -target are required")
	}
	ln, err := listenIn(*netns, *listen)
	if err != nil {
		log.Fatalf("apibridge: %v", err)
	}
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
			log.Fatalf("apibridge: %v", err)
		}
	}
	log.Printf("apibridge: %s in %s -> %s", ln.Addr(), *netns, *target)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatalf("apibridge: accept: %v", err)
		}
		go forward(c, *target)
	}
}

// listenIn creates a TCP listener inside the network namespace at nsPath.
func listenIn(nsPath, addr string) (net.Listener, error) {
	runtime.LockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer self.Close()
	ns, err := os.Open(nsPath)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer ns.Close()
	if err := setns(ns); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("enter %s: %w", nsPath, err)
	}
	ln, lerr := net.Listen("tcp", addr)
	if err := setns(self); err != nil {
		// The thread stays locked (and dies with the goroutine's end): never reused.
		return nil, fmt.Errorf("return to the machine's namespace: %w", err)
	}
	runtime.UnlockOSThread()
	if lerr != nil {
		return nil, fmt.Errorf("listen on %s in %s: %w", addr, nsPath, lerr)
	}
	return ln, nil
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}

// forward copies both ways between c and a new connection to target, half-closing each
// side when the other is done.
func forward(c net.Conn, target string) {
	defer c.Close()
	t, err := net.DialTimeout("tcp", target, dialTimeout)
	if err != nil {
		log.Printf("apibridge: dial %s: %v", target, err)
		return
	}
	defer t.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		if _, err := io.Copy(dst, src); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Printf("apibridge: copy: %v", err)
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(t, c)
	go pipe(c, t)
	<-done
	<-done
}
