package server

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the API's OpenAPI 3 document (openapi.json, kept in step with
// the route table by a test).
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", ContentJSON)
	_, err := w.Write(OpenAPI)
	return err
}
