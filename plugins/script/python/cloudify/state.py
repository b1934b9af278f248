"""cloudify.state: the current operation's context and its inputs."""

from cloudify._proxy import ctx  # noqa: F401
from cloudify._proxy import call as _call

# ctx_parameters are the operation's inputs, evaluated.
ctx_parameters = _call("inputs") or {}
current_ctx = ctx
