"""Gantry's ctx proxy for Cloudify scripts: every attribute is read from, and
every change written to, the running operation with the ctx command's own
protocol (the private unix socket of a local operation, the forwarded port
of one on an SSH host). Values travel as JSON (`-j`, `@JSON`)."""

import atexit
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile

CTX_COMMAND = os.environ.get("GANTRY_CTX_COMMAND", "ctx")


class CtxError(Exception):
    """A ctx command failed (its message says why)."""


def _arg(value):
    if isinstance(value, str):
        return "@" + json.dumps(value)
    return "@" + json.dumps(value, default=str)


MAX_ANSWER = 16 << 20

_LONG_COMMANDS = {"execute-operation"}


def _send(args):
    """Send one ctx command to the engine: over the private unix socket of a
    local operation, or the forwarded TCP port of one on an SSH host; the
    ctx command itself when neither is set. Returns (ok, output, error)."""
    sock, port = os.environ.get("GANTRY_CTX_SOCKET"), os.environ.get("GANTRY_CTX_PORT")
    token = os.environ.get("GANTRY_CTX_TOKEN", "")
    if sock:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # A workflow script's execute-operation lasts as long as the operation.
        s.settimeout(None if set(args) & _LONG_COMMANDS else 300)
        try:
            s.connect(sock)
            s.sendall((json.dumps({"token": token, "args": list(args)}) + "\n").encode("utf-8"))
            answer = json.loads(_read_all(s).decode("utf-8"))
        finally:
            s.close()
        return answer.get("ok", False), answer.get("output", ""), answer.get("error", "")
    if port:
        s = socket.create_connection(("127.0.0.1", int(port)), timeout=300)
        try:
            lines = [token] + [base64.b64encode(a.encode("utf-8")).decode("ascii") for a in args] + ["."]
            s.sendall(("\n".join(lines) + "\n").encode("utf-8"))
            status, _, body = _read_all(s).decode("ascii").partition("\n")
        finally:
            s.close()
        text = base64.b64decode(body.strip()).decode("utf-8", "replace")
        return status.strip() == "ok", text, text
    proc = subprocess.run([CTX_COMMAND] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = proc.stderr.decode("utf-8", "replace").strip()
    if err.startswith("ctx: "):
        err = err[len("ctx: "):]
    return proc.returncode == 0, proc.stdout.decode("utf-8").rstrip("\n"), err


def _read_all(s):
    chunks, size = [], 0
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_ANSWER:
            raise CtxError("answer from gantry over %d bytes" % MAX_ANSWER)
        chunks.append(chunk)


def _run(args):
    ok, output, error = _send(args)
    if not ok:
        raise CtxError(error or "ctx %s failed" % " ".join(args))
    return output


def call(*args):
    """Run `ctx -j ARGS...` and return its JSON answer (None for nothing)."""
    out = _run(["-j"] + list(args))
    return json.loads(out) if out.strip() else None


def download(args, target_path):
    """Fetch a resource (args: resource PATH or render-resource PATH VARS)
    and write it to target_path, or to a new temporary file."""
    body = base64.b64decode(_run(args))
    if target_path:
        with open(target_path, "wb") as f:
            f.write(body)
        return target_path
    name = os.path.basename(args[1])
    fd, path = tempfile.mkstemp(prefix="gantry-resource-", suffix="-" + name)
    with os.fdopen(fd, "wb") as f:
        f.write(body)
    return path


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
        return download(["resource", resource_path], target_path)

    def download_resource_and_render(self, resource_path, target_path=None, template_variables=None):
        return download(["render-resource", resource_path, _arg(template_variables or {})], target_path)

    def returns(self, value):
        call("returns", _arg(value))

    def abort_operation(self, message=None):
        call("abort-operation", message or "aborted")

    def retry_operation(self, message=None, retry_after=None):
        return self.operation.retry(message, retry_after)


ctx = CloudifyContext()
