// Package executions holds `gantry executions ...`: start a workflow, list
// and show executions, cancel and resume them.
package executions
