package server

import (
	"net/http"

	"github.com/gantryhq/gantry/manager/auth"
)

// Route is one operation of the API.
type Route struct {
	// Name is the operation's id (openapi.json's operationId) and the
	// action an audit record names.
	Name   string
	Method string
	Path   string
	// Role is the least role that may call it (Public: anyone).
	Role auth.Role
	// Action names a mutation in the audit log ("<noun>.<verb>", as the
	// CLI's commands); reads have none and are not audited.
	Action string
	handle func(s *Server, w http.ResponseWriter, r *http.Request) error
}

// routes is the one table the mux is built from.
var routes = []Route{
	{"health", http.MethodGet, PathHealth, Public, "", (*Server).health},
	{"openapi", http.MethodGet, PathOpenAPI, Public, "", (*Server).openAPI},
	{"version", http.MethodGet, PathVersion, auth.RoleViewer, "", (*Server).version},

	{"listBlueprints", http.MethodGet, PathBlueprints, auth.RoleViewer, "", (*Server).listBlueprints},
	{"uploadBlueprint", http.MethodPut, PathBlueprint, auth.RoleOperator, "blueprints.upload", (*Server).uploadBlueprint},
	{"getBlueprint", http.MethodGet, PathBlueprint, auth.RoleViewer, "", (*Server).getBlueprint},
	{"deleteBlueprint", http.MethodDelete, PathBlueprint, auth.RoleOperator, "blueprints.delete", (*Server).deleteBlueprint},

	{"listDeployments", http.MethodGet, PathDeployments, auth.RoleViewer, "", (*Server).listDeployments},
	{"createDeployment", http.MethodPost, PathDeployments, auth.RoleOperator, "deployments.create", (*Server).createDeployment},
	{"getDeployment", http.MethodGet, PathDeployment, auth.RoleViewer, "", (*Server).getDeployment},
	{"getDeploymentPlan", http.MethodGet, PathDeploymentPlan, auth.RoleViewer, "", (*Server).getDeploymentPlan},
	{"updateDeployment", http.MethodPost, PathDeploymentUpdate, auth.RoleOperator, "deployments.update", (*Server).updateDeployment},
	{"deleteDeployment", http.MethodDelete, PathDeployment, auth.RoleOperator, "deployments.delete", (*Server).deleteDeployment},
	{"getOutputs", http.MethodGet, PathOutputs, auth.RoleViewer, "", (*Server).outputs},
	{"getCapabilities", http.MethodGet, PathCapabilities, auth.RoleViewer, "", (*Server).capabilities},
	{"listNodeInstances", http.MethodGet, PathNodeInstances, auth.RoleViewer, "", (*Server).listNodeInstances},
	{"getNodeInstance", http.MethodGet, PathNodeInstance, auth.RoleViewer, "", (*Server).getNodeInstance},
	{"listDependencies", http.MethodGet, PathDependencies, auth.RoleViewer, "", (*Server).listDependencies},

	{"install", http.MethodPost, PathInstall, auth.RoleOperator, "install", (*Server).install},
	{"uninstall", http.MethodPost, PathUninstall, auth.RoleOperator, "uninstall", (*Server).uninstall},

	{"listExecutions", http.MethodGet, PathExecutions, auth.RoleViewer, "", (*Server).listExecutions},
	{"startExecution", http.MethodPost, PathExecutions, auth.RoleOperator, "executions.start", (*Server).startExecution},
	{"getExecution", http.MethodGet, PathExecution, auth.RoleViewer, "", (*Server).getExecution},
	{"cancelExecution", http.MethodPost, PathExecutionCancel, auth.RoleOperator, "executions.cancel", (*Server).cancelExecution},
	{"resumeExecution", http.MethodPost, PathExecutionResume, auth.RoleOperator, "executions.resume", (*Server).resumeExecution},
	{"getProgress", http.MethodGet, PathExecutionProg, auth.RoleViewer, "", (*Server).progress},
	{"waitExecution", http.MethodGet, PathExecutionWait, auth.RoleViewer, "", (*Server).waitExecution},
	{"listEvents", http.MethodGet, PathEvents, auth.RoleViewer, "", (*Server).listEvents},
	{"streamEvents", http.MethodGet, PathEventStream, auth.RoleViewer, "", (*Server).streamEvents},

	{"listSecrets", http.MethodGet, PathSecrets, auth.RoleViewer, "", (*Server).listSecrets},
	{"putSecret", http.MethodPost, PathSecrets, auth.RoleOperator, "secrets.create", (*Server).putSecret},
	{"getSecret", http.MethodGet, PathSecret, auth.RoleAdmin, "", (*Server).getSecret},
	{"deleteSecret", http.MethodDelete, PathSecret, auth.RoleOperator, "secrets.delete", (*Server).deleteSecret},

	{"listTokens", http.MethodGet, PathTokens, auth.RoleAdmin, "", (*Server).listTokens},
	{"createToken", http.MethodPost, PathTokens, auth.RoleAdmin, "tokens.create", (*Server).createToken},
	{"revokeToken", http.MethodPost, PathTokenRevoke, auth.RoleAdmin, "tokens.revoke", (*Server).revokeToken},
	{"listAudit", http.MethodGet, PathAudit, auth.RoleAdmin, "", (*Server).listAudit},
}

// Routes returns a copy of the route table.
func Routes() []Route { return append([]Route(nil), routes...) }
