// Package shortcuts holds `gantry install` (upload + create + install,
// then print the outputs) and `gantry uninstall` (uninstall + delete the
// deployment + delete the blueprint when nothing else uses it).
package shortcuts
