package server

import "errors"

// ErrPlainHTTP: plain HTTP asked for on an address that is not loopback.
var ErrPlainHTTP = errors.New("plain HTTP is served on loopback addresses only: give --tls-cert and --tls-key")

// ErrTLSPair: one of --tls-cert and --tls-key without the other.
var ErrTLSPair = errors.New("--tls-cert and --tls-key go together")
