// Package events holds `gantry events list`: an execution's events, paged
// or followed live from another shell.
package events
