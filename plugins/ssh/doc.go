// Package ssh is Gantry's SSH client library, built on golang.org/x/crypto/ssh.
// It owns everything about reaching a host over SSH and running commands there;
// the operation-level glue (host_agent operations, ctx for remote scripts) is
// built on top of it elsewhere.
//
// What it provides:
//
//   - Pool: one SSH connection per (host, port, user, key identity, known_hosts
//     policy), shared by many concurrent sessions (bounded per connection, like
//     OpenSSH's MaxSessions), dialled with retries and exponential backoff,
//     checked with keepalive@openssh.com requests, closed when idle, and
//     re-dialled transparently when it broke (e.g. sshd restarted).
//   - Authentication from a private key file, PEM bytes (a Gantry secret), an
//     optional passphrase, ssh-agent (SSH_AUTH_SOCK) and/or a password.
//   - Host key verification against a known_hosts file; an unknown host is
//     recorded only when Target.TrustOnFirstUse asks for it, and a changed key
//     is always refused (ErrHostKeyMismatch / ErrHostKeyUnknown, with a message
//     saying what to do).
//   - Run / Stream / RunScript: every argument quoted for the remote POSIX shell
//     (Quote, Join), stdin, environment (sent on stdin, never on the remote
//     command line, see prologue.go), a timeout per command; timeout and
//     context cancellation signal the remote process group (TERM, then KILL)
//     and close the session. A command whose SSH connection drops (gantry
//     killed, network lost) is ended on the host by a watcher in its process
//     group within about 3 s. Errors are classified: ErrConnect (retryable),
//     *ExitError (non-zero exit), ErrTimeout, context.Canceled.
//   - masking: Command.Secrets are replaced with ****** in output and errors
//     (internal/secretmask: whole values, their lines and JSON leaves).
//
// The remote login shell must be a POSIX shell (sh, bash, dash, ash, zsh, ksh);
// commands with an environment need base64(1) on the host.
package ssh
