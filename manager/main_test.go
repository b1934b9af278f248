package manager

import (
	"os"
	"testing"

	"github.com/gantryhq/gantry/plugins/script"
)

// TestMain lets the test binary serve as the scripts' `ctx` command.
func TestMain(m *testing.M) {
	script.RunCtxIfInvoked()
	os.Exit(m.Run())
}
