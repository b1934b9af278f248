package server_test

import "github.com/gantryhq/gantry/store"

func storeLimits(entries int, bytes int64) store.ArchiveLimits {
	return store.ArchiveLimits{MaxEntries: entries, MaxBytes: bytes}
}
