// Package nodeinstances holds `gantry node-instances list|get`: instance
// states and runtime properties.
package nodeinstances
