package script

// Environment variables passed to scripts.
const (
	EnvSocket       = "GANTRY_CTX_SOCKET"
	EnvToken        = "GANTRY_CTX_TOKEN"
	EnvDeploymentID = "GANTRY_DEPLOYMENT_ID"
	EnvExecutionID  = "GANTRY_EXECUTION_ID"
	EnvInstanceID   = "GANTRY_NODE_INSTANCE_ID"
	EnvOperation    = "GANTRY_OPERATION"
	EnvBlueprintDir = "GANTRY_BLUEPRINT_DIR"
)

// request is one ctx invocation, sent as a JSON line.
type request struct {
	Token string   `json:"token"`
	Args  []string `json:"args"`
}

// response answers a request.
type response struct {
	OK     bool   `json:"ok"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

// maxMessage bounds a request or response.
const maxMessage = 16 << 20
