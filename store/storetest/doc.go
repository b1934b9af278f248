// Package storetest is the contract every store.Store backend must pass:
// call Run from the backend's tests with a function that returns a fresh,
// empty store.
package storetest
