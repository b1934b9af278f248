package cmdutil

import (
	"fmt"

	"github.com/gantryhq/gantry/tosca"
)

// ParseKV reads -i / -p style arguments: YAML or JSON files, KEY=VALUE
// pairs and inline YAML/JSON maps, later ones winning.
func ParseKV(flag string, args []string) (map[string]any, error) {
	m, err := tosca.ParseInputs(args)
	if err != nil {
		return nil, Exit(ExitUsage, fmt.Errorf("%s: %w", flag, err))
	}
	return m, nil
}
