// Package compose is Gantry's cfy_extensions plugin: Cloudify 7's
// composition types (and its Blueprint and PasswordSecret), run against
// deployments, blueprints and secrets of the same store.
//
// A cloudify.nodes.Component (and ServiceComponent) owns a child
// deployment: create (upload_blueprint) finds the child's blueprint in the
// store, or stores it from blueprint_archive (storeBlueprint: a folder,
// YAML file or zip / tar.gz archive of the parent blueprint's files, or an
// http(s) URL of an archive, downloaded with internal/fetch within
// maxArchiveBytes and downloadTimeout);
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
// A cloudify.nodes.Blueprint stores blueprint_archive as a Component does
// (refusing an id already in the store unless external_resource) and its
// delete deletes it, failing non-recoverably, naming them, while
// deployments use it. A cloudify.nodes.PasswordSecret generates a password
// with crypto/rand into a secret of the store (refusing an existing one
// unless use_secret_if_exists) and its delete deletes the secret it made.
// The password goes to the store only: runtime properties hold
// {get_secret: NAME}, log lines the name, errors neither.
//
// Recorded dependencies refuse uninstalling or deleting a deployment that
// others use, as for DeploymentProxy (plugins/proxy). The plugin reaches
// other deployments only through the Deployments interface, which the
// manager implements over its store; a child's executions run in the
// process that runs the parent's operation (never queued for a worker that
// may be busy with the parent).
package compose
