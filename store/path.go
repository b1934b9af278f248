package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// EnvStore names the environment variable that overrides DefaultPath.
const EnvStore = "GANTRY_STORE"

// DefaultPath returns the store file to use when the user names none:
// $GANTRY_STORE if set, else ~/.gantry/gantry.db. (The CLI's --store flag
// takes precedence over both.)
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvStore); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("default store location: %w (set %s or pass --store)", err, EnvStore)
	}
	return filepath.Join(home, ".gantry", "gantry.db"), nil
}
