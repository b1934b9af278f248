// Command kube exists only so that `go mod tidy` records the dependencies of all three
// Kubernetes commands the test environment builds from this module (testenv/build.sh
// builds k8s.io/kubernetes/cmd/{kube-apiserver,kube-scheduler,kube-controller-manager}).
package main

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {}
