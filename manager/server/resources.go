package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
)

// Handlers of blueprints, deployments, node instances, dependencies,
// secrets, health and version.

func (s *Server) health(w http.ResponseWriter, _ *http.Request) error {
	if s.stopping.Load() {
		return writeJSON(w, http.StatusServiceUnavailable, Health{Status: HealthStopping})
	}
	return writeJSON(w, http.StatusOK, Health{Status: HealthOK})
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) error {
	info, err := s.cfg.Service.Info(r.Context())
	if err != nil {
		return err
	}
	out := *info
	// The store's URL without its query: the files of its TLS keys and
	// its tuning are the server's business, not every viewer's.
	out.Store, _, _ = strings.Cut(out.Store, "?")
	if s.cfg.Version != "" {
		out.Version = s.cfg.Version
	}
	p, _ := auth.FromContext(r.Context())
	out.Role = string(p.Role)
	return writeJSON(w, http.StatusOK, &out)
}

// get answers a read with its result.
func get[T any](w http.ResponseWriter, v T, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// done answers a deletion.
func done(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listBlueprints(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.ListBlueprints(r.Context())
	return get(w, v, err)
}

func (s *Server) getBlueprint(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.GetBlueprint(r.Context(), r.PathValue("id"))
	return get(w, v, err)
}

func (s *Server) deleteBlueprint(w http.ResponseWriter, r *http.Request) error {
	return done(w, s.cfg.Service.DeleteBlueprint(r.Context(), r.PathValue("id")))
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.ListDeployments(r.Context(), r.URL.Query().Get(ParamBlueprintID))
	return get(w, v, err)
}

func (s *Server) createDeployment(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateDeploymentRequest
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	req.Inputs = numbersIn(req.Inputs)
	d, err := s.cfg.Service.CreateDeployment(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.GetDeployment(r.Context(), r.PathValue("id"))
	return get(w, v, err)
}

func (s *Server) getDeploymentPlan(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.DeploymentPlan(r.Context(), r.PathValue("id"))
	return get(w, v, err)
}

func (s *Server) deleteDeployment(w http.ResponseWriter, r *http.Request) error {
	force, err := boolParam(r, ParamForce)
	if err != nil {
		return err
	}
	return done(w, s.cfg.Service.DeleteDeployment(r.Context(), r.PathValue("id"), force))
}

func (s *Server) outputs(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.Outputs(r.Context(), r.PathValue("id"))
	return get(w, v, err)
}

func (s *Server) capabilities(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.Capabilities(r.Context(), r.PathValue("id"))
	return get(w, v, err)
}

func (s *Server) listNodeInstances(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.ListNodeInstances(r.Context(), r.PathValue("id"), r.URL.Query().Get(ParamNodeID))
	return get(w, v, err)
}

func (s *Server) getNodeInstance(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.GetNodeInstance(r.Context(), r.PathValue("id"), r.PathValue("instance"))
	return get(w, v, err)
}

func (s *Server) listDependencies(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v, err := s.cfg.Service.ListDependencies(r.Context(), api.DependencyFilter{
		SourceDeploymentID: q.Get(ParamSourceDep), TargetDeploymentID: q.Get(ParamTargetDep),
	})
	return get(w, v, err)
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.ListSecrets(r.Context())
	for _, sec := range v {
		sec.Value = "" // never listed, whoever asks
	}
	return get(w, v, err)
}

func (s *Server) putSecret(w http.ResponseWriter, r *http.Request) error {
	overwrite, err := boolParam(r, ParamOverwrite)
	if err != nil {
		return err
	}
	var sec api.Secret
	if err := s.readJSON(w, r, &sec); err != nil {
		return err
	}
	if sec.Key == "" {
		return fmt.Errorf("secret: key is required: %w", api.ErrInvalid)
	}
	if err := s.cfg.Service.PutSecret(r.Context(), &sec, overwrite); err != nil {
		return err
	}
	sec.Value = ""
	return writeJSON(w, http.StatusCreated, &sec)
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.GetSecret(r.Context(), r.PathValue("key"))
	return get(w, v, err)
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request) error {
	return done(w, s.cfg.Service.DeleteSecret(r.Context(), r.PathValue("key")))
}

// detached is the context executions start with: they outlive the request
// that started them.
func detached(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.ListTokens(r.Context())
	return get(w, v, err)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateTokenRequest
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	t, err := s.cfg.Service.CreateToken(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.RevokeToken(r.Context(), r.PathValue("id"))
	return get(w, v, err)
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	v, err := s.cfg.Service.ListAudit(r.Context(), after, limit)
	return get(w, v, err)
}
