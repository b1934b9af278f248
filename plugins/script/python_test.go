package script

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
)

// cloudifyStyle is written the way Cloudify's documentation writes script
// operations: ctx from the cloudify package, runtime properties (also
// changed in place), a rendered resource, inputs through ctx_parameters,
// and a retry through the exception.
const cloudifyStyle = `from cloudify import ctx
from cloudify.state import ctx_parameters as inputs
from cloudify.exceptions import OperationRetry

ctx.logger.info('configuring %s on %s', ctx.node.id, ctx.instance.host_ip)
props = ctx.instance.runtime_properties
props['port'] = ctx.node.properties['port']
props['tags'] = {'a': 1}
props['tags']['b'] = 2
props['zip'] = '007'
path = ctx.download_resource_and_render('templates/app.conf', template_variables={'greeting': inputs['greeting']})
with open(path) as f:
    props['conf'] = f.read()
props['raw'] = ctx.get_resource('templates/app.conf')
props['ids'] = [ctx.deployment.id, ctx.blueprint.id, ctx.operation.name, ctx.type]
if ctx.operation.retry_number == 0:
    raise OperationRetry('not ready yet', retry_after=0.5)
ctx.instance.runtime_properties['done'] = True
`

func TestPythonScriptWrittenForCloudify(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("python3 is required: %v", err)
	}
	f := newOp(t, "scripts/configure.py", cloudifyStyle, map[string]any{"greeting": "hello"})
	require.NoError(t, os.MkdirAll(filepath.Join(f.dir, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "templates", "app.conf"),
		[]byte("{# rendered #}greeting={{ greeting }} port={{ ctx.node.properties.port }} id={{ ctx.instance.id }} deep={{ ctx.node.properties['nested'].a.b }}\n"), 0o644))
	f.oc.BlueprintID, f.oc.HostIP = "bp1", "10.0.0.7"
	p := newPlugin(t)

	_, err := p.Run(context.Background(), f.oc)
	var retry *plugins.RetryError
	require.ErrorAs(t, err, &retry, "the first attempt asks for a retry: %v (logs %v)", err, f.messages())
	require.Equal(t, "not ready yet", retry.Message)
	require.InDelta(t, 0.5, retry.After.Seconds(), 0.001)

	all := f.oc.Runtime.All()
	require.Equal(t, 8080.0, all["port"])
	require.Equal(t, map[string]any{"a": 1.0, "b": 2.0}, all["tags"], "a change inside a value is saved when the script ends")
	require.Equal(t, "007", all["zip"], "strings stay strings")
	require.Equal(t, "greeting=hello port=8080 id=web_abc123 deep=deep\n", all["conf"])
	require.Contains(t, all["raw"], "{{ greeting }}")
	require.Equal(t, []any{"dep1", "bp1", "cloudify.interfaces.lifecycle.create", "node-instance"}, all["ids"])
	require.Contains(t, f.messages(), "configuring web on 10.0.0.7")
	require.NotContains(t, all, "done")

	f.oc.Attempt = 1
	_, err = p.Run(context.Background(), f.oc)
	require.NoError(t, err, "logs: %v", f.messages())
	require.Equal(t, true, f.oc.Runtime.All()["done"])
}

func TestPythonNonRecoverableAborts(t *testing.T) {
	f := newOp(t, "fail.py", "from cloudify.exceptions import NonRecoverableError\nraise NonRecoverableError('bad config')\n", nil)
	_, err := newPlugin(t).Run(context.Background(), f.oc)
	require.Error(t, err)
	require.True(t, plugins.IsNonRecoverable(err), "%v", err)
	require.ErrorContains(t, err, "bad config")
}

func TestCtxJSONAndAtArguments(t *testing.T) {
	f := newOp(t, "j.sh", `set -e
ctx instance runtime-properties plain 007
ctx instance runtime-properties forced @'"007"'
ctx instance runtime-properties obj @'{"a": [1, 2]}'
echo "name=$(ctx -j node name) port=$(ctx -j node properties port) missing=$(ctx -j node properties nope)"
ctx instance delete-runtime-property plain
out=$(ctx download-resource data.txt)
cat "$out"
ctx download-resource data.txt "$PWD/copy.txt" >/dev/null
cat copy.txt
`, nil)
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "data.txt"), []byte("resource body\n"), 0o644))
	_, err := newPlugin(t).Run(context.Background(), f.oc)
	require.NoError(t, err, "logs: %v", f.messages())
	all := f.oc.Runtime.All()
	require.NotContains(t, all, "plain")
	require.Equal(t, "007", all["forced"])
	require.Equal(t, map[string]any{"a": []any{1.0, 2.0}}, all["obj"])
	require.Contains(t, f.messages(), `name="web" port=8080 missing=null`)
	require.Equal(t, 2, count(f.messages(), "resource body"))
}

func TestRenderRefusesStatements(t *testing.T) {
	_, err := render("t.conf", "a\n{% if x %}b{% endif %}", map[string]any{})
	require.ErrorContains(t, err, "t.conf:2: template statements")
	out, err := render("t", "x={{ a.b[1] }} y={{ missing.key }} z={ {w}", map[string]any{"a": map[string]any{"b": []any{"p", "q"}}})
	require.NoError(t, err)
	require.Equal(t, "x=q y= z={ {w}", out)
}

func count(list []string, s string) int {
	n := 0
	for _, l := range list {
		if l == s {
			n++
		}
	}
	return n
}
