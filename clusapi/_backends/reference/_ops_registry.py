"""The reference runtime's answer to the cluster-database operations of the Backend seam."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from clusapi import _operations as ops
from clusapi._enums import ClusterChange, RegValueType
from clusapi._errors import make_error
from clusapi._operations import ObjectKind
from clusapi._registry import BatchCommand, RegValue
from clusapi._win32 import Win32Error

from ._names import object_key_path

if TYPE_CHECKING:
    from collections.abc import Mapping

    from anyio.streams.memory import MemoryObjectReceiveStream

    from clusapi._backend import Operation
    from clusapi._values import Notification

    from ._dispatch import Handler
    from ._runtime import ReferenceRuntime

__all__ = ("HANDLERS",)

_REGISTRY_BITS = (
    ClusterChange.REGISTRY_NAME | ClusterChange.REGISTRY_ATTRIBUTES | ClusterChange.REGISTRY_VALUE
)


async def _object_key(rt: ReferenceRuntime, op: ops.GetObjectKey) -> str:
    if op.kind is ObjectKind.CLUSTER:
        return ""
    if op.kind is ObjectKind.NODE:
        return object_key_path("node", rt.state.node_record(op.id).id)
    if op.kind is ObjectKind.GROUP:
        return object_key_path("group", rt.state.group_record(op.id).id)
    if op.kind is ObjectKind.RESOURCE:
        return object_key_path("resource", rt.state.resource_record(op.id).id)
    return object_key_path("resource type", rt.state.type_record(op.id).name)


def _existing(rt: ReferenceRuntime, path: str) -> str:
    if not rt.state.database.key_exists(path):
        raise make_error(
            Win32Error.ERROR_FILE_NOT_FOUND,
            f"no key {path!r} in the cluster database",
            fix="create it first, or check the path",
        )
    return path


async def _key_exists(rt: ReferenceRuntime, op: ops.KeyExists) -> bool:
    return rt.state.database.key_exists(op.path)


async def _create_key(rt: ReferenceRuntime, op: ops.CreateKey) -> bool:
    return rt.state.database.create_key(op.path)


async def _delete_key(rt: ReferenceRuntime, op: ops.DeleteKey) -> None:
    if op.tree:
        rt.state.database.delete_tree(op.path)
    else:
        rt.state.database.delete_key(op.path)


async def _set_value(rt: ReferenceRuntime, op: ops.SetValue) -> None:
    rt.state.database.set_value(
        op.path, op.name, RegValue.from_python(op.value, op.type, name=op.name)
    )


async def _query_value(rt: ReferenceRuntime, op: ops.QueryValue) -> tuple[RegValueType, object]:
    value = rt.state.database.query_value(op.path, op.name)
    return value.type, value.data


async def _delete_value(rt: ReferenceRuntime, op: ops.DeleteValue) -> None:
    rt.state.database.delete_value(op.path, op.name)


async def _enum_keys(rt: ReferenceRuntime, op: ops.EnumKeys) -> tuple[str, ...]:
    return tuple(rt.state.database.enum_keys(op.path))


async def _enum_values(
    rt: ReferenceRuntime, op: ops.EnumValues
) -> tuple[tuple[str, RegValueType, object], ...]:
    return tuple(
        (name, value.type, value.data) for name, value in rt.state.database.enum_values(op.path)
    )


async def _commit(rt: ReferenceRuntime, op: ops.CommitBatch) -> None:
    commands = []
    for index, (command, name, reg_type, data) in enumerate(op.commands):
        value = None
        if data is not None:
            try:
                value = RegValue.from_python(data, reg_type, name=name)
            except Exception as exc:
                # Report a bad value with its command's index, as the commit would.
                exc.failed_command = index  # type: ignore[attr-defined]
                raise
        commands.append(BatchCommand(command, name, value))
    rt.state.database.commit(op.path, commands)


async def _registry_port(
    rt: ReferenceRuntime, op: ops.OpenRegistryPort
) -> MemoryObjectReceiveStream[Notification]:
    if not op.filter & _REGISTRY_BITS or op.filter & ~(
        _REGISTRY_BITS | ClusterChange.REGISTRY_SUBTREE
    ):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"a key's notification filter takes REGISTRY_NAME, REGISTRY_ATTRIBUTES and "
            f"REGISTRY_VALUE only, not {op.filter!r}",
            fix="use cluster.notifications() for changes of cluster objects",
        )
    return rt.state.open_registry_port(_existing(rt, op.path), int(op.filter), op.subtree)


async def _add_checkpoint(rt: ReferenceRuntime, op: ops.AddCheckpoint) -> None:
    rt.checkpoints.add_checkpoint(rt.state.resource_record(op.id), op.path)


async def _delete_checkpoint(rt: ReferenceRuntime, op: ops.DeleteCheckpoint) -> None:
    rt.checkpoints.delete_checkpoint(rt.state.resource_record(op.id), op.path)


async def _checkpoints(rt: ReferenceRuntime, op: ops.GetCheckpoints) -> tuple[str, ...]:
    return tuple(rt.checkpoints.checkpoint_paths(rt.state.resource_record(op.id)))


#: The operations this module answers, and how (merged by ``_dispatch``).
HANDLERS: Final[Mapping[type[Operation[Any]], Handler]] = {
    ops.GetObjectKey: _object_key,
    ops.KeyExists: _key_exists,
    ops.CreateKey: _create_key,
    ops.DeleteKey: _delete_key,
    ops.SetValue: _set_value,
    ops.QueryValue: _query_value,
    ops.DeleteValue: _delete_value,
    ops.EnumKeys: _enum_keys,
    ops.EnumValues: _enum_values,
    ops.CommitBatch: _commit,
    ops.OpenRegistryPort: _registry_port,
    ops.AddCheckpoint: _add_checkpoint,
    ops.DeleteCheckpoint: _delete_checkpoint,
    ops.GetCheckpoints: _checkpoints,
}
