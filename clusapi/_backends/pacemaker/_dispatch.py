"""Which handler runs which operation, for PacemakerBackend.execute: one table, built here.

Every operation of :mod:`clusapi.lowlevel` is in exactly one of :data:`HANDLERS` (by subject,
in ``_ops_cluster``, ``_ops_groups`` and ``_ops_resources``) and :data:`NOT_SUPPORTED` (no
counterpart on Pacemaker: why, and what to do instead);
``tests/pacemaker/test_handlers_pacemaker.py`` checks it. See ``docs/pacemaker.md`` ("The mapping").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from clusapi import _operations as ops

from . import _ops_cluster as cluster, _ops_groups as groups, _ops_resources as resources
from ._checks import not_supported

if TYPE_CHECKING:
    from clusapi._backend import Operation
    from clusapi._errors import ClusterError

    from ._session import Session

__all__ = ("HANDLERS", "NOT_SUPPORTED", "Handler", "Refusal")

Handler = Callable[["Session", Any], Awaitable[Any]]


@attrs.frozen
class Refusal:
    """Why Pacemaker has no counterpart of an operation, and what to do instead.

    ``what`` is a :meth:`str.format` template of the operation's fields (``{op.kind.value}``).
    """

    what: str
    fix: str

    def error(self, op: Operation[Any]) -> ClusterError:
        """The ERROR_NOT_SUPPORTED to raise for ``op``."""
        return not_supported(self.what.format(op=op), fix=self.fix)


#: Operation class -> the coroutine that runs it.
HANDLERS: Final[Mapping[type[Operation[Any]], Handler]] = {
    # the cluster
    ops.GetClusterInfo: cluster.get_info,
    ops.ListObjects: cluster.list_objects,
    ops.OpenObject: cluster.open_object,
    ops.GetCommonProperties: cluster.get_common,
    ops.SetCommonProperties: cluster.set_common,
    ops.OpenNotifyPort: cluster.notify,
    ops.GetQuorumResource: cluster.get_quorum,
    # nodes
    ops.GetNodeState: cluster.node_state,
    ops.PauseNode: cluster.pause,
    ops.ResumeNode: cluster.resume,
    ops.GetNodeGroups: cluster.node_groups,
    # resource types
    ops.CreateResourceType: cluster.create_type,
    ops.DeleteResourceType: cluster.delete_type,
    ops.GetResourceTypeInfo: cluster.type_get,
    ops.GetTypeResources: cluster.type_resources,
    # groups
    ops.CreateGroup: groups.create_group,
    ops.DeleteGroup: groups.delete_group,
    ops.GetGroupState: groups.group_state,
    ops.OnlineGroup: groups.online_group,
    ops.OfflineGroup: groups.offline_group,
    ops.MoveGroup: groups.move_group,
    ops.SetPreferredOwners: groups.set_preferred,
    ops.GetPreferredOwners: groups.get_preferred,
    ops.GetGroupResources: groups.group_resources,
    # resources
    ops.CreateResource: resources.create_resource,
    ops.DeleteResource: resources.delete_resource,
    ops.GetResourceState: resources.resource_state,
    ops.GetResourceTypeName: resources.type_name,
    ops.OnlineResource: resources.online_resource,
    ops.OfflineResource: resources.offline_resource,
    ops.FailResource: resources.fail_resource,
    ops.ChangeResourceGroup: resources.change_group,
    ops.AddDependency: resources.add_dependency,
    ops.RemoveDependency: resources.remove_dependency,
    ops.GetDependencies: resources.dependencies,
    ops.GetDependents: resources.dependents,
    ops.CanBeDependent: resources.can_be_dependent,
    ops.AddPossibleOwner: resources.add_owner,
    ops.RemovePossibleOwner: resources.remove_owner,
    ops.GetPossibleOwners: resources.possible_owners,
    ops.GetPrivateProperties: resources.get_private,
    ops.SetPrivateProperties: resources.set_private,
}

_DATABASE: Final = Refusal(
    "the cluster database ({op.mirrors}): Pacemaker keeps no registry",
    fix="keep settings in resource parameters (private properties), which the CIB stores",
)
_CHECKPOINTS: Final = Refusal(
    "registry checkpoints ({op.mirrors}): Pacemaker replicates no node-local registry",
    fix="keep the state on shared storage or in resource parameters",
)

#: Operation class -> why Pacemaker has no counterpart of it (ERROR_NOT_SUPPORTED).
NOT_SUPPORTED: Final[Mapping[type[Operation[Any]], Refusal]] = {
    ops.RenameObject: Refusal(
        "renaming a {op.kind.value}: a Pacemaker id names the object for good",
        fix="create a new one with the new name and move the resources (change_group)",
    ),
    ops.Control: Refusal(
        "control code {op.code:#010x} to a {op.kind.value}: Pacemaker has no control codes",
        fix="use the property methods, which map to CIB attributes",
    ),
    ops.SetQuorumResource: Refusal(
        "a quorum resource: Corosync's votequorum decides quorum by node votes",
        fix="configure quorum devices (corosync-qdevice) in corosync.conf",
    ),
    ops.EvictNode: Refusal(
        "evicting a node: membership is Corosync's nodelist, which Pacemaker's tools do not change",
        fix="remove the node from corosync.conf on every node (pcs cluster node remove), "
        "then `crm_node --force --remove NAME`",
    ),
    ops.GetObjectKey: _DATABASE,
    ops.KeyExists: _DATABASE,
    ops.CreateKey: _DATABASE,
    ops.DeleteKey: _DATABASE,
    ops.SetValue: _DATABASE,
    ops.QueryValue: _DATABASE,
    ops.DeleteValue: _DATABASE,
    ops.EnumKeys: _DATABASE,
    ops.EnumValues: _DATABASE,
    ops.CommitBatch: _DATABASE,
    ops.OpenRegistryPort: _DATABASE,
    ops.AddCheckpoint: _CHECKPOINTS,
    ops.DeleteCheckpoint: _CHECKPOINTS,
    ops.GetCheckpoints: _CHECKPOINTS,
}
