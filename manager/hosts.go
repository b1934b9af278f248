package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/ssh"
)

// hostTarget tells the remote script plugin how to reach the host of an
// operation's instance, from the engine's live view the operation context
// carries (never the store, which lags the engine's pending writes): the
// address is oc.HostIP (the host's runtime ip, else its ip property), the
// rest the host node's agent_config (user, key — a path or the key itself
// —, port, password, known_hosts, trust_on_first_use), runtime functions
// in it (key: {get_secret: host_key}) evaluated by the engine, so that
// their values are redacted from events.
func (m *Manager) hostTarget(_ context.Context, oc *plugins.Context) (ssh.Target, error) {
	var t ssh.Target
	if oc.Instance == nil || oc.Host == nil || oc.Host.Node == nil {
		return t, plugins.NonRecoverable(fmt.Errorf("operation %s has no host to run on", oc.OperationName))
	}
	hostID, node := oc.Host.Instance.ID, oc.Host.Node
	t.Host = oc.HostIP
	if t.Host == "" {
		return t, plugins.NonRecoverable(fmt.Errorf("host %s of %s has no address: set the ip property of node %s (or its runtime property ip)", hostID, oc.Instance.ID, node.ID))
	}
	ac, _ := node.Properties["agent_config"].(map[string]any)
	str := func(k string) string {
		if v, ok := ac[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	t.User = str("user")
	if t.User == "" {
		return t, plugins.NonRecoverable(fmt.Errorf("host %s: set agent_config.user on node %s (the SSH user)", hostID, node.ID))
	}
	if p := str("port"); p != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(p, ".0"))
		if err != nil {
			return t, plugins.NonRecoverable(fmt.Errorf("host %s: agent_config.port %q is not a number", hostID, p))
		}
		t.Port = n
	}
	if key := str("key"); strings.Contains(key, "PRIVATE KEY-----") {
		t.KeyPEM = []byte(key)
	} else if key != "" {
		t.KeyFile = expandHome(key)
	}
	t.Password = str("password")
	if t.KeyFile == "" && t.KeyPEM == nil && t.Password == "" {
		t.UseAgent = true
	}
	t.KnownHostsFile = expandHome(str("known_hosts"))
	t.TrustOnFirstUse = str("trust_on_first_use") == "true"
	return t, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
