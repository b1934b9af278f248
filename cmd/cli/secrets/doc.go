// Package secrets holds `gantry secrets create|get|list|delete`. Values are
// read from a flag, a file or standard input and never echoed by list.
package secrets
