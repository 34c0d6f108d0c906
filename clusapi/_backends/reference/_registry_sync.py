"""The runtime's registry duties: REGISTRY_* notifications and registry checkpoints.

Checkpoints (research clusapi.md §7.9, resapi.md §6): a resource names subtrees of its node's
local registry. While it is online there, every change under them is captured into the
cluster database (``Resources\\<id>\\Checkpoints\\<n>``); before it comes online on a node,
the captured subtrees are restored there, overwriting edits made while it was offline; the
data goes with the resource when it is deleted.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Final

import anyio

from clusapi import _rules as rules
from clusapi._enums import ClusterChange, ResourceState
from clusapi._errors import make_error
from clusapi._registry import SubtreeSnapshot, matches_registration
from clusapi._values import Notification
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from clusapi._core._registry_tree import RegistryTree

    from ._model import NodeRecord, Registry, ResourceRecord

__all__ = ("RegistrySync",)

#: The resource states in which checkpointed changes are captured.
_CAPTURING: Final = frozenset({ResourceState.ONLINE, ResourceState.ONLINE_PENDING})


class RegistrySync:
    """Mixed into the runtime: it owns ``database``, ``nodes``, ``resources`` and the ports."""

    database: RegistryTree
    nodes: Registry[NodeRecord]
    resources: Registry[ResourceRecord]
    registry_ports: list[tuple[str, bool, int, MemoryObjectSendStream[Notification]]]

    def cluster_time(self) -> float:
        raise NotImplementedError  # provided by the runtime

    # -- REGISTRY_* notifications -------------------------------------------------------------

    def open_registry_port(
        self, path: str, change_filter: int, subtree: bool
    ) -> MemoryObjectReceiveStream[Notification]:
        send, receive = anyio.create_memory_object_stream[Notification](math.inf)
        self.registry_ports.append((path, subtree, change_filter, send))
        return receive

    def _database_changed(self, kind: ClusterChange, path: str, name: str | None) -> None:
        if not self.registry_ports:
            return
        dead = []
        for registered, subtree, mask, send in self.registry_ports:
            if not mask & kind:
                continue
            relative = matches_registration(registered, path, subtree)
            if relative is None:
                continue
            try:
                send.send_nowait(Notification(kind, relative, None, self.cluster_time()))
            except anyio.BrokenResourceError:
                dead.append(send)
        if dead:
            self.registry_ports = [p for p in self.registry_ports if p[3] not in dead]

    # -- checkpoints ----------------------------------------------------------------------------

    def checkpoint_paths(self, res: ResourceRecord) -> list[str]:
        return list(res.checkpoints)

    def add_checkpoint(self, res: ResourceRecord, path: str) -> None:
        """ADD_REGISTRY_CHECKPOINT: a subtree of the local registry, without a leading ``\\``.

        Raises:
            InvalidParameterError: for a path the local registry cannot hold (empty, a
                leading, trailing or doubled backslash, a NUL, a key name over 255).
            ObjectExistsError: ERROR_ALREADY_EXISTS if the resource has it already.
        """
        # Before anything is recorded: a bad path kept here would fail every later online.
        rules.check_checkpoint_path(res.name, path)
        if any(p.casefold() == path.casefold() for p in res.checkpoints):
            raise make_error(
                Win32Error.ERROR_ALREADY_EXISTS,
                f"resource {res.name!r} already has registry checkpoint {path!r}",
                fix="nothing to do",
            )
        res.checkpoints.append(path)
        node = self.nodes.by_id.get(res.node) if res.node else None
        if node is not None and res.state in _CAPTURING:
            self._capture(res, node, path)

    def delete_checkpoint(self, res: ResourceRecord, path: str) -> None:
        """DELETE_REGISTRY_CHECKPOINT; its captured data is deleted too.

        Raises:
            RegistryEntryNotFoundError: ERROR_FILE_NOT_FOUND if the resource has no such one.
        """
        wanted = path.casefold() if isinstance(path, str) else None  # type: ignore[redundant-expr, unused-ignore]
        match = next((p for p in res.checkpoints if p.casefold() == wanted), None)
        if match is None:
            raise make_error(
                Win32Error.ERROR_FILE_NOT_FOUND,
                f"resource {res.name!r} has no registry checkpoint {path!r}",
                fix="list them with CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS",
            )
        key = self._checkpoint_key(res, match)
        res.checkpoints.remove(match)
        if self.database.key_exists(key):
            self.database.delete_tree(key)

    def restore_checkpoints(self, res: ResourceRecord, node: NodeRecord) -> None:
        """Before Online on ``node``: put the captured subtrees into its local registry."""
        for path in res.checkpoints:
            key = self._checkpoint_key(res, path)
            if self.database.key_exists(key):
                node.local.restore(path, self.database.snapshot(key))

    def capture_checkpoints(self, res: ResourceRecord, node: NodeRecord) -> None:
        """Capture every checkpointed subtree of ``res`` from ``node`` now."""
        for path in res.checkpoints:
            self._capture(res, node, path)

    def _capture(self, res: ResourceRecord, node: NodeRecord, path: str) -> None:
        snapshot = node.local.snapshot(path) if node.local.key_exists(path) else SubtreeSnapshot()
        self.database.restore(self._checkpoint_key(res, path), snapshot)

    def _checkpoint_key(self, res: ResourceRecord, path: str) -> str:
        # A checkpoint's data is keyed by its position-independent name: the path with its
        # separators escaped, so two checkpoints never share a key. A valid path can be longer
        # than one key name may be: its data is then keyed by a digest, which starts with a
        # "#" no escaped path starts with.
        folded = path.casefold()
        escaped = folded.replace("%", "%25").replace("#", "%23").replace("\\", "%5C")
        if len(escaped) > rules.NAME_MAX:
            escaped = "#" + hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()
        return f"Resources\\{res.id}\\Checkpoints\\{escaped}"

    def _local_changed(
        self, node: NodeRecord, kind: ClusterChange, path: str, name: str | None
    ) -> None:
        """A node's local registry changed: capture it for every resource online there whose
        checkpoint covers the changed key."""
        del kind, name
        if not node.alive:
            return
        for rid in list(node.hosts):
            res = self.resources.by_id.get(rid)
            if res is None or res.state not in _CAPTURING or res.node != node.id:
                continue
            for checkpoint in res.checkpoints:
                if matches_registration(checkpoint, path, True) is not None:
                    self._capture(res, node, checkpoint)
