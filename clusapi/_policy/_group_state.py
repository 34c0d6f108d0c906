"""A group's state derived from its resources' states (research clusapi.md §3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi._enums import GroupState, ResourceState

if TYPE_CHECKING:
    from collections.abc import Iterable

PENDING_STATES: frozenset[ResourceState] = frozenset(
    {
        ResourceState.ONLINE_PENDING,
        ResourceState.OFFLINE_PENDING,
        ResourceState.PENDING,
        ResourceState.INITIALIZING,
        ResourceState.INHERITED,
    }
)
"""Resource states that make a group Pending: the generic and specific pending states and the
transient service states Inherited and Initializing (research clusapi.md §3)."""


# --------------------------------------------------------------------------- group state


def derive_group_state(states: Iterable[ResourceState]) -> GroupState:
    """The state of a group, derived from the states of its resources.

    Implements research clusapi.md §3 ("State meanings") and §7.1 (CMRP ApiGetGroupState):
    Failed > Pending > PartialOnline > Online > Offline, and an empty group is Offline.

    * FAILED if any resource is Failed;
    * else PENDING if any is in :data:`PENDING_STATES`;
    * else ONLINE if every resource is Online;
    * else PARTIAL_ONLINE if at least one is Online;
    * else OFFLINE.

    Documented choice: the remaining states (UNKNOWN and the undocumented
    CANNOT_COME_ONLINE_ON_ANY_NODE / _ON_THIS_NODE) count as "not online", like Offline, so
    ``[ONLINE, UNKNOWN]`` is PartialOnline and ``[UNKNOWN]`` is Offline.

    Example:
        >>> derive_group_state([ResourceState.ONLINE, ResourceState.OFFLINE]).name
        'PARTIAL_ONLINE'

    Args:
        states: The states of the group's resources, in any order.

    Returns:
        The derived group state; never UNKNOWN.
    """
    any_pending = False
    online = 0
    total = 0
    for state in states:
        if state == ResourceState.FAILED:
            return GroupState.FAILED
        total += 1
        if state in PENDING_STATES:
            any_pending = True
        elif state == ResourceState.ONLINE:
            online += 1
    if any_pending:
        return GroupState.PENDING
    if online == 0:
        return GroupState.OFFLINE
    if online == total:
        return GroupState.ONLINE
    return GroupState.PARTIAL_ONLINE
