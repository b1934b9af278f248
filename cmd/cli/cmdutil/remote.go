package cmdutil

import (
	"os"

	"github.com/gantryhq/gantry/cmd/cli/profile"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/remote"
)

// target is the server commands go to: nil for the embedded store. First
// match wins:
//  1. --store: that store, in process (e.g. `gantry server tokens create
//     --store` on the server's machine makes the first admin token even
//     with a profile in use);
//  2. GANTRY_URL (with GANTRY_TOKEN or GANTRY_TOKEN_FILE): that server;
//  3. the profile in use (`gantry profiles use`): its server;
//  4. the local store ($GANTRY_STORE, else ~/.gantry/gantry.db).
func (f *Factory) target() (*profile.Target, error) {
	if f.StorePath != "" {
		return nil, nil
	}
	t, err := profile.Resolve(os.Getenv)
	if err != nil {
		return nil, Exit(ExitUsage, err)
	}
	return t, nil
}

// remoteService is the client of the target's server.
func remoteService(t *profile.Target) (api.Service, error) {
	tlsCfg, err := t.TLSConfig()
	if err != nil {
		return nil, Exit(ExitUsage, err)
	}
	c, err := remote.New(remote.Config{URL: t.URL, Token: t.Token(), TLS: tlsCfg, Profile: t.Profile})
	if err != nil {
		return nil, Exit(ExitUsage, err)
	}
	return c, nil
}

// describeRemote is Describe for a target: where the state is, without
// connecting.
func (f *Factory) describeRemote(t *profile.Target) api.Info {
	return api.Info{Version: f.Version, Mode: api.ModeRemote, Store: t.URL, Profile: t.Name()}
}
