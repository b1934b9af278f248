// Package remote runs script operations on the node's host over SSH, for
// operations whose executor is host_agent on nodes hosted on a
// cloudify.nodes.Compute. Gantry installs no agent on hosts: the script
// travels over the SSH session's stdin (no scp, no file left behind but a
// private temporary folder removed on exit), operation inputs become
// environment variables, output lines become events, and `ctx` works as it
// does locally: a small `ctx` shell script reaches the running gantry
// through a remote port forward on the same pooled SSH connection.
// Every other operation goes to the local script plugin.
package remote
