package api

import "time"

// MigrateRequest asks Service.MigrateStore to copy the store into To.
type MigrateRequest struct {
	// To is the destination: a bbolt file (path or bolt://PATH) or an
	// etcd URL, as --store takes.
	To string `json:"to"`
	// IntoNonEmpty copies into a destination that holds records already;
	// none may have the id of a copied one.
	IntoNonEmpty bool `json:"into_non_empty,omitempty"`
}

// StoreCounts counts a store's records by kind.
type StoreCounts struct {
	Blueprints    int `json:"blueprints"`
	Deployments   int `json:"deployments"`
	NodeInstances int `json:"node_instances"`
	Dependencies  int `json:"dependencies"`
	Executions    int `json:"executions"`
	Tasks         int `json:"tasks"`
	Events        int `json:"events"`
	Secrets       int `json:"secrets"`
	Tokens        int `json:"tokens"`
	// Sessions are the web console's sign-ins (hashes of their ids).
	Sessions     int `json:"sessions"`
	AuditRecords int `json:"audit_records"`
}

// Add returns the sum of c and o.
func (c StoreCounts) Add(o StoreCounts) StoreCounts {
	return StoreCounts{
		Blueprints: c.Blueprints + o.Blueprints, Deployments: c.Deployments + o.Deployments,
		NodeInstances: c.NodeInstances + o.NodeInstances, Dependencies: c.Dependencies + o.Dependencies,
		Executions: c.Executions + o.Executions, Tasks: c.Tasks + o.Tasks, Events: c.Events + o.Events,
		Secrets: c.Secrets + o.Secrets, Tokens: c.Tokens + o.Tokens, Sessions: c.Sessions + o.Sessions,
		AuditRecords: c.AuditRecords + o.AuditRecords,
	}
}

// Empty reports whether there is no record at all.
func (c StoreCounts) Empty() bool { return c == StoreCounts{} }

// MigrateResult tells what MigrateStore copied: Copied, read from the
// source, equals what the destination gained (its count after less its
// count before, verified).
type MigrateResult struct {
	From   string        `json:"from"`
	To     string        `json:"to"`
	Copied StoreCounts   `json:"copied"`
	Took   time.Duration `json:"took_ns"`
}
