package remote

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/server"
)

func (c *Client) CreateToken(ctx context.Context, req api.CreateTokenRequest) (*api.CreatedToken, error) {
	return one[api.CreatedToken](ctx, c, request{method: http.MethodPost, path: server.PathTokens, json: req})
}

func (c *Client) ListTokens(ctx context.Context) ([]*api.Token, error) {
	return many[[]*api.Token](ctx, c, request{method: http.MethodGet, path: server.PathTokens})
}

func (c *Client) RevokeToken(ctx context.Context, id string) (*api.Token, error) {
	return one[api.Token](ctx, c, request{method: http.MethodPost, path: server.PathOf(server.PathTokenRevoke, id)})
}

// ListAudit pages through the audit log like Events.
func (c *Client) ListAudit(ctx context.Context, afterSeq uint64, limit int) ([]*api.AuditRecord, error) {
	var all []*api.AuditRecord
	for {
		q := query(server.ParamAfter, strconv.FormatUint(afterSeq, 10), server.ParamLimit, positive(limit-len(all)))
		page, err := many[[]*api.AuditRecord](ctx, c, request{method: http.MethodGet, path: server.PathAudit, query: q})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) == 0 || (limit > 0 && len(all) >= limit) {
			return all, nil
		}
		afterSeq = page[len(page)-1].Seq
	}
}
