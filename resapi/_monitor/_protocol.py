"""The message protocol between a :class:`ProcessHost` and its monitor process.

Both directions carry *frames*: a 4-byte big-endian length (at most :data:`MAX_FRAME`), then
that much UTF-8 JSON holding one message. The encoding cannot name code to run (no pickle):
:func:`decode` builds only the classes, enums and errors listed here, with exactly their
fields, each checked against its declared type; an exception crosses as the nearest of the
API's own error classes (an allow-list), with its code, message and fix. Parent → child: a
:class:`Request` carrying one typed :data:`Call`; child → parent: the :class:`Reply` to it, and
:class:`Event` s before it. The child runs the resource's code, so the parent checks every
message (:func:`reply_problem`, :func:`status_problem`, :data:`EVENT_PAYLOADS`); one that fails
is a protocol error and costs only that monitor process. docs/security.md has the threat model.
"""

from __future__ import annotations

import base64
import enum
import json
import os
import struct
import types
import typing
from typing import TYPE_CHECKING, ClassVar, Final, Literal

import attrs

from clusapi import _errors
from clusapi._enums import FailureType, LogLevel, RegValueType, ResourceState
from clusapi._errors import ClusterError, InvalidStateError, PropertyError
from clusapi._registry import RegValue, SubtreeSnapshot

from .._records import FailureReport, LogEntry, ResourceStatus
from .._resource import (
    NOT_HANDLED,
    CannotComeOnline,
    CannotComeOnlineOnAnyNode,
    CannotComeOnlineOnThisNode,
    NotHandled,
)
from ._host import PENDING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = (
    "EVENT_PAYLOADS",
    "MAX_FRAME",
    "Arbitrate",
    "Call",
    "Cancel",
    "Close",
    "Control",
    "Event",
    "Fail",
    "IsAlive",
    "LooksAlive",
    "Message",
    "Offline",
    "Online",
    "Open",
    "RegistryChange",
    "Release",
    "Reply",
    "Request",
    "Start",
    "StartConfig",
    "Terminate",
    "decode",
    "encode",
    "frame_length",
    "read_frame",
    "reply_problem",
    "status_problem",
)

_HEADER: Final = struct.Struct(">I")
#: Frames larger than this are a corrupt stream, not a message. The largest real ones carry
#: a copy of the local registry or a control code's output; the bound also caps what one frame
#: from the child can make the parent hold while it decodes it.
MAX_FRAME: Final = 16 * 1024 * 1024

#: Outcomes of a :class:`Reply`: ``"ok"`` (``value`` is the result), ``"error"`` (``value`` is
#: the ClusterError the host raised) or ``"cancelled"`` (a :class:`Cancel` ended it).
Outcome = Literal["ok", "error", "cancelled"]


# --------------------------------------------------------------------------- calls
#
# One class per call the parent makes; the child runs each in a task of its own, so Terminate,
# Fail and Cancel overlap the entry point in flight, as in-process (the others queue on the
# host's own gate). ``label`` names the call in the cluster log; ``raises``: the host method
# raises what the resource raised (the others raise only InvalidStateError, turning the
# resource's errors into a state).


@attrs.frozen
class StartConfig:
    """What :class:`Start` needs: the resource type and everything its host is built with."""

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
class Start:
    """First call: import the type, restore the registry copy, create the host. Replies
    ``(type_name, pid)``; ERROR_RESMON_CREATE_FAILED if the type cannot be imported."""

    label: ClassVar[str] = "Startup"
    raises: ClassVar[bool] = True
    config: StartConfig


@attrs.frozen
class Open:
    """Open with these parameters. Replies None."""

    label: ClassVar[str] = "Open"
    raises: ClassVar[bool] = True
    parameters: dict[str, object]


@attrs.frozen
class Online:
    """Online with these parameters and PendingTimeout; ``registry`` is the parent's local
    registry when it changed since the child's copy was in step (checkpoints were restored
    into it). Replies the state, ONLINE or FAILED."""

    label: ClassVar[str] = "Online"
    raises: ClassVar[bool] = False
    parameters: dict[str, object]
    pending_timeout: float
    registry: SubtreeSnapshot | None


@attrs.frozen
class Offline:
    """Offline with this PendingTimeout. Replies the state, OFFLINE or FAILED."""

    label: ClassVar[str] = "Offline"
    raises: ClassVar[bool] = False
    pending_timeout: float


@attrs.frozen
class Terminate:
    """Terminate, ending in ``final_state`` (OFFLINE or FAILED). Replies None."""

    label: ClassVar[str] = "Terminate"
    raises: ClassVar[bool] = False
    final_state: ResourceState


@attrs.frozen
class LooksAlive:
    """LooksAlive. Replies a bool."""

    label: ClassVar[str] = "LooksAlive"
    raises: ClassVar[bool] = False


@attrs.frozen
class IsAlive:
    """IsAlive. Replies a bool."""

    label: ClassVar[str] = "IsAlive"
    raises: ClassVar[bool] = False


@attrs.frozen
class Fail:
    """Fail the Online or pending resource (Failed + Terminate). Replies None."""

    label: ClassVar[str] = "Terminate"
    raises: ClassVar[bool] = False
    reason: str


@attrs.frozen
class Control:
    """ResourceControl. Replies the output bytes, or NOT_HANDLED."""

    label: ClassVar[str] = "ResourceControl"
    raises: ClassVar[bool] = True
    code: int
    data: bytes


@attrs.frozen
class Arbitrate:
    """Arbitrate; the child sends a ``"lost"`` event when the resource reports
    QuorumResourceLost. Replies None."""

    label: ClassVar[str] = "Arbitrate"
    raises: ClassVar[bool] = True


@attrs.frozen
class Release:
    """Release. Replies None."""

    label: ClassVar[str] = "Release"
    raises: ClassVar[bool] = False


@attrs.frozen
class Close:
    """Close (Terminate first unless Offline). Replies None."""

    label: ClassVar[str] = "Close"
    raises: ClassVar[bool] = False


@attrs.frozen
class Cancel:
    """Cancel request ``target`` (its caller was cancelled); that request replies
    ``"cancelled"``, this one not at all."""

    label: ClassVar[str] = "Cancel"
    raises: ClassVar[bool] = False
    target: int


Call = (
    Start
    | Open
    | Online
    | Offline
    | Terminate
    | LooksAlive
    | IsAlive
    | Fail
    | Control
    | Arbitrate
    | Release
    | Close
    | Cancel
)


# --------------------------------------------------------------------------- messages


@attrs.frozen
class Request:
    """Parent → child: make ``call``; answered by the :class:`Reply` with ``id``."""

    id: int
    call: Call


@attrs.frozen
class Reply:
    """Child → parent: the outcome of request ``id``."""

    id: int
    outcome: Outcome
    value: object = None


@attrs.frozen
class Event:
    """Child → parent, in the order they happened, before the reply of the request during
    which they happened: ``"status"`` (a ResourceStatus), ``"log"`` (a LogEntry),
    ``"failure"`` (a FailureReport), ``"registry"`` (a :class:`RegistryChange` of the child's
    copy of the local registry, for the parent to apply to the node's), ``"lost"`` (the
    resource called ``QuorumResourceLost``), ``"deadlocked"`` (an entry point ran past
    DeadlockTimeout and the host wrote the instance off: the parent recycles the process)."""

    kind: str
    payload: object = None


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

#: What each event of the child carries.
EVENT_PAYLOADS: Final[Mapping[str, type | tuple[type, ...]]] = {
    "status": ResourceStatus,
    "log": LogEntry,
    "failure": FailureReport,
    "registry": RegistryChange,
    "lost": type(None),
    "deadlocked": type(None),
}

_ONLINE: Final[frozenset[type]] = frozenset({Online})
#: The states a host reports, each with the calls during which it may (the host reports a
#: state only from an entry point; FAILED also when the resource fails on its own, see
#: :func:`status_problem`). An instance is never INITIALIZING, UNKNOWN or INHERITED there.
_STATUS_CALLS: Final[Mapping[ResourceState, frozenset[type]]] = {
    ResourceState.ONLINE_PENDING: _ONLINE,
    ResourceState.ONLINE: _ONLINE,
    ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE: _ONLINE,
    ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE: _ONLINE,
    ResourceState.OFFLINE_PENDING: frozenset({Offline}),
    ResourceState.OFFLINE: frozenset({Open, Offline, Terminate, Close}),
    ResourceState.FAILED: frozenset({Online, Offline, Terminate, Fail, Close}),
}


def reply_problem(call: Call, reply: Reply) -> str | None:
    """What makes ``reply`` not what the child's host answers to ``call``; None if nothing."""
    value = reply.value
    if reply.outcome == "error":
        ok = isinstance(value, ClusterError) and (call.raises or type(value) is InvalidStateError)
    elif reply.outcome == "cancelled":
        ok = value is None
    else:
        match call:
            case Start():
                ok = (
                    isinstance(value, tuple)
                    and len(value) == 2
                    and isinstance(value[0], str)
                    and type(value[1]) is int
                )
            case Online() | Offline():
                ok = value in _STATUS_CALLS and isinstance(value, ResourceState)
            case LooksAlive() | IsAlive():
                ok = isinstance(value, bool)
            case Control():
                ok = isinstance(value, bytes) or value is NOT_HANDLED
            case _:
                ok = value is None
    if ok:
        return None
    return f"a {reply.outcome!r} reply to {call.label} with {type(value).__name__} value"


def status_problem(
    state: ResourceState, current: ResourceState, in_flight: typing.Iterable[Call]
) -> str | None:
    """What makes a status report of ``state`` one the child's host could not make now; None
    if it could: during a call that makes it (a resource that says it is Online, or pending,
    while no Online runs would leave its group so, with no deadline to end it), or FAILED while
    it is ``current``\\ ly Online or pending (a failure it found on its own: SignalFailure, a
    worker)."""
    if state not in _STATUS_CALLS:
        return f"a status report of state {state.name}"
    if any(type(call) in _STATUS_CALLS[state] for call in in_flight):
        return None
    if state is ResourceState.FAILED and current in (ResourceState.ONLINE, *PENDING):
        return None
    return (
        f"a status report of state {state.name} while it is {current.name} and no "
        "request that makes it runs"
    )


# --------------------------------------------------------------------------- framing


def _classes() -> dict[str, type]:
    """The attrs classes a frame may hold, by name: nothing else is ever built from one."""
    return {
        cls.__name__: cls
        for cls in (
            Request,
            Reply,
            Event,
            *typing.get_args(Call),
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
