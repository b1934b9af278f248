package manager

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gantryhq/gantry/tosca"
)

// The plugins the manager registers are the plugins validation offers
// (tosca.GantryRuntime): one list.
func TestRegistryIsTheRuntimesPlugins(t *testing.T) {
	m := newManager(t)
	var want []string
	for name := range tosca.GantryRuntime().Plugins {
		want = append(want, name)
	}
	sort.Strings(want)
	assert.Equal(t, want, m.Registry().Names())
	assert.Equal(t, tosca.GantryRuntime().Plugins, m.parseOptions().Runtime.Plugins)
}
