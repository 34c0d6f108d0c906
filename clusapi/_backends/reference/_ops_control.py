"""Control codes in the reference runtime: ``Cluster*Control`` and the monitor's default processing.

One handler answers :class:`~clusapi.lowlevel.Control` for every object kind: it looks the
object up, refuses codes of another object kind and internal codes (ERROR_INVALID_FUNCTION),
answers the registry-checkpoint codes itself, offers every other code to the DLL, and gives
the default processing when the DLL does not handle it. The full rules, with their sources,
are in docs/architecture.md, "Control codes".
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from clusapi import _operations as ops, _rules as rules
from clusapi._common import (
    ClusterCommonProperties,
    GroupCommonProperties,
    NodeCommonProperties,
    ResourceCommonProperties,
    ResourceTypeCommonProperties,
)
from clusapi._controlcode import (
    ControlAccess,
    ControlCode,
    ControlFunction,
    ControlObject,
    compose_control_code,
    decompose_control_code,
)
from clusapi._enums import (
    ClusterChange,
    LogLevel,
    PropertySyntax,
    ResourceFlags,
    ResourceState,
)
from clusapi._errors import ClusterError, make_error
from clusapi._operations import ObjectKind
from clusapi._properties import PropertyTable, property_error
from clusapi._proplist import PropertyList, PropertyValueEntry, ValueList, encode_multi_sz
from clusapi._values import ControlResult
from clusapi._win32 import Win32Error
from resapi._resource import NOT_HANDLED, Resource

from ._model import ResourceRecord, TypeRecord
from ._names import object_key_path
from ._ops_cluster import set_common
from ._ops_resources import set_private, validate_private
from ._parameters import ParametersView

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from clusapi._backend import Operation
    from resapi._monitor._host import InstanceHost

    from ._dispatch import Handler
    from ._model import NodeRecord
    from ._runtime import ReferenceRuntime

__all__ = ("HANDLERS",)

_F = ControlFunction


class NoPrivateProperties(PropertyTable):
    """Groups, nodes and the cluster have no private properties."""


_OBJECT: Final = {
    ObjectKind.CLUSTER: ControlObject.CLUSTER,
    ObjectKind.NODE: ControlObject.NODE,
    ObjectKind.GROUP: ControlObject.GROUP,
    ObjectKind.RESOURCE: ControlObject.RESOURCE,
    ObjectKind.RESOURCE_TYPE: ControlObject.RESOURCE_TYPE,
}
#: The kinds behind which a DLL sits, and so may define codes of its own.
_WITH_DLL: Final = frozenset({ObjectKind.RESOURCE, ObjectKind.RESOURCE_TYPE})
_CHECKPOINT_FUNCTIONS: Final = frozenset(
    {
        _F.ADD_REGISTRY_CHECKPOINT,
        _F.DELETE_REGISTRY_CHECKPOINT,
        _F.GET_REGISTRY_CHECKPOINTS,
        _F.ADD_CRYPTO_CHECKPOINT,
        _F.DELETE_CRYPTO_CHECKPOINT,
        _F.GET_CRYPTO_CHECKPOINTS,
        _F.ADD_REGISTRY_CHECKPOINT_64BIT,
        _F.ADD_REGISTRY_CHECKPOINT_32BIT,
    }
)
_ADD_CHECKPOINT: Final = frozenset(
    {_F.ADD_REGISTRY_CHECKPOINT, _F.ADD_REGISTRY_CHECKPOINT_64BIT, _F.ADD_REGISTRY_CHECKPOINT_32BIT}
)
#: The functions that are CLUS_ACCESS_WRITE + CLUS_MODIFY in clusapi.h (the rest are READ).
_WRITES: Final = frozenset(
    {
        _F.SET_COMMON_PROPERTIES,
        _F.SET_PRIVATE_PROPERTIES,
        _F.ADD_REGISTRY_CHECKPOINT,
        _F.DELETE_REGISTRY_CHECKPOINT,
        _F.ADD_CRYPTO_CHECKPOINT,
        _F.DELETE_CRYPTO_CHECKPOINT,
        _F.ADD_REGISTRY_CHECKPOINT_64BIT,
        _F.ADD_REGISTRY_CHECKPOINT_32BIT,
    }
)
#: A resource's private-property changes: the monitor offers them to the DLL (VALIDATE, then
#: SET) as part of the change, whether or not an instance is open (``_ops_resources``).
_ROUTED: Final = frozenset({_F.SET_PRIVATE_PROPERTIES, _F.VALIDATE_PRIVATE_PROPERTIES})
_PROPERTY_EVENT: Final = {
    ObjectKind.CLUSTER: ClusterChange.CLUSTER_PROPERTY,
    ObjectKind.NODE: ClusterChange.NODE_PROPERTY,
    ObjectKind.GROUP: ClusterChange.GROUP_PROPERTY,
    ObjectKind.RESOURCE: ClusterChange.RESOURCE_PROPERTY,
    ObjectKind.RESOURCE_TYPE: ClusterChange.RESOURCE_TYPE_PROPERTY,
}


def _code_name(code: int) -> str:
    try:
        return f"CLUSCTL_{ControlCode(code).name} ({code:#010x})"
    except ValueError:
        return f"control code {code:#010x}"


def _invalid_function(what: str, fix: str) -> ClusterError:
    return make_error(Win32Error.ERROR_INVALID_FUNCTION, what, fix=fix)


# -- the object a code is sent to ------------------------------------------------------------


@attrs.frozen
class _Subject:
    """What default processing needs to know about the object a code was sent to."""

    kind: ObjectKind
    #: "resource 'web'": how errors name it.
    label: str
    name: str
    #: The id the handle shows (the type name for a type); None for the cluster.
    ident: str | None
    common: type[PropertyTable]
    common_store: MutableMapping[str, object]
    #: Read-only common properties that are not table rows (all SZ), in list order.
    read_only: Mapping[str, str]
    private: type[PropertyTable]
    private_store: MutableMapping[str, object]
    characteristics: int
    flags: int
    #: The implementation of a resource or resource type.
    implementation: type[Resource] | None = None
    resource: ResourceRecord | None = None
    rtype: TypeRecord | None = None

    @property
    def control_object(self) -> ControlObject:
        return _OBJECT[self.kind]


def _subject(rt: ReferenceRuntime, op: ops.Control) -> _Subject:
    kind = op.kind
    if kind is ObjectKind.RESOURCE:
        res = rt.state.resource_record(op.id)
        cls = res.type.implementation
        flags = int(cls.flags) | (ResourceFlags.CORE if res.id == rt.membership.quorum_id else 0)
        return _Subject(
            kind,
            f"resource {res.name!r}",
            res.name,
            res.id,
            ResourceCommonProperties,
            res.properties,
            {"Name": res.name, "Type": res.type.name},
            cls.Properties,
            res.private,
            int(cls.type_characteristics()),
            flags,
            implementation=cls,
            resource=res,
        )
    if kind is ObjectKind.RESOURCE_TYPE:
        rtype = rt.state.type_record(op.id)
        cls = rtype.implementation
        key = object_key_path("resource type", rtype.name) + "\\Parameters"
        return _Subject(
            kind,
            f"resource type {rtype.name!r}",
            rtype.name,
            rtype.name,
            ResourceTypeCommonProperties,
            rtype.properties,
            {"Name": rtype.name, "DllName": rtype.implementation_path},
            cls.Properties,
            ParametersView(rt.state.database, key, cls.Properties),
            int(cls.type_characteristics()),
            int(cls.flags),
            implementation=cls,
            rtype=rtype,
        )
    if kind is ObjectKind.GROUP:
        group = rt.state.group_record(op.id)
        core = rt.membership.quorum_id is not None and rt.membership.quorum_id in group.resources
        return _Subject(
            kind,
            f"group {group.name!r}",
            group.name,
            group.id,
            GroupCommonProperties,
            group.properties,
            {"Name": group.name},
            NoPrivateProperties,
            {},
            0,
            int(ResourceFlags.CORE) if core else 0,
        )
    if kind is ObjectKind.NODE:
        node = rt.state.node_record(op.id)
        key = object_key_path("node", node.id)
        return _Subject(
            kind,
            f"node {node.name!r}",
            node.name,
            node.id,
            NodeCommonProperties,
            ParametersView(rt.state.database, key, NodeCommonProperties),
            {"NodeName": node.name},
            NoPrivateProperties,
            {},
            0,
            0,
        )
    return _Subject(
        kind,
        f"cluster {rt.state.cluster_name!r}",
        rt.state.cluster_name,
        None,
        ClusterCommonProperties,
        ParametersView(rt.state.database, "", ClusterCommonProperties),
        {"Name": rt.state.cluster_name},
        NoPrivateProperties,
        {},
        0,
        0,
    )


def _host_node(rt: ReferenceRuntime, name: str | None) -> NodeRecord | None:
    """The node ``hHostNode`` names, which must be up."""
    if name is None:
        return None
    node = rt.state.find_node(name)
    if not node.up:
        raise make_error(
            Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
            f"node {node.name!r} is not up, so it cannot run the control code",
            fix="send it to a node that is up, or pass node=None for the owner",
        )
    return node


def _canonical(obj: ControlObject, function: ControlFunction) -> int:
    """``CLUSCTL_<OBJECT>_<FUNCTION>`` as clusapi.h composes it."""
    if function is _F.UNKNOWN:
        return compose_control_code(obj, function, ControlAccess.ANY)
    if function in _WRITES:
        return compose_control_code(obj, function, ControlAccess.WRITE, modify=True)
    return compose_control_code(obj, function, ControlAccess.READ)


def _standard_function(subject: _Subject, code: int) -> ControlFunction | None:
    """The function of ``code`` if it is exactly a header code of the subject's object."""
    parts = decompose_control_code(code)
    function = parts.function
    if parts.object != subject.control_object or not isinstance(function, ControlFunction):
        return None  # DLL-defined (user/global bit, or object USER), internal, or unnamed
    return function if code == _canonical(subject.control_object, function) else None


# -- the handler -----------------------------------------------------------------------------


async def _control(rt: ReferenceRuntime, op: ops.Control) -> ControlResult:
    subject = _subject(rt, op)
    parts = decompose_control_code(op.code)
    obj = parts.object
    if obj != subject.control_object and not (
        subject.kind in _WITH_DLL and obj >= ControlObject.USER
    ):
        named = obj.name if isinstance(obj, ControlObject) else f"object {obj}"
        if obj >= ControlObject.USER:
            fix = "only resources and resource types have DLLs that define codes of their own"
        elif obj is ControlObject.INVALID:
            fix = "OR the object into the code (CLUSCTL_<OBJECT>_CODE)"
        else:
            fix = f"send it to a {named.lower().replace('_', ' ')} instead"
        raise _invalid_function(
            f"{_code_name(op.code)} is a {named} code (object byte {int(obj)}); "
            f"{subject.label} takes CLUSCTL_{subject.control_object.name}_* codes "
            f"(object byte {int(subject.control_object)})",
            fix,
        )
    if parts.internal:
        raise _invalid_function(
            f"{_code_name(op.code)} is an internal code (CLCTL_INTERNAL_MASK): the cluster "
            f"service sends it to resource DLLs, {subject.label} does not take it from clients",
            "use the Cluster API call that causes the notification instead",
        )
    node = _host_node(rt, op.node)
    function = _standard_function(subject, op.code)

    if subject.resource is not None and parts.object == ControlObject.RESOURCE:
        checkpoint = parts.function if not (parts.user or parts.global_) else None
        if checkpoint in _CHECKPOINT_FUNCTIONS:
            # Never passed to the DLL (research resapi.md §5.9).
            return _checkpoint(rt, subject.resource, function, op)

    reached = False
    if subject.resource is not None and function in _ROUTED:
        pass  # set_private/validate_private offer it to the DLL themselves, offline too
    elif subject.resource is not None:
        host = _instance(rt, subject.resource, node)
        if host is not None:
            reached = True
            answer = await _from_dll(host.control(op.code, op.data))
            if answer is not None:
                return answer
    elif subject.rtype is not None:
        reached = True
        answer = await _from_type_dll(rt, subject.rtype, op)
        if answer is not None:
            return answer

    if function is _F.UNKNOWN and subject.kind is ObjectKind.RESOURCE and not reached:
        raise _invalid_function(
            f"no resource DLL is processing control codes for {subject.label}: "
            "it has no instance (it was never brought online, or its node is down)",
            "bring the resource online first",
        )
    entry = _DEFAULTS.get(function) if function is not None else None
    if entry is None and subject.resource is not None and not reached:
        # A code only the resource could answer, and no instance of it runs: say that, not
        # "not handled" (the client may retry once the resource is up again).
        raise make_error(
            Win32Error.ERROR_RESOURCE_NOT_ONLINE,
            f"{_code_name(op.code)} needs the resource DLL, and {subject.label} has no "
            "running instance (never brought online, or its node is down)",
            fix="bring the resource online, or retry after its failover",
        )
    if entry is None or subject.kind not in entry[0]:
        raise _invalid_function(
            f"{_code_name(op.code)} is not handled by {subject.label}"
            + (
                " (it has no instance to pass it to)"
                if subject.resource is not None and not reached
                else ""
            ),
            "check the code against the object's CLUSCTL_* table; DLL-defined codes need a "
            "DLL that answers them",
        )
    return await entry[1](rt, subject, op.data)


def _instance(
    rt: ReferenceRuntime, res: ResourceRecord, node: NodeRecord | None
) -> InstanceHost | None:
    """The opened instance of ``res`` on ``node`` (default: where it runs), if any."""
    if node is None:
        node = rt.state.nodes.by_id.get(res.node) if res.node else None
    if node is None or not node.alive:
        return None
    host = node.hosts.get(res.id)
    if host is None or host.state is ResourceState.INITIALIZING:
        return None  # not opened (yet): nothing to call
    return host


async def _from_dll(call: Awaitable[object]) -> ControlResult | None:
    """What a DLL's answer means: a result, or None for default processing."""
    try:
        result = await call
    except ClusterError as exc:
        if exc.winerror == Win32Error.ERROR_INVALID_FUNCTION:
            return None  # "process it for me" (research resapi.md §5.9)
        if exc.winerror == Win32Error.ERROR_RESOURCE_PROPERTIES_STORED:
            return ControlResult(b"", properties_stored=True)
        raise
    if result is NOT_HANDLED:
        return None
    assert isinstance(result, bytes), "the host checks the type"
    return ControlResult(result)


async def _from_type_dll(
    rt: ReferenceRuntime, rtype: TypeRecord, op: ops.Control
) -> ControlResult | None:
    """Offer a code to ``type_control``, with the host's rules for ``control``."""

    async def call() -> object:
        try:
            result: object = await rtype.implementation.type_control(op.code, op.data)
        except ClusterError:
            raise
        except Exception as exc:
            rt.state.log(
                LogLevel.ERROR,
                f"resource type {rtype.name}",
                f"ResourceTypeControl({op.code:#010x}) raised {exc!r}",
            )
            raise make_error(
                Win32Error.ERROR_INVALID_FUNCTION, f"resource type {rtype.name!r} raised {exc!r}"
            ) from exc
        if result is NOT_HANDLED or isinstance(result, bytes):
            return result
        rt.state.log(
            LogLevel.ERROR,
            f"resource type {rtype.name}",
            f"ResourceTypeControl({op.code:#010x}) returned {result!r}, not bytes or NOT_HANDLED",
        )
        raise make_error(
            Win32Error.ERROR_INVALID_DATA,
            f"resource type {rtype.name!r} answered {_code_name(op.code)} with "
            f"{type(result).__name__}",
            fix="return bytes, or resapi.NOT_HANDLED for default processing",
        )

    return await _from_dll(call())


# -- registry checkpoints --------------------------------------------------------------------


def _checkpoint(
    rt: ReferenceRuntime, res: ResourceRecord, function: ControlFunction | None, op: ops.Control
) -> ControlResult:
    label = f"resource {res.name!r}"
    if function is None or function in {
        _F.ADD_CRYPTO_CHECKPOINT,
        _F.DELETE_CRYPTO_CHECKPOINT,
        _F.GET_CRYPTO_CHECKPOINTS,
    }:
        raise _invalid_function(
            f"{_code_name(op.code)} is not handled by {label}"
            + (
                ": the reference runtime has no crypto checkpoints"
                if function is not None
                else ": its access or modify bits are not the header's"
            ),
            "use the CLUSCTL_RESOURCE_*_REGISTRY_CHECKPOINT(S) codes",
        )
    if function is _F.GET_REGISTRY_CHECKPOINTS:
        return ControlResult(encode_multi_sz(rt.checkpoints.checkpoint_paths(res)))
    path = _input_sz(op.data, label, "the registry key path")
    if function in _ADD_CHECKPOINT:
        rt.checkpoints.add_checkpoint(res, path)
    else:
        rt.checkpoints.delete_checkpoint(res, path)
    return ControlResult(b"")


def _input_sz(data: bytes, label: str, what: str) -> str:
    """One NUL-terminated UTF-16-LE string (an SZ input buffer)."""
    problem = None
    if len(data) < 2 or len(data) % 2 or data[-2:] != b"\0\0":
        problem = f"{len(data)} bytes that are not a NUL-terminated UTF-16 string"
    else:
        try:
            text = data[:-2].decode("utf-16-le")
        except UnicodeDecodeError as exc:
            problem = f"invalid UTF-16 at byte {exc.start}"
        else:
            if "\0" not in text:
                return text
            problem = "a NUL before its end"
    raise make_error(
        Win32Error.ERROR_INVALID_DATA,
        f"{label}: the input buffer should hold {what} as an SZ, but holds {problem}",
        fix="encode it as (path + '\\0').encode('utf-16-le')",
    )


# -- default processing: simple answers ------------------------------------------------------


def _dword(value: int) -> ControlResult:
    return ControlResult(struct.pack("<I", value))


def _sz(text: str) -> ControlResult:
    return ControlResult(text.encode("utf-16-le") + b"\0\0")


def _impl(subject: _Subject) -> type[Resource]:
    assert subject.implementation is not None, "only resources and types get here"
    return subject.implementation


async def _unknown(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return ControlResult(b"")


async def _characteristics(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return _dword(subject.characteristics)


async def _flags(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return _dword(subject.flags)


async def _class_info(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return ControlResult(struct.pack("<II", int(_impl(subject).resource_class), 0))


async def _required_dependencies(
    rt: ReferenceRuntime, subject: _Subject, data: bytes
) -> ControlResult:
    names = _impl(subject).required_dependencies
    return ControlResult(ValueList.from_values((PropertySyntax.NAME, n) for n in names).to_bytes())


async def _name(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return _sz(subject.name)


async def _id(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    if subject.ident is None:  # pragma: no cover  (the cluster is not offered GET_ID)
        raise _invalid_function(f"{subject.label} has no id", "use GET_NAME")
    return _sz(subject.ident)


async def _resource_type(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    assert subject.resource is not None
    return _sz(subject.resource.type.name)


async def _no_checkpoints(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return ControlResult(encode_multi_sz(()))


# -- default processing: properties ----------------------------------------------------------


def _read_only_rows(table: type[PropertyTable]) -> frozenset[str]:
    return frozenset(item.name for item in table.items() if item.read_only)


def _stored(
    table: type[PropertyTable], store: Mapping[str, object], *, unknown: bool
) -> dict[str, object]:
    """The stored values to list: the table's rows, and with ``unknown`` every other name."""
    if unknown:
        return dict(store)
    return {name: store[name] for name in table.names() if name in store}


def _property_list(subject: _Subject, *, private: bool, read_only: bool) -> PropertyList:
    table = subject.private if private else subject.common
    store = subject.private_store if private else subject.common_store
    with rules.about(subject.label):
        full = PropertyList.from_table(_stored(table, store, unknown=private), table)
    ro_rows = _read_only_rows(table)
    if not read_only:
        return PropertyList(tuple((n, v) for n, v in full.entries if n not in ro_rows))
    rows = tuple((n, v) for n, v in full.entries if n in ro_rows)
    extras = {} if private else dict(subject.read_only)
    return PropertyList((*PropertyList.from_values(extras).entries, *rows))


def _enum(subject: _Subject, *, private: bool) -> ControlResult:
    table = subject.private if private else subject.common
    names = [*({} if private else subject.read_only), *table.names()]
    if private:
        known = set(names)
        names.extend(n for n in subject.private_store if n not in known)
    return ControlResult(encode_multi_sz(names))


def _formats(table: type[PropertyTable], *, writable_only: bool) -> ControlResult:
    entries = tuple(
        (item.name, (PropertyValueEntry.encode(PropertySyntax.LIST_VALUE_WORD, int(item.format)),))
        for item in table.items()
        if not (writable_only and item.read_only)
    )
    return ControlResult(PropertyList(entries).to_bytes())


def _changes(subject: _Subject, data: bytes, *, private: bool) -> dict[str, object]:
    """The input property list as ``{property name: value}``, checked against the table's
    names; values are verified later, by the table."""
    if not data:
        raise make_error(
            Win32Error.ERROR_INVALID_DATA,
            f"{subject.label}: no property list in the input buffer",
            fix="pass PropertyList.from_values({...}).to_bytes()",
        )
    try:
        plist = PropertyList.from_bytes(data, client=True)
    except ClusterError as exc:
        raise make_error(exc.winerror, f"{subject.label}: {exc.description}", fix=exc.fix) from None
    table = subject.private if private else subject.common
    by_fold = {item.name.casefold(): item.name for item in table.items()}
    read_only = {} if private else {n.casefold(): n for n in subject.read_only}
    where = table.__qualname__
    changes: dict[str, object] = {}
    with rules.about(subject.label):
        for name, values in plist.entries:
            folded = name.casefold()
            if folded in read_only:
                raise property_error(where, read_only[folded], "is read-only", "do not set it")
            key = by_fold.get(folded)
            if key is None:
                known = ", ".join(repr(n) for n in table.names()) or "none"
                raise property_error(
                    where, name, "is not in the table", f"use one of the properties ({known})"
                )
            if key in changes:
                raise property_error(where, key, "is given twice", "name each property once")
            if len(values) != 1:
                raise property_error(
                    where,
                    key,
                    f"carries {len(values)} values",
                    "send one value per property",
                )
            changes[key] = values[0].value
    return changes


def _verify_common(subject: _Subject, changes: Mapping[str, object]) -> None:
    """What ``_set_common`` checks before it stores (research clusapi.md §7.10)."""
    table = subject.common
    rules.check_common(
        table, _stored(table, subject.common_store, unknown=False), changes, subject.label
    )


async def _enum_common(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return _enum(subject, private=False)


async def _enum_private(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return _enum(subject, private=True)


async def _get_common(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return ControlResult(_property_list(subject, private=False, read_only=False).to_bytes())


async def _get_ro_common(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return ControlResult(_property_list(subject, private=False, read_only=True).to_bytes())


async def _get_private(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return ControlResult(_property_list(subject, private=True, read_only=False).to_bytes())


async def _get_ro_private(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return ControlResult(_property_list(subject, private=True, read_only=True).to_bytes())


async def _common_fmts(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return _formats(subject.common, writable_only=True)


async def _private_fmts(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    return _formats(subject.private, writable_only=False)


async def _resource_common_fmts(
    rt: ReferenceRuntime, subject: _Subject, data: bytes
) -> ControlResult:
    return _formats(ResourceCommonProperties, writable_only=True)


async def _validate_common(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    _verify_common(subject, _changes(subject, data, private=False))
    return ControlResult(b"")


async def _validate_private(rt: ReferenceRuntime, subject: _Subject, data: bytes) -> ControlResult:
    changes = _changes(subject, data, private=True)
    if subject.resource is not None:
        await validate_private(rt, subject.resource, changes)
        return ControlResult(b"")
    with rules.about(subject.label):
        subject.private.validate_change(subject.private_store, changes)
    return ControlResult(b"")


async def _set_common_properties(
    rt: ReferenceRuntime, subject: _Subject, data: bytes
) -> ControlResult:
    changes = _changes(subject, data, private=False)
    if subject.kind in (ObjectKind.GROUP, ObjectKind.RESOURCE, ObjectKind.RESOURCE_TYPE):
        assert subject.ident is not None
        update = await set_common(rt, ops.SetCommonProperties(subject.kind, subject.ident, changes))
        return ControlResult(b"", properties_stored=update.takes_effect_at_next_online)
    _verify_common(subject, changes)
    with rules.about(subject.label):
        written = subject.common.apply(subject.common_store, changes)
    if written:
        rt.state.events.emit(
            _PROPERTY_EVENT[subject.kind], subject.name, subject.ident, properties=written
        )
    return ControlResult(b"")


async def _set_private_properties(
    rt: ReferenceRuntime, subject: _Subject, data: bytes
) -> ControlResult:
    changes = _changes(subject, data, private=True)
    if subject.resource is not None:
        update = await set_private(rt, ops.SetPrivateProperties(subject.resource.id, changes))
        return ControlResult(b"", properties_stored=update.takes_effect_at_next_online)
    with rules.about(subject.label):
        written = subject.private.apply(subject.private_store, changes)
    if written:
        rt.state.events.emit(
            _PROPERTY_EVENT[subject.kind], subject.name, subject.ident, properties=written
        )
    return ControlResult(b"")


_ALL: Final = frozenset(ObjectKind)
_RES: Final = ObjectKind.RESOURCE
_TYPE: Final = ObjectKind.RESOURCE_TYPE
_DLL_KINDS: Final = frozenset({_RES, _TYPE})
#: Default processing: function → (the kinds that answer it, the answer).
_DEFAULTS: Final[
    dict[
        ControlFunction,
        tuple[
            frozenset[ObjectKind],
            Callable[[ReferenceRuntime, _Subject, bytes], Awaitable[ControlResult]],
        ],
    ]
] = {
    # A resource's UNKNOWN is answered before: success only if its DLL saw the code.
    _F.UNKNOWN: (_ALL, _unknown),
    _F.GET_CHARACTERISTICS: (_ALL, _characteristics),
    _F.GET_FLAGS: (_ALL, _flags),
    _F.GET_CLASS_INFO: (_DLL_KINDS, _class_info),
    _F.GET_REQUIRED_DEPENDENCIES: (_DLL_KINDS, _required_dependencies),
    _F.GET_NAME: (_ALL - {_TYPE}, _name),
    _F.GET_ID: (frozenset({_RES, ObjectKind.GROUP, ObjectKind.NODE}), _id),
    _F.GET_RESOURCE_TYPE: (frozenset({_RES}), _resource_type),
    _F.ENUM_COMMON_PROPERTIES: (_ALL, _enum_common),
    _F.GET_RO_COMMON_PROPERTIES: (_ALL, _get_ro_common),
    _F.GET_COMMON_PROPERTIES: (_ALL, _get_common),
    _F.SET_COMMON_PROPERTIES: (_ALL, _set_common_properties),
    _F.VALIDATE_COMMON_PROPERTIES: (_ALL, _validate_common),
    _F.GET_COMMON_PROPERTY_FMTS: (_ALL, _common_fmts),
    _F.ENUM_PRIVATE_PROPERTIES: (_ALL, _enum_private),
    _F.GET_RO_PRIVATE_PROPERTIES: (_ALL, _get_ro_private),
    _F.GET_PRIVATE_PROPERTIES: (_ALL, _get_private),
    _F.SET_PRIVATE_PROPERTIES: (_ALL, _set_private_properties),
    _F.VALIDATE_PRIVATE_PROPERTIES: (_ALL, _validate_private),
    _F.GET_PRIVATE_PROPERTY_FMTS: (_ALL, _private_fmts),
    _F.GET_COMMON_RESOURCE_PROPERTY_FMTS: (frozenset({_TYPE}), _resource_common_fmts),
    _F.GET_PRIVATE_RESOURCE_PROPERTY_FMTS: (frozenset({_TYPE}), _private_fmts),
    _F.GET_REGISTRY_CHECKPOINTS: (frozenset({_TYPE}), _no_checkpoints),
}


#: The operations this module answers, and how (merged by ``_dispatch``).
HANDLERS: Final[Mapping[type[Operation[Any]], Handler]] = {
    ops.Control: _control,
}
