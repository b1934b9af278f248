// Package kubernetes is Gantry's Kubernetes plugin: the
// cloudify.kubernetes.Master, Node and Microservice node types and the
// connected_to_master relationship. It reaches the cluster the way the 2016
// plugin did, by SSH to the master and `kubectl` there, but applies
// manifests idempotently (`kubectl apply` with the manifest on stdin),
// records exactly the objects it created, waits for readiness with a timeout
// that fires, and deletes exactly what it recorded.
//
// The files here are split by job: overrides.go (the safe path-assignment
// syntax for config_files overrides), manifest.go (rendering manifests),
// objects.go (the record of applied objects), readiness.go (when is an
// object ready), kubectl.go (the remote commands).
package kubernetes
