package remote

import (
	"context"
	"fmt"
	"io"

	"github.com/gantryhq/gantry/manager/api"
)

// errStoreAdmin: store maintenance runs where the store is.
func errStoreAdmin(cmd string) error {
	return fmt.Errorf("gantry store %s works on a local store: run it on the server's machine (with --store pointing at its state): %w", cmd, api.ErrInvalid)
}

// CheckStore is refused remotely: see errStoreAdmin.
func (c *Client) CheckStore(context.Context) ([]string, error) {
	return nil, errStoreAdmin("check")
}

// BackupStore is refused remotely: see errStoreAdmin.
func (c *Client) BackupStore(context.Context, io.Writer) (int64, error) {
	return 0, errStoreAdmin("backup")
}

// CompactStore is refused remotely: see errStoreAdmin.
func (c *Client) CompactStore(context.Context) (*api.CompactResult, error) {
	return nil, errStoreAdmin("compact")
}

// RotateSecretKey is refused remotely: the key lives with the server.
func (c *Client) RotateSecretKey(context.Context) (int, error) {
	return 0, fmt.Errorf("gantry secrets rotate-key works where the key is: run it on the server's machine: %w", api.ErrInvalid)
}

// MigrateStore is refused remotely: see errStoreAdmin.
func (c *Client) MigrateStore(context.Context, api.MigrateRequest) (*api.MigrateResult, error) {
	return nil, errStoreAdmin("migrate")
}
