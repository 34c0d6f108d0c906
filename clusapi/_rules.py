"""The MSCS rules that every backend enforces on a caller's request, with the errors they raise.

The reference runtime and the Pacemaker backend keep their objects in different shapes
(records with generated ids; a CIB snapshot whose ids are the names), but a request the Cluster
API refuses must be refused on both with the same Win32 code and the same message, naming the
object and the fix (DESIGN.md §4). So the checks live here, once, over what both can hand in:
an object's id, name, group, owner and state (the small protocols below), plain collections of
ids, and property tables. Nothing here reads a cluster or changes one: a check raises or returns,
and the caller changes state only after every check has passed.

Where the backends decide a question differently (whether a resource is busy: the reference
runtime has its pending states, Pacemaker its running actions), the caller decides and raises
the error built here (:func:`resource_busy`, :func:`resource_running_on`).
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Protocol, TypeVar

from ._common import ResourceCommonProperties
from ._enums import GroupState, ResourceState
from ._errors import PropertyError, make_error
from ._policy import would_create_cycle
from ._properties import unstorable
from ._registry import split_key_path
from ._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from ._errors import ClusterError
    from ._properties import PropertyTable, PropertyValue

__all__ = (
    "NAME_MAX",
    "GroupFacts",
    "NamedFacts",
    "ResourceFacts",
    "about",
    "check_can_fail",
    "check_checkpoint_path",
    "check_common",
    "check_deletable",
    "check_empty_group",
    "check_has_dependency",
    "check_new_dependency",
    "check_new_possible_owner",
    "check_possible_owner",
    "check_preferred_owners",
    "check_same_owner",
    "check_separate_monitor",
    "check_text",
    "private_values",
    "require_name",
    "resource_busy",
    "resource_running_on",
)

W = Win32Error
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


class GroupFacts(NamedFacts, Protocol):
    """A group: also its owner (a node id or name, compared only with another group's) and
    its state."""

    @property
    def owner(self) -> str | None: ...

    @property
    def state(self) -> GroupState: ...


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
            W.ERROR_INVALID_PARAMETER,
            f"{kind} name must be a non-empty string, not {name!r}",
            fix=f"pass the {kind}'s name as a str",
        )
    if len(name) > NAME_MAX:
        raise make_error(
            W.ERROR_INVALID_PARAMETER,
            f"{kind} name {name[:40]!r}... is {len(name)} characters long",
            fix=f"use a name of at most {NAME_MAX} characters",
        )
    bad = _NOT_IN_NAME.search(name)
    if bad is not None:
        raise make_error(
            W.ERROR_INVALID_PARAMETER,
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
            W.ERROR_INVALID_PARAMETER,
            f"{what}: the value {value!r} contains the character {bad!r}, "
            "which a cluster configuration cannot store",
            fix="remove control characters other than tab and newline from the value",
        )
    return value


@contextlib.contextmanager
def about(what: str) -> Iterator[None]:
    """Name the object in a property error: "group 'web': property 'FailoverPeriod' ..."."""
    try:
        yield
    except PropertyError as exc:
        error = PropertyError(exc.winerror, f"{what}: {exc.description}", fix=exc.fix)
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
            W.ERROR_DIR_NOT_EMPTY,
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
            W.ERROR_INVALID_PARAMETER,
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
            W.ERROR_HOST_NODE_NOT_GROUP_OWNER,
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
            W.ERROR_INVALID_PARAMETER,
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
            W.ERROR_RESOURCE_ONLINE,
            f"resource {res.name!r} is {res.state.name}",
            fix="take it offline before deleting it",
        )
    if dependents:
        raise make_error(
            W.ERROR_DEPENDENT_RESOURCE_EXISTS,
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
            W.ERROR_INVALID_PARAMETER,
            f"{what} {path!r} is not a key path",
            fix="name a key under HKEY_LOCAL_MACHINE without a leading backslash",
        )
    split_key_path(path, what)
    return path


def resource_busy(res: ResourceFacts) -> ClusterError:
    """ERROR_INVALID_STATE for an online or offline asked while one is under way."""
    return make_error(
        W.ERROR_INVALID_STATE,
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
            W.ERROR_RESMON_INVALID_STATE,
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
            W.ERROR_INVALID_PARAMETER,
            f"resource {res.name!r} cannot depend on itself",
            fix="name a different resource",
        )
    if provider.group != res.group:
        raise make_error(
            W.ERROR_INVALID_PARAMETER,
            f"{res.name!r} and {provider.name!r} are in different groups",
            fix="dependencies stay inside one group: change_group() first",
        )
    if provider.id in depends_on.get(res.id, ()):
        raise make_error(
            W.ERROR_DEPENDENCY_ALREADY_EXISTS,
            f"{res.name!r} already depends on {provider.name!r}",
            fix="nothing to do",
        )
    if would_create_cycle(depends_on, res.id, provider.id):
        raise make_error(
            W.ERROR_CIRCULAR_DEPENDENCY,
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
            W.ERROR_DEPENDENCY_NOT_FOUND,
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
            W.ERROR_OBJECT_IN_LIST,
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
            W.ERROR_CLUSTER_NODE_NOT_FOUND,
            f"node {node.name!r} is not a possible owner of {res.name!r}",
            fix="list them with `await resource.possible_owners()`",
        )


def resource_running_on(res: ResourceFacts, node: NamedFacts) -> ClusterError:
    """ERROR_INVALID_STATE for taking ``node`` from the possible owners while ``res`` runs
    there."""
    return make_error(
        W.ERROR_INVALID_STATE,
        f"{res.name!r} is {res.state.name} on {node.name!r}",
        fix="move its group or take it offline first",
    )
