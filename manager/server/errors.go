package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gantryhq/gantry/manager/api"
)

// Errors of the server's own (the api sentinels cover the rest).
var (
	// ErrShuttingDown: the server stops and takes no new executions.
	ErrShuttingDown = errors.New("the server is shutting down")
	// ErrNotRunningHere: an execution this server does not run (progress).
	ErrNotRunningHere = errors.New("the execution is not running on this server")
	// errNoSessions: a server built without console sessions (Config.Sessions).
	errNoSessions = fmt.Errorf("this server keeps no console sessions: use a bearer token: %w", api.ErrNotFound)
)

// statusOf is the one table of HTTP statuses: one per api.Code.
var statusOf = map[api.Code]int{
	api.CodeNotFound:         http.StatusNotFound,
	api.CodeExists:           http.StatusConflict,
	api.CodeConflict:         http.StatusConflict,
	api.CodeInUse:            http.StatusConflict,
	api.CodeLocked:           http.StatusServiceUnavailable,
	api.CodeInvalid:          http.StatusBadRequest,
	api.CodeTooLarge:         http.StatusRequestEntityTooLarge,
	api.CodeDamaged:          http.StatusInternalServerError,
	api.CodeSecretKey:        http.StatusInternalServerError,
	api.CodeInvalidBlueprint: http.StatusUnprocessableEntity,
	api.CodeActiveExecution:  http.StatusConflict,
	api.CodeDependents:       http.StatusConflict,
	api.CodeNotResumable:     http.StatusConflict,
	api.CodeBadParameter:     http.StatusBadRequest,
	api.CodeUnauthenticated:  http.StatusUnauthorized,
	api.CodeForbidden:        http.StatusForbidden,
	api.CodeUnavailable:      http.StatusServiceUnavailable,
	api.CodeInternal:         http.StatusInternalServerError,
}

// StatusOf returns the HTTP status the API sends for code.
func StatusOf(code api.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// CodeOfStatus is the reverse, for a response that carries no api.Error
// (a proxy's page): the most general code of that status.
func CodeOfStatus(status int) api.Code {
	switch status {
	case http.StatusNotFound:
		return api.CodeNotFound
	case http.StatusConflict:
		return api.CodeConflict
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType:
		return api.CodeInvalid
	case http.StatusRequestEntityTooLarge:
		return api.CodeTooLarge
	case http.StatusUnprocessableEntity:
		return api.CodeInvalidBlueprint
	case http.StatusUnauthorized:
		return api.CodeUnauthenticated
	case http.StatusForbidden:
		return api.CodeForbidden
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return api.CodeUnavailable
	}
	return api.CodeInternal
}

// codeOf extends api.CodeOf with the server's own errors and the
// standard library's request-body errors.
func codeOf(err error) api.Code {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return api.CodeTooLarge
	case errors.Is(err, ErrShuttingDown):
		return api.CodeUnavailable
	case errors.Is(err, ErrNotRunningHere):
		return api.CodeNotFound
	}
	return api.CodeOf(err)
}
