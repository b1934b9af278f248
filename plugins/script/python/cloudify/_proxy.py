"""Gantry's ctx proxy for Cloudify scripts: every attribute is read from, and
every change written to, the running operation through the `ctx` command on
PATH (local or over SSH alike). Values travel as JSON (`ctx -j`, `@JSON`)."""

import atexit
import json
import os
import subprocess
import sys

CTX_COMMAND = os.environ.get("GANTRY_CTX_COMMAND", "ctx")


class CtxError(Exception):
    """A ctx command failed (its message says why)."""


def _arg(value):
    if isinstance(value, str):
        return "@" + json.dumps(value)
    return "@" + json.dumps(value, default=str)


def call(*args):
    """Run `ctx -j ARGS...` and return its JSON answer (None for nothing)."""
    out = _run(["-j"] + list(args))
    return json.loads(out) if out else None


def call_text(*args):
    """Run `ctx ARGS...` and return what it prints (a downloaded file's path)."""
    return _run(list(args))


def _run(args):
    proc = subprocess.run([CTX_COMMAND] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip()
        if msg.startswith("ctx: "):
            msg = msg[len("ctx: "):]
        raise CtxError(msg or "ctx %s failed" % " ".join(args))
    return proc.stdout.decode("utf-8").strip()


class RuntimeProperties(dict):
    """An instance's runtime properties. Setting or deleting a key writes it
    at once; changes inside nested values are written by update() and when
    the script ends."""

    def __init__(self, prefix):
        self._prefix = list(prefix)
        super().__init__(call(*(self._prefix + ["runtime-properties"])) or {})
        self._written = {k: json.dumps(v, sort_keys=True, default=str) for k, v in self.items()}
        _dirty.append(self)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._write(key)

    def __delitem__(self, key):
        super().__delitem__(key)
        call(*(self._prefix + ["delete-runtime-property", key]))
        self._written.pop(key, None)

    def pop(self, key, *default):
        had = key in self
        value = super().pop(key, *default)
        if had:
            call(*(self._prefix + ["delete-runtime-property", key]))
            self._written.pop(key, None)
        return value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def _write(self, key):
        value = dict.__getitem__(self, key)
        call(*(self._prefix + ["runtime-properties", key, _arg(value)]))
        self._written[key] = json.dumps(value, sort_keys=True, default=str)

    def flush(self):
        for key in list(self.keys()):
            if self._written.get(key) != json.dumps(dict.__getitem__(self, key), sort_keys=True, default=str):
                self._write(key)


_dirty = []


def _flush_all():
    for rp in _dirty:
        try:
            rp.flush()
        except CtxError as e:
            sys.stderr.write("ctx: could not save runtime properties: %s\n" % e)


atexit.register(_flush_all)


class _Lazy(object):
    def __init__(self, prefix):
        self._prefix = list(prefix)
        self._cache = {}

    def _get(self, *args):
        if args not in self._cache:
            self._cache[args] = call(*(self._prefix + list(args)))
        return self._cache[args]


class Node(_Lazy):
    @property
    def id(self):
        return self._get("id")

    @property
    def name(self):
        return self._get("name")

    @property
    def type(self):
        return self._get("type")

    @property
    def type_hierarchy(self):
        return self._get("type-hierarchy")

    @property
    def properties(self):
        return self._get("properties") or {}


class Instance(_Lazy):
    def __init__(self, prefix):
        super().__init__(prefix)
        self._rp = None

    @property
    def id(self):
        return self._get("id")

    @property
    def host_id(self):
        return self._get("host-id")

    @property
    def host_ip(self):
        return self._get("host-ip")

    @property
    def runtime_properties(self):
        if self._rp is None:
            self._rp = RuntimeProperties(self._prefix)
        return self._rp

    def update(self):
        if self._rp is not None:
            self._rp.flush()

    def refresh(self, force=False):
        self.update()
        self._rp = None


class Endpoint(object):
    def __init__(self, side):
        self.node = Node([side, "node"])
        self.instance = Instance([side, "instance"])


class Operation(object):
    @property
    def name(self):
        return call("operation", "name")

    @property
    def retry_number(self):
        return call("operation", "retry-number")

    @property
    def max_retries(self):
        return call("operation", "max-retries")

    def retry(self, message=None, retry_after=None):
        args = ["retry-operation", message or "retry requested"]
        if retry_after is not None:
            args.append(str(retry_after))
        call(*args)
        from cloudify.exceptions import OperationRetry
        return OperationRetry(message or "retry requested", retry_after=retry_after)


class Logger(object):
    def _log(self, level, msg, *args):
        text = str(msg) % args if args else str(msg)
        call("logger", level, text)

    def debug(self, msg, *args, **kwargs):
        self._log("debug", msg, *args)

    def info(self, msg, *args, **kwargs):
        self._log("info", msg, *args)

    def warning(self, msg, *args, **kwargs):
        self._log("warn", msg, *args)

    warn = warning

    def error(self, msg, *args, **kwargs):
        self._log("error", msg, *args)

    critical = error

    def exception(self, msg, *args, **kwargs):
        import traceback
        self._log("error", ("%s\n" % msg) + traceback.format_exc(), *args)


class _Id(object):
    def __init__(self, value):
        self.id = value


class CloudifyContext(object):
    """What `from cloudify import ctx` gives a script run by Gantry."""

    NODE_INSTANCE = "node-instance"
    RELATIONSHIP_INSTANCE = "relationship-instance"

    def __init__(self):
        self.node = Node(["node"])
        self.instance = Instance(["instance"])
        self.operation = Operation()
        self.logger = Logger()
        self._source = None
        self._target = None

    @property
    def type(self):
        return call("type")

    @property
    def source(self):
        if self._source is None:
            self._source = Endpoint("source")
        return self._source

    @property
    def target(self):
        if self._target is None:
            self._target = Endpoint("target")
        return self._target

    @property
    def deployment(self):
        return _Id(call("deployment", "id"))

    @property
    def blueprint(self):
        return _Id(call("blueprint", "id"))

    @property
    def execution_id(self):
        return call("execution-id")

    @property
    def workflow_id(self):
        return call("workflow-id")

    def get_resource(self, resource_path):
        return call("get-resource", resource_path)

    def download_resource(self, resource_path, target_path=None):
        args = ["download-resource", resource_path]
        if target_path:
            args.append(target_path)
        return call_text(*args)

    def download_resource_and_render(self, resource_path, target_path=None, template_variables=None):
        args = ["download-resource-and-render", resource_path]
        if target_path:
            args.append(target_path)
        args.append(_arg(template_variables or {}))
        return call_text(*args)

    def returns(self, value):
        call("returns", _arg(value))

    def abort_operation(self, message=None):
        call("abort-operation", message or "aborted")

    def retry_operation(self, message=None, retry_after=None):
        return self.operation.retry(message, retry_after)


ctx = CloudifyContext()
