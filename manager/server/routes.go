package server

import "net/http"

// Route is one operation of the API.
type Route struct {
	// Name is the operation's id (openapi.json's operationId) and the
	// action an audit record names.
	Name   string
	Method string
	Path   string
	// Role is the least role that may call it (RolePublic: anyone).
	Role   Role
	handle func(s *Server, w http.ResponseWriter, r *http.Request) error
}

// routes is the one table the mux is built from.
var routes = []Route{
	{"health", http.MethodGet, PathHealth, RolePublic, (*Server).health},
	{"openapi", http.MethodGet, PathOpenAPI, RolePublic, (*Server).openAPI},
	{"version", http.MethodGet, PathVersion, RoleViewer, (*Server).version},

	{"listBlueprints", http.MethodGet, PathBlueprints, RoleViewer, (*Server).listBlueprints},
	{"uploadBlueprint", http.MethodPut, PathBlueprint, RoleOperator, (*Server).uploadBlueprint},
	{"getBlueprint", http.MethodGet, PathBlueprint, RoleViewer, (*Server).getBlueprint},
	{"deleteBlueprint", http.MethodDelete, PathBlueprint, RoleOperator, (*Server).deleteBlueprint},

	{"listDeployments", http.MethodGet, PathDeployments, RoleViewer, (*Server).listDeployments},
	{"createDeployment", http.MethodPost, PathDeployments, RoleOperator, (*Server).createDeployment},
	{"getDeployment", http.MethodGet, PathDeployment, RoleViewer, (*Server).getDeployment},
	{"deleteDeployment", http.MethodDelete, PathDeployment, RoleOperator, (*Server).deleteDeployment},
	{"getOutputs", http.MethodGet, PathOutputs, RoleViewer, (*Server).outputs},
	{"getCapabilities", http.MethodGet, PathCapabilities, RoleViewer, (*Server).capabilities},
	{"listNodeInstances", http.MethodGet, PathNodeInstances, RoleViewer, (*Server).listNodeInstances},
	{"getNodeInstance", http.MethodGet, PathNodeInstance, RoleViewer, (*Server).getNodeInstance},
	{"listDependencies", http.MethodGet, PathDependencies, RoleViewer, (*Server).listDependencies},

	{"install", http.MethodPost, PathInstall, RoleOperator, (*Server).install},
	{"uninstall", http.MethodPost, PathUninstall, RoleOperator, (*Server).uninstall},

	{"listExecutions", http.MethodGet, PathExecutions, RoleViewer, (*Server).listExecutions},
	{"startExecution", http.MethodPost, PathExecutions, RoleOperator, (*Server).startExecution},
	{"getExecution", http.MethodGet, PathExecution, RoleViewer, (*Server).getExecution},
	{"cancelExecution", http.MethodPost, PathExecutionCancel, RoleOperator, (*Server).cancelExecution},
	{"resumeExecution", http.MethodPost, PathExecutionResume, RoleOperator, (*Server).resumeExecution},
	{"getProgress", http.MethodGet, PathExecutionProg, RoleViewer, (*Server).progress},
	{"waitExecution", http.MethodGet, PathExecutionWait, RoleViewer, (*Server).waitExecution},
	{"listEvents", http.MethodGet, PathEvents, RoleViewer, (*Server).listEvents},
	{"streamEvents", http.MethodGet, PathEventStream, RoleViewer, (*Server).streamEvents},

	{"listSecrets", http.MethodGet, PathSecrets, RoleViewer, (*Server).listSecrets},
	{"putSecret", http.MethodPost, PathSecrets, RoleOperator, (*Server).putSecret},
	{"getSecret", http.MethodGet, PathSecret, RoleAdmin, (*Server).getSecret},
	{"deleteSecret", http.MethodDelete, PathSecret, RoleOperator, (*Server).deleteSecret},
}

// Routes returns a copy of the route table.
func Routes() []Route { return append([]Route(nil), routes...) }
