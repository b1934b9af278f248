package compose

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// fakeDeployments answers from fixed values and records the workflows run;
// the manager's tests run the plugin against a real store.
type fakeDeployments struct {
	Deployments // unused methods panic
	caps        map[string]any
	inputs      map[string]any
	blueprint   string
	states      map[string]string
	runs        []string
	failRun     error
}

func (f *fakeDeployments) Capabilities(context.Context, string) (map[string]any, error) {
	return f.caps, nil
}
func (f *fakeDeployments) Inputs(context.Context, string) (map[string]any, error) {
	return f.inputs, nil
}
func (f *fakeDeployments) BlueprintOf(context.Context, string) (string, error) {
	return f.blueprint, nil
}
func (f *fakeDeployments) InstanceStates(context.Context, string) (map[string]string, error) {
	return f.states, nil
}
func (f *fakeDeployments) RunWorkflow(_ context.Context, _, _, id, wf string, params map[string]any, _ bool) (string, error) {
	f.runs = append(f.runs, id+":"+wf+":"+params[paramHealInstance].(string))
	return "e1", f.failRun
}
func (f *fakeDeployments) HasBlueprint(context.Context, string) (bool, error) { return true, nil }
func (f *fakeDeployments) UploadBlueprint(context.Context, string, string) error {
	return errors.New("unexpected upload")
}
func (f *fakeDeployments) DeleteBlueprint(context.Context, string) error { return nil }
func (f *fakeDeployments) CreateChild(context.Context, string, string, string, string, map[string]any) error {
	return errors.New("unexpected create")
}
func (f *fakeDeployments) DeleteChild(context.Context, string, string, string) error { return nil }
func (f *fakeDeployments) PutSecret(context.Context, string, string) error           { return nil }

func componentOp(operation string, props map[string]any, rt map[string]any) *plugins.Context {
	r := plugins.NewMapRuntime(nil, rt, nil)
	return &plugins.Context{
		DeploymentID: "parent",
		Operation:    &tosca.Operation{Plugin: Name, Operation: operation},
		Node:         &tosca.Node{ID: "comp", Properties: props},
		Instance:     &tosca.NodeInstance{ID: "comp_1", NodeID: "comp"},
		Runtime:      r,
	}
}

func resourceConfig(inputs map[string]any) map[string]any {
	return map[string]any{propResourceConfig: map[string]any{
		cfgBlueprint:  map[string]any{cfgExternal: true, keyID: "bp"},
		cfgDeployment: map[string]any{keyID: "kid", cfgInputs: inputs},
	}}
}

func TestCheckDrift(t *testing.T) {
	rt := map[string]any{RuntimeDeployment: map[string]any{keyID: "kid"}, RuntimeCapabilities: map[string]any{"url": "a", "same": 1}}
	for _, tc := range []struct {
		name  string
		f     *fakeDeployments
		props map[string]any
		want  any
	}{
		{"none", &fakeDeployments{caps: map[string]any{"url": "a", "same": 1}, inputs: map[string]any{"x": 1, "dflt": 2}, blueprint: "bp"},
			resourceConfig(map[string]any{"x": 1}), nil},
		{"capabilities, inputs and blueprint", &fakeDeployments{caps: map[string]any{"url": "b", "same": 1, "new": true}, inputs: map[string]any{"x": 2}, blueprint: "other"},
			resourceConfig(map[string]any{"x": 1}), map[string]any{
				driftCapabilities: []any{"new", "url"}, driftDeployment: []any{cfgInputs}, driftBlueprint: []any{keyID}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := (&Plugin{Deployments: tc.f}).Run(context.Background(), componentOp(tosca.OpComponentCheckDrift, tc.props, rt))
			require.NoError(t, err)
			if tc.want == nil {
				require.Nil(t, got)
				return
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// heal runs the child's heal workflow for each instance that is not
// started; a failed heal fails the operation with the child's error.
func TestHeal(t *testing.T) {
	f := &fakeDeployments{states: map[string]string{"a_1": "started", "b_1": "error", "c_1": "configured"}, caps: map[string]any{}}
	op := componentOp(tosca.OpComponentHeal, resourceConfig(nil), map[string]any{RuntimeDeployment: map[string]any{keyID: "kid"}})
	_, err := (&Plugin{Deployments: f}).Run(context.Background(), op)
	require.NoError(t, err)
	require.Equal(t, []string{"kid:heal:b_1", "kid:heal:c_1"}, f.runs)

	f.runs, f.failRun = nil, errors.New("disk on fire")
	_, err = (&Plugin{Deployments: f}).Run(context.Background(), op)
	require.True(t, plugins.IsNonRecoverable(err))
	require.ErrorContains(t, err, "heal of b_1 (execution e1) failed: disk on fire")
}

// update refreshes without drift and refuses drift it cannot apply.
func TestUpdate(t *testing.T) {
	f := &fakeDeployments{caps: map[string]any{"url": "b"}, inputs: map[string]any{"x": 1}, blueprint: "bp"}
	op := componentOp(tosca.OpComponentUpdate, resourceConfig(map[string]any{"x": 1}), map[string]any{RuntimeDeployment: map[string]any{keyID: "kid"}})
	_, err := (&Plugin{Deployments: f}).Run(context.Background(), op)
	require.NoError(t, err)
	caps, _ := op.Runtime.Get(RuntimeCapabilities)
	require.Equal(t, map[string]any{"url": "b"}, caps, "capabilities refreshed")

	f.inputs = map[string]any{"x": 2}
	_, err = (&Plugin{Deployments: f}).Run(context.Background(), op)
	require.True(t, plugins.IsNonRecoverable(err))
	require.ErrorContains(t, err, "Gantry does not update a component's deployment in place")
}

// Gantry composes deployments of its own store only.
func TestRemoteClientRefused(t *testing.T) {
	props := resourceConfig(nil)
	props[propClient] = map[string]any{"host": "cfy.example"}
	_, err := (&Plugin{Deployments: &fakeDeployments{}}).Run(context.Background(), componentOp(tosca.OpComponentUpload, props, nil))
	require.True(t, plugins.IsNonRecoverable(err))
	require.ErrorContains(t, err, "client.host is set")
}
