package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/ssh"
)

// Runtime properties connect_master writes on the source instance.
const (
	RTMasterIP       = "master_ip"
	RTMasterPort     = "master_port"
	RTSSHPort        = "master_ssh_port"
	RTSSHUser        = "master_ssh_username"
	RTSSHKeyFile     = "master_ssh_keyfilename"
	RTSSHKnownHosts  = "master_ssh_known_hosts"
	RTSSHTrustFirst  = "master_ssh_trust_on_first_use"
	defaultOutput    = "kubernetes_info"
	typeMaster       = "cloudify.kubernetes.Master"
	typeProxy        = "cloudify.nodes.DeploymentProxy"
	propMasterOutput = "master_output"
)

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

func num(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}

func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true" || b == "yes"
	}
	return false
}

// connectMaster copies the master's address and SSH settings onto the
// source instance: from a cloudify.kubernetes.Master node, or from a
// DeploymentProxy's inherited output (default kubernetes_info) whose url
// gives host and port. Targets are recognised by type hierarchy.
func connectMaster(_ context.Context, op *plugins.Context) error {
	if op.Source == nil || op.Target == nil {
		return plugins.NonRecoverable(errors.New("connect_master must run as a relationship source operation"))
	}
	src, tgt := op.Source, op.Target
	set := map[string]any{}
	switch {
	case tgt.Node.IsA(typeMaster):
		props := tgt.Node.Properties
		ip := str(props, "ip")
		if v, ok := tgt.Runtime.Get("ip"); ok && fmt.Sprint(v) != "" {
			ip = fmt.Sprint(v)
		}
		if ip == "" {
			return plugins.NonRecoverable(fmt.Errorf("master %s has no ip: set its ip property", tgt.Node.ID))
		}
		set[RTMasterIP] = ip
		set[RTMasterPort] = num(props["master_port"])
		set[RTSSHPort] = num(props["ssh_port"])
		set[RTSSHUser] = str(props, "ssh_username")
		set[RTSSHKeyFile] = str(props, "ssh_keyfilename")
		set[RTSSHKnownHosts] = str(props, "ssh_known_hosts")
		set[RTSSHTrustFirst] = truthy(props["ssh_trust_on_first_use"])
	case tgt.Node.IsA(typeProxy):
		name := str(src.Node.Properties, propMasterOutput)
		if name == "" {
			name = defaultOutput
		}
		v, ok := tgt.Runtime.Get(name)
		if !ok {
			return plugins.NonRecoverable(fmt.Errorf("proxy %s has no inherited output %q: add it to the proxy's inherit_outputs "+
				"(or set %s on %s to the output's name)", tgt.Instance.ID, name, propMasterOutput, src.Node.ID))
		}
		info, ok := v.(map[string]any)
		if !ok {
			return plugins.NonRecoverable(fmt.Errorf("output %s inherited by %s must be a map with a url, got %T", name, tgt.Instance.ID, v))
		}
		u, err := url.Parse(str(info, "url"))
		if err != nil || u.Hostname() == "" {
			return plugins.NonRecoverable(fmt.Errorf("output %s.url %q inherited by %s is not a URL like https://HOST:PORT", name, str(info, "url"), tgt.Instance.ID))
		}
		set[RTMasterIP] = u.Hostname()
		if p := u.Port(); p != "" {
			set[RTMasterPort] = num(p)
		}
		// Gantry's cluster blueprint also exports how to reach the master by SSH.
		if h := str(info, "ssh_host"); h != "" {
			set[RTMasterIP] = h
		}
		if p := num(info["ssh_port"]); p > 0 {
			set[RTSSHPort] = p
		}
		if u := str(info, "ssh_username"); u != "" {
			set[RTSSHUser] = u
		}
	default:
		return plugins.NonRecoverable(fmt.Errorf("%s connects %s to %s of type %s: the target must be a %s or a %s",
			op.Relationship.Type, src.Node.ID, tgt.Node.ID, tgt.Node.Type, typeMaster, typeProxy))
	}
	for k, v := range set {
		if err := src.Runtime.Set(v, k); err != nil {
			return err
		}
	}
	op.Log(plugins.LevelInfo, "%s reaches the Kubernetes master at %v through %s", src.Instance.ID, set[RTMasterIP], tgt.Instance.ID)
	return nil
}

// sshTarget builds the SSH target of a node's operation. The master's
// address and port come from connect_master (or, for a Master node, its own
// properties); user, key and known_hosts come from the node's own
// properties when set, else from the master's.
func sshTarget(ctx context.Context, op *plugins.Context) (ssh.Target, error) {
	props := op.Node.Properties
	rt := func(k string) any { v, _ := op.Runtime.Get(k); return v }
	var t ssh.Target
	if op.Node.IsA(typeMaster) {
		t.Host = str(props, "ip")
		t.Port = num(props["ssh_port"])
	} else {
		t.Host = fmt.Sprint(orNil(rt(RTMasterIP)))
		if t.Host == "" {
			return t, plugins.NonRecoverable(fmt.Errorf("%s does not know its Kubernetes master: give it a %s relationship to a %s or a %s",
				op.Instance.ID, "cloudify.kubernetes.relationships.connected_to_master", typeMaster, typeProxy))
		}
		t.Port = num(rt(RTSSHPort))
		if t.Port == 0 {
			t.Port = num(props["ssh_port"])
		}
	}
	first := func(a string, b any) string {
		if a != "" {
			return a
		}
		if b == nil {
			return ""
		}
		return fmt.Sprint(b)
	}
	t.User = first(str(props, "ssh_username"), rt(RTSSHUser))
	if t.User == "" {
		t.User = "root"
	}
	if pem := str(props, "ssh_key"); pem != "" {
		t.KeyPEM = []byte(pem)
	} else {
		t.KeyFile = first(str(props, "ssh_keyfilename"), rt(RTSSHKeyFile))
	}
	if pw := str(props, "ssh_password"); pw != "" {
		t.Password = pw
	}
	if t.KeyFile == "" && t.KeyPEM == nil && t.Password == "" {
		t.UseAgent = true
	}
	t.KnownHostsFile = first(str(props, "ssh_known_hosts"), rt(RTSSHKnownHosts))
	t.TrustOnFirstUse = truthy(props["ssh_trust_on_first_use"]) || truthy(rt(RTSSHTrustFirst))
	return t, nil
}

func orNil(v any) any {
	if v == nil {
		return ""
	}
	return v
}
