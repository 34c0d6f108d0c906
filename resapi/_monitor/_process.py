"""A Resource Monitor in its own OS process: the child side of a separate monitor.

A resource whose ``SeparateMonitor`` is set gets a Resource Monitor process of its own (research
resapi.md §5.1), so that a crash or a hang of its code takes down only that process; the parent
kills and restarts it (§5.4). :class:`ProcessHost` is the parent side; this
module is the child, started as ``python -m resapi.monitor`` (:mod:`resapi.monitor` only calls
:func:`main`). It runs one :class:`~resapi._monitor._host.ResourceHost` for one resource on its own
asyncio event loop, on real time.

Protocol
--------
Both directions carry *frames*: a 4-byte big-endian length (at most :data:`MAX_FRAME`), then
that many bytes of UTF-8 JSON holding one message. Parent → child on the child's stdin; child →
parent on its stdout (the child moves the pipe to a private, non-inheritable descriptor first
and points descriptor 1 at stderr, so a resource that prints cannot corrupt the stream, and
processes it starts do not hold the pipe open). stderr stays the parent's, for tracebacks.

The child runs the resource's code, so the parent trusts nothing it reads there: the resource
can find the descriptor and write anything to it. The encoding cannot name code to run (no
pickle): a JSON value is a scalar, a list, or an object ``{"$": tag, "v": ...}`` whose tag is
one of a fixed set (``bytes``, ``tuple``, ``dict``, the protocol's enums, the attrs classes in
:data:`_CLASSES`, and ``error``); :func:`decode` builds only those, with exactly their fields,
each checked against its declared type. An exception crosses as ``error``: the name of its
class (or of the nearest class it derives from) among the API's own :class:`~clusapi.ClusterError`
classes and resapi's ``CannotComeOnline*`` (an allow-list), its Win32 code, message and fix;
the parent builds that class again. The parent then checks each message against the protocol
(:class:`ProcessHost`): a reply must answer a request in flight with a value of the kind that
request returns; an event must be one of the kinds below with its payload (a status report
one the host could make then). A frame too large, not arriving whole within a few seconds of
its first byte, not valid JSON or not a valid message is a protocol error: the parent kills
that monitor process and treats it as crashed (the resource fails, the monitor is recycled);
nothing else in the cluster is affected.

* :class:`Request` ``(id, op, args)``, parent → child. The child runs each request in a task
  of its own, so ``terminate`` and ``fail`` overlap the entry point in flight, as in-process;
  the others queue on the host's own lock. Ops and their ``args``:

  ============================ =================================== ===========================
  op                           args                                reply value
  ============================ =================================== ===========================
  ``start``                    ``(StartConfig,)``                  ``(type_name, pid)``
  ``open``                     ``(parameters,)``                   ``None``
  ``online``                   ``(parameters, pending_timeout,     ``ResourceState``
                               registry snapshot or None)``
  ``offline``                  ``(pending_timeout,)``              ``ResourceState``
  ``terminate``                ``(final_state,)``                  ``None``
  ``looks_alive``/``is_alive`` ``()``                              ``bool``
  ``check_health``             ``(thorough,)``                     ``bool``
  ``fail``                     ``(reason,)``                       ``None``
  ``control``                  ``(code, data)``                    ``bytes`` or NOT_HANDLED
  ``arbitrate``                ``()``                              ``None``
  ``release``/``close``        ``()``                              ``None``
  ``set_parameters``           ``(parameters,)``                   ``None``
  ``set_pending_timeout``      ``(seconds,)``                      ``None``
  ``sync_registry``            ``(SubtreeSnapshot,)``              ``None``
  ``cancel``                   ``(request id,)``                   (none: that request replies
                                                                   ``cancelled``)
  ============================ =================================== ===========================

  ``start`` must come first: it imports the resource type from ``"package.module:Class"``
  (a clear ``ERROR_RESMON_CREATE_FAILED`` error if it cannot), restores the parent's copy of
  the node-local registry and creates the host. ``online`` carries the parameters, the
  PendingTimeout and, if the parent's local registry changed since the child's copy was last
  in step with it, a snapshot of it (checkpoints are restored into it before Online).
* :class:`Reply` ``(id, outcome, value)``, child → parent: ``outcome`` is ``"ok"`` (``value``
  is the result), ``"error"`` (``value`` is the :class:`~clusapi.ClusterError` the host
  raised, as its allow-listed type, code, message and fix) or ``"cancelled"``.
* :class:`Event` ``(kind, payload)``, child → parent, in the order they happened, before the
  reply of the request during which they happened: ``"status"`` (a ResourceStatus),
  ``"log"`` (a LogEntry), ``"failure"`` (a FailureReport), ``"registry"`` (a
  :class:`RegistryChange` in the child's copy of the local registry, for the parent to apply to
  the node's real one, where checkpoints capture it), ``"lost"`` (the resource called the
  ``QuorumResourceLost`` callback it got from Arbitrate), ``"deadlocked"`` (an entry point ran
  past DeadlockTimeout and the host wrote the instance off: the parent recycles the process).

End of input (the parent closed the pipe, or died) closes the host (Terminate if needed, then
Close) and ends the process.
"""

from __future__ import annotations

import base64
import enum
import importlib
import json
import math
import os
import struct
import sys
import threading
import traceback
import types
import typing
from typing import TYPE_CHECKING, Final, Literal

import anyio
import anyio.from_thread
import anyio.lowlevel
import attrs

from clusapi import _errors
from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import ClusterChange, FailureType, LogLevel, RegValueType, ResourceState
from clusapi._errors import ClusterError, InvalidStateError, PropertyError, make_error
from clusapi._registry import RegValue, SubtreeSnapshot
from clusapi._win32 import Win32Error

from .._records import FailureReport, LogEntry, ResourceStatus
from .._resource import (
    CannotComeOnline,
    CannotComeOnlineOnAnyNode,
    CannotComeOnlineOnThisNode,
    NotHandled,
)
from ._host import ResourceHost

if TYPE_CHECKING:
    from collections.abc import Callable

    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectSendStream

    from .._resource import Resource

__all__ = (
    "Event",
    "RegistryChange",
    "Reply",
    "Request",
    "StartConfig",
    "apply_registry_change",
    "decode",
    "registry_change_problem",
    "encode",
    "import_path_of",
    "load_resource_type",
    "main",
    "read_frame",
)

_HEADER: Final = struct.Struct(">I")
#: Frames larger than this are a corrupt stream, not a message. The largest real ones carry
#: a copy of the local registry or a control code's output; the bound also caps what one frame
#: from the child can make the parent hold while it decodes it.
MAX_FRAME: Final = 16 * 1024 * 1024

#: Outcomes of a :class:`Reply`.
Outcome = Literal["ok", "error", "cancelled"]


@attrs.frozen
class Request:
    """Parent → child: run ``op`` with ``args``; answered by the :class:`Reply` with ``id``."""

    id: int
    op: str
    args: tuple[object, ...] = ()


@attrs.frozen
class Reply:
    """Child → parent: the outcome of request ``id``."""

    id: int
    outcome: Outcome
    value: object = None


@attrs.frozen
class Event:
    """Child → parent: something the host or the resource reported (see the module doc)."""

    kind: str
    payload: object = None


@attrs.frozen
class StartConfig:
    """What ``start`` needs: the resource type and everything its host is built with."""

    import_path: str
    resource_name: str
    node_name: str
    parameters: dict[str, object]
    pending_timeout: float
    deadlock_timeout: float
    verify_signalled_failure: bool
    #: The parent's node-local registry, whole (its root key).
    registry: SubtreeSnapshot
    #: Resident memory (bytes) past which the process recycles itself: a leak costs only
    #: this resource (None: no limit).
    memory_limit: int | None = None


@attrs.frozen
class RegistryChange:
    """One change of the child's local registry, as the state it left (so applying it is
    idempotent, and a batch of changes converges whatever the order they arrive in).

    ``op`` is ``"set"`` (``value`` under ``name``), ``"delete_value"``, ``"create_key"``,
    ``"delete_tree"`` or ``"security"`` (``security`` is the descriptor, or None).
    """

    op: Literal["set", "delete_value", "create_key", "delete_tree", "security"]
    path: str
    name: str | None = None
    value: RegValue | None = None
    security: bytes | None = None


Message = Request | Reply | Event


# --------------------------------------------------------------------------- framing


def _classes() -> dict[str, type]:
    """The attrs classes a frame may hold, by name: nothing else is ever built from one."""
    return {
        cls.__name__: cls
        for cls in (
            Request,
            Reply,
            Event,
            StartConfig,
            RegistryChange,
            ResourceStatus,
            LogEntry,
            FailureReport,
            RegValue,
            SubtreeSnapshot,
        )
    }


def _enums() -> dict[str, type[enum.Enum]]:
    return {
        cls.__name__: cls
        for cls in (ResourceState, LogLevel, FailureType, RegValueType, NotHandled)
    }


def _error_types() -> dict[str, type[ClusterError]]:
    """The exceptions that cross as themselves (the API's own and resapi's); any other
    ClusterError crosses as the nearest of these it derives from."""
    found: dict[str, type[ClusterError]] = {
        name: cls
        for name in _errors.__all__
        if isinstance(cls := getattr(_errors, name), type) and issubclass(cls, ClusterError)
    }
    for cls in (CannotComeOnline, CannotComeOnlineOnThisNode, CannotComeOnlineOnAnyNode):
        found[cls.__name__] = cls
    return found


_CLASSES: Final = _classes()
_ENUMS: Final = _enums()
_ERROR_TYPES: Final = _error_types()
#: Type hints of each class's fields, resolved when a class is first decoded.
_FIELD_HINTS: dict[type, dict[str, object]] = {}


def _to_json(value: object) -> object:
    """``value`` as JSON data: a JSON scalar or list, or an object tagged ``"$"`` with what to
    build (bytes, tuple, dict, an enum member, one of :data:`_CLASSES`, a ClusterError).

    Raises:
        TypeError: for anything else (it cannot be sent).
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, enum.Enum):
        if type(value).__name__ not in _ENUMS:
            raise TypeError(f"cannot send {value!r} to the other process")
        return {"$": type(value).__name__, "v": value.name}
    if isinstance(value, int | float):
        return value
    if isinstance(value, bytes):
        return {"$": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [_to_json(item) for item in value]}
    if isinstance(value, dict):
        return {"$": "dict", "v": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    if isinstance(value, ClusterError):
        return {"$": "error", "v": _error_fields(value)}
    if attrs.has(cls := type(value)) and _CLASSES.get(cls.__name__) is cls:
        fields = {f.name: _to_json(getattr(value, f.name)) for f in attrs.fields(cls)}
        return {"$": cls.__name__, "v": fields}
    raise TypeError(f"cannot send a {type(value).__name__} to the other process")


def _error_fields(error: ClusterError) -> dict[str, object]:
    kind = next(c.__name__ for c in type(error).__mro__ if _ERROR_TYPES.get(c.__name__) is c)
    return {
        "type": kind,
        "winerror": int(error.winerror),
        "message": error.description,
        "fix": error.fix,
        "property_name": getattr(error, "property_name", None),
    }


def _from_json(data: object) -> object:
    """The value :func:`_to_json` made ``data`` from.

    Raises:
        ValueError: ``data`` is not what :func:`_to_json` makes: an untagged object, an
            unknown tag, fields that are missing, unexpected or of the wrong type.
    """
    if data is None or isinstance(data, str | bool | int | float):
        return data
    if isinstance(data, list):
        return [_from_json(item) for item in data]
    if not isinstance(data, dict) or set(data) != {"$", "v"} or not isinstance(data["$"], str):
        raise ValueError(f"not a tagged value: {_short(data)}")
    tag, inner = data["$"], data["v"]
    if tag == "bytes" and isinstance(inner, str):
        return base64.b64decode(inner, validate=True)
    if tag == "tuple" and isinstance(inner, list):
        return tuple(_from_json(item) for item in inner)
    if tag == "dict" and isinstance(inner, list):
        pairs = [_pair(item) for item in inner]
        return {_hashable(_from_json(k)): _from_json(v) for k, v in pairs}
    if tag == "error" and isinstance(inner, dict):
        return _error_from(inner)
    if tag in _ENUMS and isinstance(inner, str):
        members = _ENUMS[tag].__members__
        if inner not in members:
            raise ValueError(f"{tag} has no member {_short(inner)}")
        return members[inner]
    if tag in _CLASSES and isinstance(inner, dict):
        return _build(_CLASSES[tag], inner)
    raise ValueError(f"unknown or malformed tag {_short(tag)}")


def _pair(item: object) -> tuple[object, object]:
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError(f"not a key-value pair: {_short(item)}")
    return item[0], item[1]


def _hashable(key: object) -> object:
    if not isinstance(key, str | int | float | bool | bytes | tuple | enum.Enum | None):
        raise ValueError(f"a {type(key).__name__} cannot be a key")
    return key


def _build(cls: type, fields: dict[str, object]) -> object:
    """An instance of one of :data:`_CLASSES`, its fields checked against their hints."""
    hints = _FIELD_HINTS.get(cls)
    if hints is None:
        hints = _FIELD_HINTS[cls] = typing.get_type_hints(cls)
    names = {f.name for f in attrs.fields(cls)}
    if set(fields) != names:
        raise ValueError(f"{cls.__name__} needs the fields {sorted(names)}, got {sorted(fields)}")
    values = {name: _from_json(value) for name, value in fields.items()}
    for name, value in values.items():
        if not _conforms(value, hints[name]):
            raise ValueError(f"{cls.__name__}.{name} cannot be {_short(value)}")
    try:
        return cls(**values)
    except ClusterError as exc:  # RegValue checks that the data fits its type
        raise ValueError(f"{cls.__name__}: {exc}") from None


def _conforms(value: object, hint: object) -> bool:
    """Whether ``value`` has the type ``hint`` (the forms the message classes use)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is object:
        return True
    if hint is type(None) or hint is None:
        return value is None
    if origin is types.UnionType or origin is typing.Union:
        return any(_conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return any(type(value) is type(arg) and value == arg for arg in args)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(item, args[0]) for item in value)
        return len(args) == len(value) and all(map(_conforms, value, args))
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if hint is float:
        return type(value) in (int, float)
    if hint in (int, str, bytes, bool):
        return type(value) is hint
    return isinstance(hint, type) and isinstance(value, hint)


def _error_from(fields: dict[str, object]) -> ClusterError:
    """The exception a peer described: only a class of :data:`_ERROR_TYPES` is built."""
    kind, winerror = fields.get("type"), fields.get("winerror")
    message, fix = fields.get("message"), fields.get("fix")
    property_name = fields.get("property_name")
    if (
        set(fields) != {"type", "winerror", "message", "fix", "property_name"}
        or not isinstance(kind, str)
        or type(winerror) is not int
        or not isinstance(message, str)
        or not isinstance(fix, str | None)
        or not isinstance(property_name, str | None)
    ):
        raise ValueError(f"malformed error {_short(fields)}")
    cls = _ERROR_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown error type {_short(kind)}")
    error = cls(winerror, message, fix=fix)
    if property_name is not None and isinstance(error, PropertyError):
        error.property_name = property_name
    return error


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def encode(message: Message) -> bytes:
    """One frame: the length, then the message as JSON (see the module doc).

    Raises:
        TypeError: the message holds something that cannot be sent.
        ValueError: it is larger than :data:`MAX_FRAME`.
    """
    payload = json.dumps(_to_json(message), separators=(",", ":")).encode()
    if len(payload) > MAX_FRAME:
        raise ValueError(f"a message of {len(payload)} bytes is larger than {MAX_FRAME}")
    return _HEADER.pack(len(payload)) + payload


def decode(payload: bytes, expected: tuple[type[Message], ...]) -> Message:
    """The message in one frame's payload, which must be one of ``expected``.

    Nothing in the payload chooses code to run: it can only build the classes, enums and
    exceptions the codec knows, with fields of their declared types.

    Raises:
        ValueError: if it is not a well-formed message of those kinds.
    """
    try:
        message = _from_json(json.loads(payload))
    except (ValueError, RecursionError) as exc:  # bad JSON, UTF-8, base64 or tags
        raise ValueError(f"not a monitor protocol frame: {exc!r}") from None
    if not isinstance(message, expected):
        raise ValueError(f"unexpected message {_short(message)}")
    return message


def frame_length(header: bytes) -> int:
    """The payload length a frame header announces.

    Raises:
        ValueError: if it is larger than :data:`MAX_FRAME`.
    """
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ValueError(f"a frame of {length} bytes, more than {MAX_FRAME}: the stream is corrupt")
    return int(length)


def _read_exactly(fd: int, count: int) -> bytes | None:
    chunks: list[bytes] = []
    while count:
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes | None:
    """Read one frame's payload from ``fd`` (blocking); None at end of input."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(fd, frame_length(header))


# --------------------------------------------------------------------------- resource types


def import_path_of(resource_type: object) -> str:
    """``"package.module:Class"`` for a class (or factory) a monitor process can import.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for a class defined inside a function
            or in ``__main__``, which another process cannot import.
    """
    module = getattr(resource_type, "__module__", None)
    qualname = getattr(resource_type, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{resource_type!r} has no module and qualified name to import it by",
            fix="define the resource type at module level",
        )
    if "<locals>" in qualname or module == "__main__":
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"resource type {module}.{qualname} cannot be imported by a separate monitor process",
            fix="define it at module level in an importable module (not __main__ or a function)",
        )
    return f"{module}:{qualname}"


def load_resource_type(path: str) -> Callable[[ResourceHost], Resource]:
    """Import ``"package.module:Class"`` (the Class may be dotted: ``"mod:Outer.Inner"``).

    Raises:
        ClusterError: ERROR_RESMON_CREATE_FAILED, saying what is wrong with the path.
    """
    fix = "name the type as 'package.module:Class', importable from the monitor process"
    module_name, colon, qualname = path.partition(":")
    if not colon or not module_name or not qualname:
        raise make_error(
            Win32Error.ERROR_RESMON_CREATE_FAILED,
            f"bad resource type path {path!r}: expected 'package.module:Class'",
            fix=fix,
        )
    try:
        target: object = importlib.import_module(module_name)
    except Exception as exc:
        raise make_error(
            Win32Error.ERROR_RESMON_CREATE_FAILED,
            f"cannot import module {module_name!r} of resource type {path!r}: {exc!r}",
            fix=f"{fix} (sys.path there: PYTHONPATH and the working directory)",
        ) from None
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise make_error(
                Win32Error.ERROR_RESMON_CREATE_FAILED,
                f"resource type {path!r}: {module_name!r} has no attribute {qualname!r}",
                fix=fix,
            ) from None
    if not callable(target):
        raise make_error(
            Win32Error.ERROR_RESMON_CREATE_FAILED,
            f"resource type {path!r} is a {type(target).__name__}, not a class",
            fix="point at a resapi.Resource subclass",
        )
    factory: Callable[[ResourceHost], Resource] = target
    return factory


# --------------------------------------------------------------------------- local registry


def describe_registry_change(
    tree: RegistryTree, kind: ClusterChange, path: str, name: str | None
) -> RegistryChange | None:
    """What a change event of ``tree`` left behind, as a :class:`RegistryChange`."""
    exists = tree.key_exists(path)
    if kind is ClusterChange.REGISTRY_VALUE and name is not None:
        if exists:
            for value_name, value in tree.enum_values(path):
                if value_name.casefold() == name.casefold():
                    return RegistryChange("set", path, value_name, value)
        return RegistryChange("delete_value", path, name)
    if kind is ClusterChange.REGISTRY_NAME:
        return RegistryChange("create_key" if exists else "delete_tree", path)
    if kind is ClusterChange.REGISTRY_ATTRIBUTES and exists:
        return RegistryChange("security", path, security=tree.get_key_security(path))
    return None


def registry_change_problem(change: RegistryChange) -> str | None:
    """What makes ``change`` not one :func:`describe_registry_change` makes, or None."""
    if change.op in ("set", "delete_value") and change.name is None:
        return f"a {change.op!r} change needs a value name"
    if change.op == "set" and change.value is None:
        return "a 'set' change needs a value"
    if change.op != "set" and change.value is not None:
        return f"a {change.op!r} change carries no value"
    if change.op != "security" and change.security is not None:
        return f"a {change.op!r} change carries no security descriptor"
    return None


def apply_registry_change(tree: RegistryTree, change: RegistryChange) -> None:
    """Make ``tree`` hold what ``change`` describes (nothing happens if it already does not
    exist where a deletion is described).

    Raises:
        ClusterError: ERROR_INVALID_PARAMETER for a malformed change; what the tree raises for
            a bad path or name.
    """
    problem = registry_change_problem(change)
    if problem is not None:
        raise make_error(Win32Error.ERROR_INVALID_PARAMETER, f"{change}: {problem}")
    path = change.path
    if change.op == "set" and change.name is not None and change.value is not None:
        tree.create_key(path)
        tree.set_value(path, change.name, change.value)
    elif change.op == "create_key":
        tree.create_key(path)
    elif not tree.key_exists(path):
        return
    elif change.op == "delete_value" and change.name is not None:
        if any(n.casefold() == change.name.casefold() for n, _ in tree.enum_values(path)):
            tree.delete_value(path, change.name)
    elif change.op == "delete_tree":
        if path:
            tree.delete_tree(path)
    elif change.security is not None:
        tree.set_key_security(path, change.security)
    elif tree.get_key_security(path) is not None:
        tree.restore(path, attrs.evolve(tree.snapshot(path), security=None))


# --------------------------------------------------------------------------- the child


class _Writer:
    """Writes frames to the parent, synchronously (events keep their order with replies)."""

    __slots__ = ("broken", "fd")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.broken = False

    def send(self, message: Message) -> None:
        if self.broken:
            return
        data = memoryview(encode(message))
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        except OSError:
            self.broken = True  # the parent is gone; end of input follows


def _error_for(exc: Exception, op: str, name: str) -> ClusterError:
    """The error to send: the host's own (it crosses as its type, code, message and fix),
    or one naming the bug."""
    if isinstance(exc, ClusterError):
        return exc
    return make_error(
        Win32Error.ERROR_RESMON_ONLINE_FAILED if op == "online" else Win32Error.ERROR_INVALID_DATA,
        f"the monitor process of resource {name!r} failed in {op}: {exc!r}",
    )


class _Monitor:
    """The one host of this process, driven by the parent's requests."""

    def __init__(self, writer: _Writer, task_group: TaskGroup) -> None:
        self._writer = writer
        self._task_group = task_group
        self._host: ResourceHost | None = None
        self._memory_limit: int | None = None  # set by start
        self._tree: RegistryTree | None = None
        self._parameters: dict[str, object] = {}
        self._scopes: dict[int, anyio.CancelScope] = {}
        self._name = "?"
        self._syncing = False
        self._deadlock_reported = False

    # HostListener
    def on_status(self, status: ResourceStatus) -> None:
        self._writer.send(Event("status", status))

    def on_log(self, entry: LogEntry) -> None:
        self._writer.send(Event("log", entry))
        host = self._host
        if host is not None and host.deadlocked and not self._deadlock_reported:
            # ResourceHost sets `deadlocked`, then logs the deadlock: the instance is written
            # off, and a separate monitor is recycled whole.
            self._deadlock_reported = True
            self._writer.send(Event("deadlocked"))

    def on_failure(self, report: FailureReport) -> None:
        self._writer.send(Event("failure", report))

    def _registry_changed(self, kind: ClusterChange, path: str, name: str | None, /) -> None:
        if self._syncing or self._tree is None:
            return  # the parent's own state coming in: nothing to send back
        change = describe_registry_change(self._tree, kind, path, name)
        if change is not None:
            self._writer.send(Event("registry", change))

    def _quorum_lost(self) -> None:
        self._writer.send(Event("lost"))

    # requests
    def submit(self, request: Request) -> None:
        if request.op == "cancel":
            (target,) = request.args
            scope = self._scopes.get(target) if isinstance(target, int) else None
            if scope is not None:
                scope.cancel()
            return
        self._task_group.start_soon(self._run, request)

    async def _run(self, request: Request) -> None:
        reply: Reply
        with anyio.CancelScope() as scope:
            self._scopes[request.id] = scope
            try:
                value = await self._dispatch(request.op, request.args)
            except Exception as exc:
                if not isinstance(exc, ClusterError):
                    traceback.print_exc()  # a bug here, not in the resource: show it
                reply = Reply(request.id, "error", _error_for(exc, request.op, self._name))
            else:
                reply = Reply(request.id, "ok", value)
            finally:
                del self._scopes[request.id]
        if scope.cancelled_caught:
            reply = Reply(request.id, "cancelled")
        self._check_memory(request.op)
        try:
            self._writer.send(reply)
        except Exception as exc:  # an unpicklable result
            error = make_error(
                Win32Error.ERROR_INVALID_DATA,
                f"resource {self._name!r}: the result of {request.op} cannot be sent to the "
                f"cluster service: {exc!r}",
            )
            self._writer.send(Reply(request.id, "error", error))

    def _check_memory(self, op: str) -> None:
        """Past its memory limit the process tells why and exits: the parent sees the exit,
        fails the resource and recycles its monitor, and the OS takes the leak back."""
        limit = self._memory_limit
        if limit is None:
            return
        used = resident_memory()
        if used is None or used <= limit:
            return
        self._writer.send(
            Event(
                "log",
                LogEntry(
                    self._name,
                    self._host.type_name if self._host is not None else "?",
                    LogLevel.ERROR,
                    f"monitor process uses {used // 2**20} MB after {op}, more than its limit "
                    f"of {limit // 2**20} MB: it leaks; recycling it",
                    0.0,
                ),
            )
        )
        os._exit(MEMORY_EXIT)

    def _need_host(self) -> ResourceHost:
        if self._host is None:
            raise InvalidStateError(
                Win32Error.ERROR_INVALID_STATE,
                "the monitor process has no resource yet",
                fix="send 'start' first",
            )
        return self._host

    def _set_parameters(self, parameters: object) -> None:
        if not isinstance(parameters, dict):
            raise make_error(Win32Error.ERROR_INVALID_PARAMETER, "parameters must be a dict")
        # The host holds this very dict and reads it before Open and each Online.
        self._parameters.clear()
        self._parameters.update(parameters)

    def _sync_registry(self, snapshot: object) -> None:
        assert self._tree is not None, "start comes first"
        if not isinstance(snapshot, SubtreeSnapshot):
            raise make_error(Win32Error.ERROR_INVALID_PARAMETER, "registry sync needs a snapshot")
        self._syncing = True
        try:
            self._tree.restore("", snapshot)
        finally:
            self._syncing = False

    async def _dispatch(self, op: str, args: tuple[object, ...]) -> object:
        if op == "start":
            return self._start(*args)
        host = self._need_host()
        if op == "open":
            self._set_parameters(*args)
            await host.open()
            return None
        if op == "online":
            parameters, pending_timeout, snapshot = args
            self._set_parameters(parameters)
            host.pending_timeout = float(pending_timeout)  # type: ignore[arg-type]
            if snapshot is not None:
                self._sync_registry(snapshot)
            return await host.online()
        if op == "offline":
            (pending_timeout,) = args
            host.pending_timeout = float(pending_timeout)  # type: ignore[arg-type]
            return await host.offline()
        if op == "terminate":
            (final_state,) = args
            if final_state is ResourceState.FAILED:
                await host.terminate(final_state=ResourceState.FAILED)
            elif final_state is ResourceState.OFFLINE:
                await host.terminate(final_state=ResourceState.OFFLINE)
            else:
                raise make_error(Win32Error.ERROR_INVALID_PARAMETER, "bad final state")
            return None
        if op == "looks_alive":
            return await host.looks_alive()
        if op == "is_alive":
            return await host.is_alive()
        if op == "check_health":
            (thorough,) = args
            return await host.check_health(thorough=bool(thorough))
        if op == "fail":
            (reason,) = args
            await host.fail(str(reason))
            return None
        if op == "control":
            code, data = args
            if not isinstance(code, int) or not isinstance(data, bytes):
                raise make_error(Win32Error.ERROR_INVALID_PARAMETER, "control needs int, bytes")
            return await host.control(code, data)
        if op == "arbitrate":
            await host.arbitrate(self._quorum_lost)
            return None
        if op == "release":
            await host.release()
            return None
        if op == "close":
            await host.close()
            return None
        if op == "set_parameters":
            self._set_parameters(*args)
            return None
        if op == "set_pending_timeout":
            (seconds,) = args
            host.pending_timeout = float(seconds)  # type: ignore[arg-type]
            return None
        if op == "sync_registry":
            self._sync_registry(*args)
            return None
        raise make_error(
            Win32Error.ERROR_INVALID_FUNCTION, f"the monitor process has no operation {op!r}"
        )

    def _start(self, config: object) -> tuple[str, int]:
        if not isinstance(config, StartConfig):
            raise make_error(Win32Error.ERROR_INVALID_PARAMETER, "start needs a StartConfig")
        if self._host is not None:
            raise InvalidStateError(
                Win32Error.ERROR_INVALID_STATE,
                f"the monitor process already hosts resource {self._name!r}",
            )
        self._name = config.resource_name
        factory = load_resource_type(config.import_path)
        tree = RegistryTree(label=f"the local registry of node {config.node_name!r}")
        tree.restore("", config.registry)
        tree.on_change = self._registry_changed
        self._tree = tree
        self._set_parameters(config.parameters)
        self._memory_limit = config.memory_limit
        self._host = ResourceHost(
            factory,
            config.resource_name,
            self._parameters,
            self,
            task_group=self._task_group,
            pending_timeout=config.pending_timeout,
            deadlock_timeout=config.deadlock_timeout,
            verify_signalled_failure=config.verify_signalled_failure,
            node_name=config.node_name,
            local_registry=tree,
        )
        return self._host.type_name, os.getpid()

    async def shutdown(self) -> None:
        """End of input: close the host, bounded (nobody may be left to kill this process)."""
        host = self._host
        if host is None:
            return
        with anyio.move_on_after(2 * host.deadlock_timeout + 1):
            await host.close()


#: The exit code of a monitor process that went past its memory limit.
MEMORY_EXIT = 12


def resident_memory() -> int | None:
    """This process's resident set size in bytes (Linux /proc), or None where unknown."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _pump(
    fd: int, send: MemoryObjectSendStream[bytes | None], token: anyio.lowlevel.EventLoopToken
) -> None:
    """The stdin thread: frames to the event loop; None at the end."""
    frame: bytes | None = None
    try:
        while True:
            frame = read_frame(fd)
            anyio.from_thread.run_sync(send.send_nowait, frame, token=token)
            if frame is None:
                return
    except Exception:  # the loop has ended, or the stream is corrupt
        if frame is not None:
            traceback.print_exc()
        try:
            anyio.from_thread.run_sync(send.send_nowait, None, token=token)
        except Exception:
            return


async def serve(in_fd: int, out_fd: int) -> None:
    """Run requests from ``in_fd`` until it ends; write replies and events to ``out_fd``."""
    writer = _Writer(out_fd)
    send, receive = anyio.create_memory_object_stream[bytes | None](math.inf)
    token = anyio.lowlevel.current_token()
    threading.Thread(
        target=_pump, args=(in_fd, send, token), name="resapi-monitor-input", daemon=True
    ).start()
    async with anyio.create_task_group() as tg:
        monitor = _Monitor(writer, tg)
        async with receive:
            async for frame in receive:
                if frame is None:
                    break
                try:
                    message = decode(frame, (Request,))
                except ValueError:
                    traceback.print_exc()
                    break
                if isinstance(message, Request):
                    monitor.submit(message)
        await monitor.shutdown()
        tg.cancel_scope.cancel()


def _take_protocol_fds() -> tuple[int, int]:
    """Move the pipes off descriptors 0 and 1 (to non-inheritable copies): what the resource
    prints goes to stderr, and what it starts does not keep the parent's pipe open."""
    in_fd = os.dup(0)
    out_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return in_fd, out_fd


def main() -> int:
    """The monitor process: serve the parent on stdin/stdout until stdin ends."""
    in_fd, out_fd = _take_protocol_fds()
    anyio.run(serve, in_fd, out_fd, backend="asyncio")
    return 0


def run() -> None:
    """``python -m resapi.monitor``: :func:`main`, then exit at once (daemon threads, and
    whatever the resource left running, do not hold the process)."""
    code = 1
    try:
        code = main()
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
