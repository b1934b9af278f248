package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gantryhq/gantry/manager/api"
)

// started registers a run this server started and answers with its record.
func (s *Server) started(w http.ResponseWriter, run api.Run, err error) error {
	if err != nil {
		return err
	}
	s.runs.add(run)
	return writeJSON(w, http.StatusCreated, run.Execution())
}

func (s *Server) uninstall(w http.ResponseWriter, r *http.Request) error {
	if s.stopping.Load() {
		return ErrShuttingDown
	}
	var req api.UninstallRequest
	if err := s.readOptionalJSON(w, r, &req); err != nil {
		return err
	}
	req.DeploymentID, req.Options.OnEvent = r.PathValue("id"), nil
	run, err := s.cfg.Service.Uninstall(detached(r), req)
	return s.started(w, run, err)
}

// updateDeployment previews a deployment update (200) or starts it (201;
// the execution runs in the server like any other).
func (s *Server) updateDeployment(w http.ResponseWriter, r *http.Request) error {
	if s.stopping.Load() {
		return ErrShuttingDown
	}
	var req api.UpdateDeploymentRequest
	relocate := func(err error) error { return err }
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == ContentMultipart {
		// With the blueprint to upload first (api.UpdateDeploymentRequest.Blueprint).
		var body UpdateBody
		u, err := s.receiveParts(w, r, "deployment update", &body, func() (string, string) { return body.MainFile, body.Source })
		if err != nil {
			return err
		}
		defer u.remove()
		req, relocate = body.UpdateDeploymentRequest, u.relocate
		req.Blueprint = u.main
	} else if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	req.DeploymentID, req.Options.OnEvent = r.PathValue("id"), nil
	req.Inputs = numbersIn(req.Inputs)
	u, err := s.cfg.Service.UpdateDeployment(detached(r), req)
	if err != nil {
		return relocate(err)
	}
	if u.Run == nil {
		return writeJSON(w, http.StatusOK, u)
	}
	s.runs.add(u.Run)
	return writeJSON(w, http.StatusCreated, u)
}

func (s *Server) startExecution(w http.ResponseWriter, r *http.Request) error {
	if s.stopping.Load() {
		return ErrShuttingDown
	}
	var req api.StartRequest
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	req.Parameters, req.Options.OnEvent = numbersIn(req.Parameters), nil
	run, err := s.cfg.Service.StartExecution(detached(r), req)
	return s.started(w, run, err)
}

func (s *Server) resumeExecution(w http.ResponseWriter, r *http.Request) error {
	if s.stopping.Load() {
		return ErrShuttingDown
	}
	var opts api.ExecOptions
	if err := s.readOptionalJSON(w, r, &opts); err != nil {
		return err
	}
	opts.OnEvent = nil
	run, err := s.cfg.Service.Resume(detached(r), r.PathValue("id"), opts)
	return s.started(w, run, err)
}

// readOptionalJSON is readJSON that takes an empty body as {}.
func (s *Server) readOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxJSONBytes))
	if err != nil {
		return fmt.Errorf("request body exceeds %d bytes: %w", s.cfg.Limits.MaxJSONBytes, api.ErrTooLarge)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return decodeJSON(bytes.NewReader(b), v)
}

func (s *Server) cancelExecution(w http.ResponseWriter, r *http.Request) error {
	force, err := boolParam(r, ParamForce)
	if err != nil {
		return err
	}
	e, err := s.cfg.Service.Cancel(r.Context(), r.PathValue("id"), force)
	return get(w, e, err)
}

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.ListExecutions(r.Context(), r.URL.Query().Get(ParamDeploymentID))
	return get(w, v, err)
}

// getExecution answers with the record; for one an uninstall deleted
// with its deployment, with its final record (the store's tombstone), so
// that whoever followed it reads how it ended.
func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Service.GetExecution(r.Context(), r.PathValue("id"))
	return get(w, v, err)
}

func (s *Server) progress(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	e := s.runs.get(id)
	if e == nil {
		if _, err := s.cfg.Service.GetExecution(r.Context(), id); err != nil {
			return err
		}
		return fmt.Errorf("execution %s: %w", id, ErrNotRunningHere)
	}
	return writeJSON(w, http.StatusOK, e.run.Progress())
}

// waitExecution is a long poll for the end of an execution: the outcome
// of a run this server started (with what followed the workflow), or else
// the record once it has ended.
func (s *Server) waitExecution(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	timeout, err := durationParam(r, ParamTimeout, s.cfg.Limits.MaxLongPoll)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if e := s.runs.get(id); e != nil {
		select {
		case <-e.done:
			out := &WaitResponse{Done: true, Execution: e.exec}
			if e.err != nil {
				out.Error = asAPIError(e.err)
			}
			return writeJSON(w, http.StatusOK, out)
		case <-ctx.Done():
			return writeJSON(w, http.StatusOK, &WaitResponse{Execution: e.run.Execution()})
		}
	}
	ex, err := s.cfg.Service.GetExecution(r.Context(), id)
	if err != nil {
		return err
	}
	if !ex.Status.Terminal() && timeout > 0 {
		// Waiting for the end, not following its events.
		ended, ferr := s.cfg.Service.WaitExecution(ctx, id)
		switch {
		case ferr == nil:
			ex = ended
		case ctx.Err() != nil && r.Context().Err() == nil:
		case ferr != nil:
			return ferr
		}
	}
	return writeJSON(w, http.StatusOK, &WaitResponse{Done: ex.Status.Terminal(), Execution: ex})
}
