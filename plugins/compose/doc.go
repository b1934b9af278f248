// Package compose is Gantry's cfy_extensions plugin: Cloudify 7's
// composition types, run against deployments of the same store.
//
// A cloudify.nodes.Component (and ServiceComponent) owns a child
// deployment: create (upload_blueprint) finds the child's blueprint in the
// store, or stores it from a folder of the parent blueprint's files;
// configure (create) records the parent's dependency on the child and
// creates the child deployment with resource_config.deployment.inputs;
// start (execute_start) runs the child's install in this process and waits
// for it, failing with the child's error when it fails, then copies the
// child's capabilities into the runtime property `capabilities` (and its id
// into `deployment.id`), as Cloudify does; stop runs the child's uninstall;
// delete deletes the child deployment, forgets the dependency and deletes
// the blueprint it stored.
//
// A cloudify.nodes.SharedResource stands for a deployment that exists: create
// (connect_deployment) fails at once when it does not exist, waits until its
// install finished, records the dependency and copies its capabilities;
// delete (disconnect_deployment) forgets the dependency and never touches the
// shared deployment. The *_shared_resource relationships run a workflow of
// the shared deployment on establish and unlink (execute_workflow).
//
// Recorded dependencies refuse uninstalling or deleting a deployment that
// others use, as for DeploymentProxy (plugins/proxy). The plugin reaches
// other deployments only through the Deployments interface, which the
// manager implements over its store; a child's executions run in the
// process that runs the parent's operation (never queued for a worker that
// may be busy with the parent).
package compose
