"""cloudify.decorators.operation: calls the function with ctx and the
operation's inputs, as a Cloudify plugin operation would be called."""

import functools

from cloudify._proxy import ctx as _ctx


def operation(func=None, **decorator_kwargs):
    if func is None:
        return lambda f: operation(f, **decorator_kwargs)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        kwargs.setdefault("ctx", _ctx)
        return func(*args, **kwargs)

    return wrapper


workflow = operation
