// Package blueprints holds `gantry blueprints ...`: validate, plan and graph
// work on a blueprint file; upload, list, get and delete on the store.
package blueprints
