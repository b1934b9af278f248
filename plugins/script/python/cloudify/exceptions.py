"""The exceptions Cloudify scripts raise; Gantry maps them onto the
operation's outcome (see cloudify/__init__.py)."""


class NonRecoverableError(Exception):
    """The operation failed and retrying will not help."""

    def __init__(self, *args, **kwargs):
        self.causes = kwargs.pop("causes", None) or []
        super().__init__(*args)


class RecoverableError(Exception):
    """The operation failed and may succeed if retried (after retry_after
    seconds, if given)."""

    def __init__(self, message="", retry_after=None, causes=None, **kwargs):
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must not be negative")
        self.retry_after = retry_after
        self.causes = causes or []
        super().__init__(message)


class OperationRetry(RecoverableError):
    """Raised (or returned by ctx.operation.retry) to retry the operation."""


class HttpException(NonRecoverableError):
    def __init__(self, url="", code=None, message=""):
        self.url, self.code, self.message = url, code, message
        super().__init__("%s (%s): %s" % (url, code, message))


class CommandExecutionException(Exception):
    def __init__(self, command="", error="", output="", code=None):
        self.command, self.error, self.output, self.code = command, error, output, code
        super().__init__("command %r failed with code %s: %s" % (command, code, error))


class TimeoutException(Exception):
    pass


class ProcessExecutionError(RuntimeError):
    def __init__(self, message, error_type=None, traceback=None, causes=None, **kwargs):
        self.error_type, self.traceback, self.causes = error_type, traceback, causes or []
        super().__init__(message)
