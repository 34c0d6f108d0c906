"""The MSCS rules that every backend enforces on a caller's request, with the errors they raise.

The reference runtime and the Pacemaker backend keep their objects in different shapes
(records with generated ids; a CIB snapshot whose ids are the names), but a request the Cluster
API refuses must be refused on both with the same Win32 code and the same message, naming the
object and the fix (DESIGN.md §4). So the checks live here, once, over what both can hand in:
an object's id, name, group, owner and state (the small protocols below), plain collections of
ids, and property tables. Nothing here reads a cluster or changes one: a check raises or returns,
and the caller changes state only after every check has passed.

Where the backends decide a question differently (whether a resource is busy: the reference
runtime has its pending states, Pacemaker its running actions; whether a name or an id finds
an object), the caller decides and raises the error built here (:func:`resource_busy`,
:func:`resource_running_on`, :func:`no_such`, :func:`gone`, :func:`no_host`), with one text
for both; tests/contract/test_shared_faults.py holds both backends to it.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Final, Literal, Protocol, TypeVar

from ._common import ResourceCommonProperties
from ._enums import GroupState, ResourceState
from ._errors import PropertyError, make_error
from ._policy import would_create_cycle
from ._properties import unstorable
from ._registry import split_key_path
from ._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from ._enums import NodeState
    from ._errors import ClusterError
    from ._properties import PropertyTable, PropertyValue

#: The kinds of object a caller opens by name, and a handle names by id.
Kind = Literal["node", "group", "resource"]

__all__ = (
    "NAME_MAX",
    "GroupFacts",
    "NamedFacts",
    "NodeFacts",
    "ResourceFacts",
    "about",
    "check_can_fail",
    "check_can_host",
    "check_can_pause",
    "check_checkpoint_path",
    "check_common",
    "check_deletable",
    "check_empty_group",
    "check_has_dependency",
    "check_new_dependency",
    "check_new_possible_owner",
    "check_paused",
    "check_possible_owner",
    "check_preferred_owners",
    "check_required_dependencies",
    "check_same_owner",
    "check_separate_monitor",
    "check_text",
    "gone",
    "no_host",
    "no_such",
    "no_such_type",
    "online_failed",
    "private_values",
    "require_name",
    "resource_busy",
    "resource_running_on",
)

T = TypeVar("T")
#: The states FailClusterResource accepts: online, or an Online/Offline still under way.
_FAILABLE = frozenset(
    {
        ResourceState.ONLINE,
        ResourceState.ONLINE_PENDING,
        ResourceState.OFFLINE_PENDING,
        ResourceState.PENDING,
    }
)


class NamedFacts(Protocol):
    """A node, group or resource as a backend knows it: the id its handle carries, and the
    name a message shows (the same string on Pacemaker)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


class ResourceFacts(NamedFacts, Protocol):
    """A resource: also the id of its group and its state."""

    @property
    def group(self) -> str: ...

    @property
    def state(self) -> ResourceState: ...


class NodeFacts(NamedFacts, Protocol):
    """A node: its state, whether it runs as a member (Up or Paused) and whether it is
    paused (Pacemaker: standby)."""

    @property
    def state(self) -> NodeState: ...

    @property
    def up(self) -> bool: ...

    @property
    def paused(self) -> bool: ...


class GroupFacts(NamedFacts, Protocol):
    """A group: also its owner (a node id or name, compared only with another group's) and
    its state."""

    @property
    def owner(self) -> str | None: ...

    @property
    def state(self) -> GroupState: ...


# -- lookups ---------------------------------------------------------------------------------

#: What opening an object by a name nobody has answers (a handle's node that left: the same).
_NOT_FOUND: Final = {
    "node": Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND,
    "group": Win32Error.ERROR_GROUP_NOT_FOUND,
    "resource": Win32Error.ERROR_RESOURCE_NOT_FOUND,
}


def no_such(kind: Kind, name: str, cluster: str, *, detail: str = "") -> ClusterError:
    """The error for a caller's name that no ``kind`` of object in ``cluster`` has:
    ERROR_CLUSTER_NODE_NOT_FOUND, ERROR_GROUP_NOT_FOUND or ERROR_RESOURCE_NOT_FOUND.

    Args:
        detail: A fact only one backend knows, appended to the text: Pacemaker's resource
            that exists outside any group (which clusapi does not show). Empty otherwise.
    """
    return make_error(
        _NOT_FOUND[kind],
        f"no {kind} named {name!r} in cluster {cluster!r}{detail}",
        fix=f"list the {kind}s with `await cluster.{kind}s()`",
    )


def no_such_type(name: str) -> ClusterError:
    """ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND for a type name nothing answers to."""
    return make_error(
        Win32Error.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND,
        f"no resource type named {name!r}",
        fix="list the types with `await cluster.resource_types()` (on Pacemaker: the installed "
        "OCF agents), or register one with `await cluster.create_resource_type(...)`",
    )


def gone(kind: Kind, label: str, cluster: str) -> ClusterError:
    """The error for a handle whose object left ``cluster`` (``label``: the name it had):
    ERROR_GROUP_NOT_AVAILABLE or ERROR_RESOURCE_NOT_AVAILABLE for a deleted group or
    resource, ERROR_CLUSTER_NODE_NOT_FOUND for a node that is no longer a member."""
    if kind == "node":
        return make_error(
            Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND,
            f"node {label!r} is no longer a member of cluster {cluster!r}",
            fix="open a node that is still a member",
        )
    code = (
        Win32Error.ERROR_GROUP_NOT_AVAILABLE
        if kind == "group"
        else Win32Error.ERROR_RESOURCE_NOT_AVAILABLE
    )
    return make_error(
        code,
        f"{kind} {label!r} was deleted from cluster {cluster!r}",
        fix=f"open the {kind} again by name",
    )


# -- hosts ---------------------------------------------------------------------------------


def check_can_host(
    node: NodeFacts, group: str, not_owner: Sequence[str], *, down_reason: str | None = None
) -> None:
    """Whether ``node`` may host group ``group``, in this order: it is up, not paused, and a
    possible owner of every resource of the group (``not_owner``: the names of those whose
    possible owners leave it out).

    Args:
        down_reason: Why a node whose state still reads Up (or Paused) is not a running member
            (the reference runtime: it crashed and is not declared down yet); the message
            then says that rather than "is UP and cannot host".

    Raises:
        HostNodeError: ERROR_HOST_NODE_NOT_AVAILABLE for a node that is not up,
            ERROR_HOST_NODE_NOT_RESOURCE_OWNER for one that is not a possible owner.
        InvalidStateError: ERROR_SHARING_PAUSED for a paused node (Pacemaker: standby).
    """
    if not node.up and down_reason is not None:
        raise make_error(
            Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
            f"node {node.name!r} cannot host group {group!r}: {down_reason}",
            fix="choose another node, or wait until this one is back up",
        )
    if not node.up:
        raise make_error(
            Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
            f"node {node.name!r} is {node.state.name} and cannot host group {group!r}",
            fix="choose a node that is up",
        )
    if node.paused:
        raise make_error(
            Win32Error.ERROR_SHARING_PAUSED,
            f"node {node.name!r} is paused; no group is brought online on it",
            fix="resume the node or choose another",
        )
    if not_owner:
        raise make_error(
            Win32Error.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
            f"node {node.name!r} is not a possible owner of resource(s) "
            f"{', '.join(map(repr, not_owner))} in group {group!r}",
            fix="add it with `await resource.add_possible_owner(node)`",
        )


def check_can_pause(node: str, *, down: bool) -> None:
    """PauseClusterNode: not of a node that is down.

    Raises:
        ClusterUnavailableError: ERROR_CLUSTER_NODE_DOWN.
    """
    if down:
        raise make_error(
            Win32Error.ERROR_CLUSTER_NODE_DOWN,
            f"node {node!r} is down",
            fix="a down node cannot be paused; start it again first",
        )


def check_paused(node: str, *, paused: bool) -> None:
    """ResumeClusterNode: only a paused node (Pacemaker: standby).

    Raises:
        InvalidStateError: ERROR_CLUSTER_NODE_NOT_PAUSED otherwise.
    """
    if not paused:
        raise make_error(
            Win32Error.ERROR_CLUSTER_NODE_NOT_PAUSED,
            f"node {node!r} is not paused",
            fix="only a paused node can be resumed",
        )


def no_host(group: str, *, other: bool = False, detail: str = "") -> ClusterError:
    """ERROR_HOST_NODE_NOT_AVAILABLE: no node (``other``: no node but the owner) can host
    ``group``.

    Args:
        detail: A fact only one backend knows, appended to the text: the reference runtime's
            nodes where a resource's Online said it cannot come online. Empty otherwise.
    """
    return make_error(
        Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
        f"no {'other ' if other else ''}node can host group {group!r} (up, not paused, a "
        f"possible owner of every resource in it){detail}",
        fix="resume or start a node, or widen the possible owners",
    )


# -- names and properties ------------------------------------------------------------------


#: The longest object name either backend accepts: a cluster database key name's limit
#: (255 characters, as for registry keys), which every object's name also becomes.
NAME_MAX = 255

# A name also refuses TAB, LF, CR, DEL and the C1 controls: it is shown in lists, logs and
# file names, where an invisible or line-breaking character misleads whoever reads them.
_NOT_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def require_name(kind: str, name: object) -> str:
    """A caller's name for a ``kind`` of object: a non-empty str of at most :data:`NAME_MAX`
    characters, with no control characters (NUL, TAB, newlines, DEL, C1) and nothing XML
    cannot hold (what else a backend allows in a name is its own rule).

    Every backend calls this before it changes anything, so a bad name changes nothing.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for anything else.
    """
    if not isinstance(name, str) or not name.strip():
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{kind} name must be a non-empty string, not {name!r}",
            fix=f"pass the {kind}'s name as a str",
        )
    if len(name) > NAME_MAX:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{kind} name {name[:40]!r}... is {len(name)} characters long",
            fix=f"use a name of at most {NAME_MAX} characters",
        )
    bad = _NOT_IN_NAME.search(name)
    if bad is not None:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{kind} name {name!r} contains the control character {bad.group()!r}",
            fix="use printable characters only (no NUL, tab, newline or other control character)",
        )
    return name


def check_text(what: str, value: str) -> str:
    """A caller's string value outside a property table (a resource type's display name):
    refused if it holds a character an XML document cannot (a C0 control other than tab, LF
    and CR, a lone surrogate, U+FFFE, U+FFFF), so that no backend stores less than it was
    given. Property tables check their string rows by the same rule
    (:func:`clusapi._properties.unstorable`); the cluster database, a registry, does not.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER naming ``what`` and the character.
    """
    bad = unstorable(value)
    if bad is not None:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{what}: the value {value!r} contains the character {bad!r}, "
            "which a cluster configuration cannot store",
            fix="remove control characters other than tab and newline from the value",
        )
    return value


@contextlib.contextmanager
def about(
    what: str, *, table: type[PropertyTable] | None = None, type_name: str | None = None
) -> Iterator[None]:
    """Name the object in a property error: "group 'web': property 'FailoverPeriod' ...".

    Args:
        table: The private property table the error may come from, and ``type_name`` the
            resource type it belongs to: the message then names the type ("of type
            'ocf:heartbeat:Dummy'") rather than the table's class, whose name is generated
            for an OCF agent (``ocf__heartbeat__Dummy.Properties``) and the author's own
            otherwise (``EchoProperties``), neither of which a caller knows.
    """
    try:
        yield
    except PropertyError as exc:
        description = exc.description
        if table is not None and type_name is not None:
            description = description.replace(
                f" of {table.__qualname__} ", f" of type {type_name!r} ", 1
            )
        error = PropertyError(exc.winerror, f"{what}: {description}", fix=exc.fix)
        error.property_name = exc.property_name
        raise error from None


def check_common(
    table: type[PropertyTable],
    stored: Mapping[str, object],
    changes: Mapping[str, object],
    label: str,
) -> dict[str, PropertyValue]:
    """Verify a change of common properties as SET and VALIDATE both must (clusapi.md §7.10):
    each value by its row, then the values together (RetryPeriodOnFailure >= RestartPeriod).

    Raises:
        PropertyError: naming ``label``'s object and the property; nothing is changed.
    """
    with about(label):
        checked = table.verify(changes)
        merged = table.load({**stored, **checked})
        if isinstance(merged, ResourceCommonProperties):
            merged.cross_check()
    return checked


def private_values(table: type[PropertyTable], stored: Mapping[str, object]) -> dict[str, object]:
    """A resource's private properties as read: every row's default, then what is stored."""
    values: dict[str, object] = {i.name: i.default for i in table.items() if i.default is not None}
    values.update(stored)
    return values


# -- groups --------------------------------------------------------------------------------


def check_empty_group(group: NamedFacts, members: Collection[str]) -> None:
    """DeleteClusterGroup: only an empty group goes.

    Raises:
        InvalidStateError: ERROR_DIR_NOT_EMPTY while it holds resources.
    """
    if members:
        raise make_error(
            Win32Error.ERROR_DIR_NOT_EMPTY,
            f"group {group.name!r} still holds {len(members)} resource(s)",
            fix="delete or move its resources first",
        )


def check_preferred_owners(group: NamedFacts, names: Sequence[str]) -> None:
    """SetClusterGroupNodeList: each node at most once (``names``, most preferred first).

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for a node named twice.
    """
    if len(set(names)) != len(names):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"preferred owners of group {group.name!r} name a node twice: {list(names)!r}",
            fix="list each node once, most preferred first",
        )


def check_same_owner(source: GroupFacts, target: GroupFacts) -> None:
    """ChangeClusterResourceGroup: the two groups are on one node, or both offline.

    Raises:
        HostNodeError: ERROR_HOST_NODE_NOT_GROUP_OWNER otherwise.
    """
    if source.owner != target.owner and (
        source.state is not GroupState.OFFLINE or target.state is not GroupState.OFFLINE
    ):
        raise make_error(
            Win32Error.ERROR_HOST_NODE_NOT_GROUP_OWNER,
            f"groups {source.name!r} and {target.name!r} are owned by different nodes",
            fix="move one group to the other's node first",
        )


# -- resources -----------------------------------------------------------------------------


def check_separate_monitor(name: str, value: object) -> None:
    """CreateClusterResource's flag: a bool (callers without a type checker pass anything).

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER otherwise.
    """
    if not isinstance(value, bool):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"separate_monitor of resource {name!r} must be a bool, not {value!r}",
            fix="pass True or False",
        )


def check_deletable(
    res: ResourceFacts, dependents: Sequence[str], *, running: bool = False
) -> None:
    """DeleteClusterResource: only an offline (or failed) resource that nothing depends on.

    Args:
        res: The resource.
        dependents: The names of the resources that depend on it.
        running: Whether it still runs somewhere whatever its state says (Pacemaker keeps a
            failed resource on its node until it is cleaned up).

    Raises:
        InvalidStateError: ERROR_RESOURCE_ONLINE while it is up.
        DependencyError: ERROR_DEPENDENT_RESOURCE_EXISTS while something depends on it.
    """
    if res.state not in (ResourceState.OFFLINE, ResourceState.FAILED) or running:
        raise make_error(
            Win32Error.ERROR_RESOURCE_ONLINE,
            f"resource {res.name!r} is {res.state.name}",
            fix="take it offline before deleting it",
        )
    if dependents:
        raise make_error(
            Win32Error.ERROR_DEPENDENT_RESOURCE_EXISTS,
            f"resource(s) {list(dependents)!r} depend on {res.name!r}",
            fix="remove those dependencies first",
        )


def check_checkpoint_path(resource: str, path: object) -> str:
    """ADD_REGISTRY_CHECKPOINT's path (``resource``: its name): a key under
    HKEY_LOCAL_MACHINE without a leading backslash, that a node's local registry can hold.

    Checked before the checkpoint is recorded: it is restored into the node's registry before
    every online, so a path the registry refuses would make every later online fail.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER otherwise.
    """
    what = f"registry checkpoint of resource {resource!r}:"
    if not isinstance(path, str) or not path or path.startswith("\\"):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{what} {path!r} is not a key path",
            fix="name a key under HKEY_LOCAL_MACHINE without a leading backslash",
        )
    split_key_path(path, what)
    return path


def resource_busy(res: ResourceFacts) -> ClusterError:
    """ERROR_INVALID_STATE for an online or offline asked while one is under way."""
    return make_error(
        Win32Error.ERROR_INVALID_STATE,
        f"resource {res.name!r} is {res.state.name}",
        fix="wait until it is online or offline",
    )


def check_can_fail(res: ResourceFacts, host: T | None) -> T:
    """FailClusterResource: only a resource that runs on a node and is online or pending.

    Args:
        res: The resource.
        host: What the backend knows of where it runs (a node, a monitor), None if nowhere.

    Returns:
        ``host``, which is then not None.

    Raises:
        InvalidStateError: ERROR_RESMON_INVALID_STATE otherwise.
    """
    if host is None or res.state not in _FAILABLE:
        raise make_error(
            Win32Error.ERROR_RESMON_INVALID_STATE,
            f"resource {res.name!r} is {res.state.name} and cannot be failed",
            fix="only an online or pending resource can be failed",
        )
    return host


# -- dependencies --------------------------------------------------------------------------


def check_new_dependency(
    res: ResourceFacts, provider: ResourceFacts, depends_on: Mapping[str, Collection[str]]
) -> None:
    """AddClusterResourceDependency (clusapi.md §7.1), in its order: not on itself, inside one
    group, not twice, no cycle.

    Args:
        res: The resource that would depend.
        provider: The resource it would depend on.
        depends_on: Each resource of ``res``'s group (by id) → the ids it depends on.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for itself or another group.
        DependencyError: ERROR_DEPENDENCY_ALREADY_EXISTS.
        DependencyCycleError: ERROR_CIRCULAR_DEPENDENCY.
    """
    if provider.id == res.id:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"resource {res.name!r} cannot depend on itself",
            fix="name a different resource",
        )
    if provider.group != res.group:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{res.name!r} and {provider.name!r} are in different groups",
            fix="dependencies stay inside one group: change_group() first",
        )
    if provider.id in depends_on.get(res.id, ()):
        raise make_error(
            Win32Error.ERROR_DEPENDENCY_ALREADY_EXISTS,
            f"{res.name!r} already depends on {provider.name!r}",
            fix="nothing to do",
        )
    if would_create_cycle(depends_on, res.id, provider.id):
        raise make_error(
            Win32Error.ERROR_CIRCULAR_DEPENDENCY,
            f"{provider.name!r} already depends (transitively) on {res.name!r}",
            fix="dependencies may not form a cycle",
        )


def check_has_dependency(
    res: ResourceFacts, provider: ResourceFacts, providers: Collection[str]
) -> None:
    """RemoveClusterResourceDependency: ``res`` depends on ``provider`` (``providers``: the
    ids ``res`` depends on).

    Raises:
        DependencyError: ERROR_DEPENDENCY_NOT_FOUND otherwise.
    """
    if provider.id not in providers:
        raise make_error(
            Win32Error.ERROR_DEPENDENCY_NOT_FOUND,
            f"{res.name!r} does not depend on {provider.name!r}",
            fix="list its dependencies with `await resource.dependencies()`",
        )


# -- possible owners -----------------------------------------------------------------------


def check_new_possible_owner(res: ResourceFacts, node: NamedFacts, owners: Collection[str]) -> None:
    """AddClusterResourceNode: ``node`` is not yet among ``owners`` (node ids).

    Raises:
        ObjectExistsError: ERROR_OBJECT_IN_LIST otherwise.
    """
    if node.id in owners:
        raise make_error(
            Win32Error.ERROR_OBJECT_IN_LIST,
            f"node {node.name!r} is already a possible owner of {res.name!r}",
            fix="nothing to do",
        )


def check_possible_owner(res: ResourceFacts, node: NamedFacts, owners: Collection[str]) -> None:
    """RemoveClusterResourceNode: ``node`` is among ``owners`` (node ids).

    Raises:
        NodeNotFoundError: ERROR_CLUSTER_NODE_NOT_FOUND otherwise ([MS-CMRP]
            ApiRemoveResourceNode: a node that is not in the list is "not found").
    """
    if node.id not in owners:
        raise make_error(
            Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND,
            f"node {node.name!r} is not a possible owner of {res.name!r}",
            fix="list them with `await resource.possible_owners()`",
        )


def resource_running_on(res: ResourceFacts, node: NamedFacts) -> ClusterError:
    """ERROR_INVALID_STATE for taking ``node`` from the possible owners while ``res`` runs
    there."""
    return make_error(
        Win32Error.ERROR_INVALID_STATE,
        f"{res.name!r} is {res.state.name} on {node.name!r}",
        fix="move its group or take it offline first",
    )


# -- why an online fails (issue 16, items 3 and 8) -----------------------------------------


def online_failed(what: str, reasons: str, *, fix: str) -> ClusterError:
    """ERROR_RESOURCE_FAILED for an online that did not succeed, with the reasons in the
    message (the entry point or OCF action that failed, where, and what the resource itself
    said), so that a caller need not search the cluster log for them.

    Args:
        what: What did not happen: "group 'web' did not come online".
        reasons: Why, per failed resource, as the backend knows it.
        fix: Where to look further, or what to change.
    """
    return make_error(Win32Error.ERROR_RESOURCE_FAILED, f"{what}: {reasons}", fix=fix)


def check_required_dependencies(res: NamedFacts, type_name: str, missing: Sequence[str]) -> None:
    """An online of ``res`` (of type ``type_name``): its type's required dependencies
    (``CLUSCTL_RESOURCE_TYPE_GET_REQUIRED_DEPENDENCIES``) are each met by a resource it
    depends on; ``missing``: the required type names no dependency of it has.

    Raises:
        DependencyError: ERROR_DEPENDENCY_NOT_FOUND ("the cluster dependency could not be
            found", research clusapi.md §6) naming the missing type; nothing starts.
    """
    if missing:
        raise make_error(
            Win32Error.ERROR_DEPENDENCY_NOT_FOUND,
            f"resource {res.name!r} cannot come online: its type {type_name!r} requires a "
            f"dependency on a resource of type {' and one of type '.join(map(repr, missing))}, "
            "and it has none",
            fix="create such a resource in its group and add it with "
            "`await resource.add_dependency(provider)`",
        )
