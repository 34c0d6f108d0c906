"""Registry checkpoints of the reference runtime (docs/cluster-api.md, "Registry checkpoints").

Checkpoints (research clusapi.md §7.9, resapi.md §6): a resource names subtrees of its node's
local registry. While it is online there, every change under them is captured into the
cluster database (``Resources\\<id>\\Checkpoints\\<n>``); before it comes online on a node,
the captured subtrees are restored there, overwriting edits made while it was offline; the
data goes with the resource when it is deleted.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final

from clusapi import _rules as rules
from clusapi._enums import ClusterChange, ResourceState
from clusapi._errors import make_error
from clusapi._registry import SubtreeSnapshot, matches_registration
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from ._model import NodeRecord, ResourceRecord
    from ._state import ClusterState

__all__ = ("Checkpoints",)

#: The resource states in which checkpointed changes are captured.
_CAPTURING: Final = frozenset({ResourceState.ONLINE, ResourceState.ONLINE_PENDING})


class Checkpoints:
    """The registry checkpoints of every resource, kept in the cluster database."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state

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
        node = self.state.nodes.by_id.get(res.node) if res.node else None
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
        if self.state.database.key_exists(key):
            self.state.database.delete_tree(key)

    def restore_checkpoints(self, res: ResourceRecord, node: NodeRecord) -> None:
        """Before Online on ``node``: put the captured subtrees into its local registry."""
        for path in res.checkpoints:
            key = self._checkpoint_key(res, path)
            if self.state.database.key_exists(key):
                node.local.restore(path, self.state.database.snapshot(key))

    def capture_checkpoints(self, res: ResourceRecord, node: NodeRecord) -> None:
        """Capture every checkpointed subtree of ``res`` from ``node`` now."""
        for path in res.checkpoints:
            self._capture(res, node, path)

    def _capture(self, res: ResourceRecord, node: NodeRecord, path: str) -> None:
        snapshot = node.local.snapshot(path) if node.local.key_exists(path) else SubtreeSnapshot()
        self.state.database.restore(self._checkpoint_key(res, path), snapshot)

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

    def local_changed(
        self, node: NodeRecord, kind: ClusterChange, path: str, name: str | None
    ) -> None:
        """A node's local registry changed: capture it for every resource online there whose
        checkpoint covers the changed key."""
        del kind, name
        if not node.alive:
            return
        for rid in list(node.hosts):
            res = self.state.resources.by_id.get(rid)
            if res is None or res.state not in _CAPTURING or res.node != node.id:
                continue
            for checkpoint in res.checkpoints:
                if matches_registration(checkpoint, path, True) is not None:
                    self._capture(res, node, checkpoint)
