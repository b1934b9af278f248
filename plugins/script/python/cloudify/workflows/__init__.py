"""Gantry's stand-in for Cloudify's workflow context, for the scripts of
custom workflows (`workflows: {name: {mapping: scripts/wf.py, ...}}`):

    from cloudify.workflows import ctx, parameters

    for node in ctx.nodes:
        for instance in node.instances:
            instance.execute_operation('cloudify.interfaces.lifecycle.start').get()

    graph = ctx.graph_mode()
    seq = graph.sequence()
    seq.add(instance.set_state('starting'),
            instance.execute_operation('cloudify.interfaces.lifecycle.start'),
            instance.set_state('started'))
    graph.execute()

Every call goes to the running Gantry workflow through the ctx protocol
(ctx nodes, node-instances, execute-operation, set-state, parameters,
logger). Outside graph mode a task starts when it is made and get() waits
for it; in graph mode tasks start when graph.execute() runs them, each
after the tasks it depends on (sequences run in order), several at once
where the graph allows."""

import threading

from cloudify._proxy import call as _call, _arg, Logger as _Logger, _Id, CtxError
from cloudify.exceptions import NonRecoverableError

__all__ = ["ctx", "parameters", "WorkflowTaskFailed", "CtxError"]


class WorkflowTaskFailed(NonRecoverableError):
    """A task of the workflow failed (its message says why)."""


class _Task(object):
    """One thing the workflow does: an operation, a state change, an event.
    Outside graph mode it starts when made; get() waits and returns its
    result or raises WorkflowTaskFailed."""

    def __init__(self, name, fn):
        self.name = name
        self._fn = fn
        self._done = threading.Event()
        self._result = None
        self._error = None
        self._started = False
        self._lock = threading.Lock()

    def _start(self):
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            self._result = self._fn()
        except CtxError as e:
            self._error = e
        except Exception as e:  # noqa: BLE001 - reported through get()
            self._error = e
        finally:
            self._done.set()

    def apply_async(self):
        self._start()
        return self

    def get(self):
        self._start()
        self._done.wait()
        if self._error is not None:
            raise WorkflowTaskFailed("%s: %s" % (self.name, self._error))
        return self._result

    def is_done(self):
        return self._done.is_set()

    def __repr__(self):
        return "<task %s>" % self.name


class _Node(object):
    def __init__(self, data, wctx):
        self._data = data
        self._ctx = wctx
        self.id = data["id"]
        self.type = data.get("type")
        self.type_hierarchy = data.get("type_hierarchy") or []
        self.properties = data.get("properties") or {}
        self.number_of_instances = data.get("number_of_instances", 0)
        self.host_id = data.get("host_id")
        self.operations = data.get("operations") or []

    @property
    def instances(self):
        return [
            _Instance(d, self._ctx) for d in _call("node-instances", self.id) or []
        ]

    def get_instance(self, instance_id):
        for i in self.instances:
            if i.id == instance_id:
                return i
        return None

    def has_operation(self, name):
        return name in self.operations


class _Instance(object):
    def __init__(self, data, wctx):
        self._ctx = wctx
        self.id = data["id"]
        self.node_id = data["node_id"]
        self.host_id = data.get("host_id")
        self.state = data.get("state")
        self.runtime_properties = data.get("runtime_properties") or {}
        self.relationship_targets = data.get("relationships") or []

    @property
    def node(self):
        return self._ctx.get_node(self.node_id)

    def execute_operation(self, operation, kwargs=None, allow_kwargs_override=False, **_ignored):
        args = ["execute-operation", self.id, operation, _arg(kwargs or {})]
        if allow_kwargs_override:
            args.append("--allow-kwargs-override")
        return self._ctx._task("%s on %s" % (operation, self.id), lambda: _call(*args))

    def set_state(self, state):
        return self._ctx._task("set %s to %s" % (self.id, state), lambda: _call("set-state", self.id, state))

    def get_state(self):
        def read():
            for d in _call("node-instances", self.node_id) or []:
                if d["id"] == self.id:
                    return d.get("state")
            return None

        return self._ctx._task("state of %s" % self.id, read)

    def send_event(self, event, **_ignored):
        msg = "%s: %s" % (self.id, event)
        return self._ctx._task("event of %s" % self.id, lambda: _call("logger", "info", msg))


class _Sequence(object):
    def __init__(self, graph):
        self._graph = graph
        self._last = None

    def add(self, *tasks):
        for t in tasks:
            self._graph.add_task(t)
            if self._last is not None:
                self._graph.add_dependency(t, self._last)
            self._last = t
        return self


class TaskDependencyGraph(object):
    """Tasks and what each waits for; execute() runs them all."""

    def __init__(self, wctx):
        self._ctx = wctx
        self._tasks = []
        self._deps = {}

    def add_task(self, task):
        if task not in self._tasks:
            self._tasks.append(task)
        return task

    def add_dependency(self, src_task, dst_task):
        """src_task runs after dst_task."""
        self.add_task(src_task)
        self.add_task(dst_task)
        self._deps.setdefault(id(src_task), []).append(dst_task)

    def sequence(self):
        return _Sequence(self)

    def execute(self):
        pending = list(self._tasks)
        errors = []
        while pending and not errors:
            ready = [t for t in pending if all(d.is_done() for d in self._deps.get(id(t), []))]
            if not ready:
                raise NonRecoverableError("the workflow's task graph has a cycle")
            for t in ready:
                t._start()
            for t in ready:
                try:
                    t.get()
                except WorkflowTaskFailed as e:
                    errors.append(e)
                pending.remove(t)
        self._ctx._graph = None
        if errors:
            raise errors[0]


class WorkflowContext(object):
    """Cloudify's CloudifyWorkflowContext, as far as Gantry runs it."""

    def __init__(self):
        self.logger = _Logger()
        self._graph = None

    def _task(self, name, fn):
        t = _Task(name, fn)
        if self._graph is None:
            t._start()
        return t

    def graph_mode(self):
        self._graph = TaskDependencyGraph(self)
        return self._graph

    def local_task(self, fn, kwargs=None, name=None):
        return self._task(name or getattr(fn, "__name__", "local task"), lambda: fn(**(kwargs or {})))

    @property
    def nodes(self):
        return [_Node(d, self) for d in _call("nodes") or []]

    @property
    def node_instances(self):
        return [_Instance(d, self) for d in _call("node-instances") or []]

    def get_node(self, node_id):
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    def get_node_instance(self, instance_id):
        for i in self.node_instances:
            if i.id == instance_id:
                return i
        return None

    @property
    def deployment(self):
        return _Id(_call("deployment", "id"))

    @property
    def blueprint(self):
        return _Id(_call("blueprint", "id"))

    @property
    def execution_id(self):
        return _call("execution-id")

    @property
    def workflow_id(self):
        return _call("workflow-id")

    @property
    def parameters(self):
        return _call("parameters") or {}


class _Parameters(dict):
    """The workflow's parameters (defaults filled in), read on first use."""

    _loaded = False

    def _load(self):
        if not self._loaded:
            self._loaded = True
            dict.update(self, _call("parameters") or {})

    def __getitem__(self, key):
        self._load()
        return dict.__getitem__(self, key)

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        self._load()
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            raise AttributeError(key)

    def get(self, key, default=None):
        self._load()
        return dict.get(self, key, default)

    def __contains__(self, key):
        self._load()
        return dict.__contains__(self, key)

    def __iter__(self):
        self._load()
        return dict.__iter__(self)

    def __len__(self):
        self._load()
        return dict.__len__(self)

    def keys(self):
        self._load()
        return dict.keys(self)

    def items(self):
        self._load()
        return dict.items(self)


ctx = WorkflowContext()
parameters = _Parameters()
