// Package proxy is the DeploymentProxy plugin: a node of one deployment that
// stands for another deployment. create waits until the other deployment's
// latest install finished successfully (failing at once if it failed or was
// cancelled, and with a timeout that really fires otherwise); start copies
// the chosen outputs into runtime properties; stop removes them. The
// dependency between the two deployments is recorded so that the one
// depended on cannot be uninstalled or deleted from under the proxy.
package proxy
