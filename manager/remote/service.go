package remote

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/server"
	"github.com/gantryhq/gantry/tosca"
)

// Info describes the server and the caller's role on it.
func (c *Client) Info(ctx context.Context) (*api.Info, error) {
	var info api.Info
	if err := c.call(ctx, request{method: http.MethodGet, path: server.PathVersion}, &info); err != nil {
		return nil, err
	}
	info.Mode, info.Store, info.Profile = api.ModeRemote, c.base.String(), c.cfg.Profile
	return &info, nil
}

func (c *Client) GetBlueprint(ctx context.Context, id string) (*api.Blueprint, error) {
	return one[api.Blueprint](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathBlueprint, id)})
}

func (c *Client) ListBlueprints(ctx context.Context) ([]*api.Blueprint, error) {
	return many[[]*api.Blueprint](ctx, c, request{method: http.MethodGet, path: server.PathBlueprints})
}

func (c *Client) DeleteBlueprint(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: server.PathOf(server.PathBlueprint, id)}, nil)
}

func (c *Client) CreateDeployment(ctx context.Context, req api.CreateDeploymentRequest) (*api.Deployment, error) {
	return one[api.Deployment](ctx, c, request{method: http.MethodPost, path: server.PathDeployments, json: req})
}

func (c *Client) GetDeployment(ctx context.Context, id string) (*api.Deployment, error) {
	return one[api.Deployment](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathDeployment, id)})
}

func (c *Client) DeploymentPlan(ctx context.Context, id string) (*tosca.Plan, error) {
	return one[tosca.Plan](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathDeploymentPlan, id)})
}

func (c *Client) ListDeployments(ctx context.Context, blueprintID string) ([]*api.Deployment, error) {
	return many[[]*api.Deployment](ctx, c, request{method: http.MethodGet, path: server.PathDeployments, query: query(server.ParamBlueprintID, blueprintID)})
}

func (c *Client) DeleteDeployment(ctx context.Context, id string, force bool) error {
	return c.call(ctx, request{method: http.MethodDelete, path: server.PathOf(server.PathDeployment, id), query: query(server.ParamForce, boolString(force))}, nil)
}

func (c *Client) Outputs(ctx context.Context, deploymentID string) (map[string]any, error) {
	return many[map[string]any](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathOutputs, deploymentID)})
}

func (c *Client) Capabilities(ctx context.Context, deploymentID string) (map[string]any, error) {
	return many[map[string]any](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathCapabilities, deploymentID)})
}

func (c *Client) ListDependencies(ctx context.Context, f api.DependencyFilter) ([]*api.Dependency, error) {
	q := query(server.ParamSourceDep, f.SourceDeploymentID, server.ParamTargetDep, f.TargetDeploymentID)
	return many[[]*api.Dependency](ctx, c, request{method: http.MethodGet, path: server.PathDependencies, query: q})
}

func (c *Client) GetNodeInstance(ctx context.Context, deploymentID, id string) (*api.NodeInstance, error) {
	return one[api.NodeInstance](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathNodeInstance, deploymentID, id)})
}

func (c *Client) ListNodeInstances(ctx context.Context, deploymentID, nodeID string) ([]*api.NodeInstance, error) {
	return many[[]*api.NodeInstance](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathNodeInstances, deploymentID), query: query(server.ParamNodeID, nodeID)})
}

func (c *Client) GetExecution(ctx context.Context, id string) (*api.Execution, error) {
	return one[api.Execution](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathExecution, id)})
}

func (c *Client) ListExecutions(ctx context.Context, deploymentID string) ([]*api.Execution, error) {
	return many[[]*api.Execution](ctx, c, request{method: http.MethodGet, path: server.PathExecutions, query: query(server.ParamDeploymentID, deploymentID)})
}

func (c *Client) Cancel(ctx context.Context, executionID string, force bool) (*api.Execution, error) {
	return one[api.Execution](ctx, c, request{method: http.MethodPost, path: server.PathOf(server.PathExecutionCancel, executionID), query: query(server.ParamForce, boolString(force))})
}

// Events pages through the server's events (a page is at most the
// server's cap) until limit events or the last one.
func (c *Client) Events(ctx context.Context, executionID string, afterSeq uint64, limit int) ([]*api.Event, error) {
	var all []*api.Event
	for {
		want := 0
		if limit > 0 {
			want = limit - len(all)
		}
		var page []*api.Event
		q := query(server.ParamAfter, strconv.FormatUint(afterSeq, 10), server.ParamLimit, positive(want))
		if err := c.call(ctx, request{method: http.MethodGet, path: server.PathOf(server.PathEvents, executionID), query: q}, &page); err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) == 0 || (limit > 0 && len(all) >= limit) {
			return all, nil
		}
		afterSeq = page[len(page)-1].Seq
	}
}

// EventsJSON appends Events encoded as the server answers a page of them.
func (c *Client) EventsJSON(ctx context.Context, executionID string, afterSeq uint64, limit int, dst []byte) ([]byte, int, error) {
	evs, err := c.Events(ctx, executionID, afterSeq, limit)
	if err != nil {
		return dst, 0, err
	}
	if evs == nil {
		evs = []*api.Event{}
	}
	b, err := json.Marshal(evs)
	return append(dst, b...), len(evs), err
}

func positive(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func (c *Client) PutSecret(ctx context.Context, s *api.Secret, overwrite bool) error {
	return c.call(ctx, request{method: http.MethodPost, path: server.PathSecrets, query: query(server.ParamOverwrite, boolString(overwrite)), json: s}, nil)
}

func (c *Client) GetSecret(ctx context.Context, key string) (*api.Secret, error) {
	return one[api.Secret](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathSecret, key)})
}

func (c *Client) ListSecrets(ctx context.Context) ([]*api.Secret, error) {
	return many[[]*api.Secret](ctx, c, request{method: http.MethodGet, path: server.PathSecrets})
}

func (c *Client) DeleteSecret(ctx context.Context, key string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: server.PathOf(server.PathSecret, key)}, nil)
}

// one calls and decodes a record.
func one[T any](ctx context.Context, c *Client, r request) (*T, error) {
	var out T
	if err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// many calls and decodes a list or a map.
func many[T any](ctx context.Context, c *Client, r request) (T, error) {
	var out T
	if err := c.call(ctx, r, &out); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
