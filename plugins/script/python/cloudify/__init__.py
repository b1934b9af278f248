"""Gantry's stand-in for the parts of Cloudify's `cloudify` package that
scripts use: `from cloudify import ctx`, cloudify.state, cloudify.exceptions.
An uncaught NonRecoverableError aborts the operation; an uncaught
RecoverableError or OperationRetry asks for a retry (after retry_after)."""

import sys

from cloudify._proxy import ctx  # noqa: F401
from cloudify import exceptions as _exceptions
from cloudify._proxy import call as _call, CtxError as _CtxError

_previous_hook = sys.excepthook


def _excepthook(kind, value, tb):
    try:
        if isinstance(value, _exceptions.NonRecoverableError):
            _call("abort-operation", str(value) or kind.__name__)
        elif isinstance(value, _exceptions.RecoverableError):
            args = ["retry-operation", str(value) or kind.__name__]
            if getattr(value, "retry_after", None) is not None:
                args.append(str(value.retry_after))
            _call(*args)
    except _CtxError as e:
        sys.stderr.write("ctx: %s\n" % e)
    _previous_hook(kind, value, tb)


sys.excepthook = _excepthook
