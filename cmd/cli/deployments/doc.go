// Package deployments holds `gantry deployments ...`: create, list, get,
// delete, and the evaluated inputs, outputs and capabilities.
package deployments
