package storetest

import (
	"testing"

	"github.com/gantryhq/gantry/store"
)

// Run runs the contract suite; newStore is called once per test.
func Run(t *testing.T, newStore NewFunc) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Blueprints", testBlueprints},
		{"BlueprintImports", testBlueprintImports},
		{"BlueprintImportRace", testBlueprintImportRace},
		{"BlueprintHeldByUpdate", testBlueprintHeldByUpdate},
		{"BlueprintFiles", testBlueprintFiles},
		{"BlueprintArchiveRefused", testBlueprintArchiveRefused},
		{"InvalidIDs", testInvalidIDs},
		{"Deployments", testDeployments},
		{"UpdateDeployment", testUpdateDeployment},
		{"DeleteDeploymentCascades", testDeleteDeploymentCascades},
		{"DeleteDeploymentInUse", testDeleteDeploymentInUse},
		{"DeletedExecutions", testDeletedExecutions},
		{"Dependencies", testDependencies},
		{"NodeInstances", testNodeInstances},
		{"NodeInstanceVersions", testNodeInstanceVersions},
		{"NodeInstanceConcurrentUpdates", testNodeInstanceConcurrentUpdates},
		{"ScaleInstances", testScaleInstances},
		{"Executions", testExecutions},
		{"Cancel", testCancel},
		{"Claims", testClaims},
		{"Tasks", testTasks},
		{"Events", testEvents},
		{"EventsJSON", testEventsJSON},
		{"EventsConcurrentAppends", testEventsConcurrentAppends},
		{"EventsFollow", testEventsFollow},
		{"Secrets", testSecrets},
		{"Tokens", testTokens},
		{"TokensRefused", testTokensRefused},
		{"Sessions", testSessions},
		{"Audit", testAudit},
		{"Batch", testBatch},
		{"CopiesNotShared", testCopiesNotShared},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}
