// Package store holds `gantry store check|backup|compact|migrate`:
// maintenance of the state store through the Service (CheckStore,
// BackupStore, CompactStore, MigrateStore over the Service of --from); it
// never opens a store itself. check opens even a
// damaged store, to describe the damage; backup writes a consistent copy
// taken online, 0600, atomically (a temporary file renamed into place).
package store
