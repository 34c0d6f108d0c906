"""Placement: where a group may go (preferred owners, possible owners, up and not paused), and the
nodes a resource reported it cannot come online on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from clusapi._enums import ResourceState

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence


def candidate_nodes(
    *,
    preferred: Sequence[str],
    nodes: Sequence[str],
    possible_owners: Iterable[Collection[str] | None],
    up: Collection[str],
    paused: Collection[str],
    exclude: Collection[str] = (),
) -> list[str]:
    """The nodes a group may be placed on, best first.

    Implements research clusapi.md §7.3 step 2, §7.6 and §7.7, and resapi.md §5.6 step 2: a
    group goes to the most preferred node that is up, not paused, and a possible owner of every
    one of its resources.

    Order: the preferred owners in their list order, then the other cluster nodes in ``nodes``
    order. Documented choice: non-preferred nodes are used after the preferred ones, because
    MSCS fails a group over to the other possible owners when no preferred owner is available
    (the preferred list ranks nodes; it does not restrict them).

    Filters: a node is kept only if it is in ``nodes`` (preferred entries naming evicted or
    unknown nodes are skipped), in ``up``, not in ``paused``, not in ``exclude``, and in every
    possible-owner set (``None`` means "all nodes", the default for a new resource). Duplicates
    appear once. For the §7.7 last resort ("no Up node remains: groups move to a paused node but
    stay offline"), call again with ``paused=()``.

    Example:
        >>> candidate_nodes(preferred=["N2"], nodes=["N1", "N2", "N3"],
        ...                 possible_owners=[None, {"N1", "N2"}], up={"N1", "N2", "N3"},
        ...                 paused=())
        ['N2', 'N1']

    Args:
        preferred: The group's preferred owners, most preferred first.
        nodes: Every node of the cluster, in enumeration order.
        possible_owners: One entry per resource of the group: its possible owners, or ``None``
            for all nodes. An empty group has no constraint.
        up: Nodes that are Up (or Paused: they are filtered by ``paused``).
        paused: Nodes that are Paused.
        exclude: Nodes to skip, typically the node the group is failing over from.

    Returns:
        The eligible nodes, best first; empty if none qualifies.
    """
    owner_sets = [frozenset(owners) for owners in possible_owners if owners is not None]
    members = set(nodes)
    ordered = dict.fromkeys([*preferred, *nodes])
    return [
        node
        for node in ordered
        if node in members
        and node in up
        and node not in paused
        and node not in exclude
        and all(node in owners for owners in owner_sets)
    ]


def best_node(
    *,
    preferred: Sequence[str],
    nodes: Sequence[str],
    possible_owners: Iterable[Collection[str] | None],
    up: Collection[str],
    paused: Collection[str],
    exclude: Collection[str] = (),
) -> str | None:
    """The node a group moves or fails over to when no target is given.

    Implements research clusapi.md §7.3 step 2 (MoveClusterGroup with a NULL target: "the most
    preferred active node that is a possible owner of every resource"): the first of
    :func:`candidate_nodes`, with the same arguments and documented choices.

    Returns:
        The best eligible node, or ``None`` if no node qualifies (MoveClusterGroup then fails).
    """
    candidates = candidate_nodes(
        preferred=preferred,
        nodes=nodes,
        possible_owners=possible_owners,
        up=up,
        paused=paused,
        exclude=exclude,
    )
    return candidates[0] if candidates else None


@attrs.frozen
class NodeExclusions:
    """Where one resource must not be brought online automatically, after an Online of it
    reported that it cannot come online there (:data:`CANNOT_COME_ONLINE_STATES`).

    A value, like :class:`FailureHistory`: :meth:`record` returns a new one. The failover
    manager keeps one per resource and consults it for every online it starts by itself
    (restart, failover, node-down failover, failback, retry, restore after an outage):

    * ``nodes``: the nodes where it cannot come online (CANNOT_COME_ONLINE_ON_THIS_NODE). For
      placement they count as removed from its possible owners (:meth:`possible_owners`), so
      its group goes elsewhere; the configured PossibleOwners are not changed.
    * ``all_nodes``: it cannot come online on any node (CANNOT_COME_ONLINE_ON_ANY_NODE). It
      stays Failed; its group is still placed as before (the other resources can run).

    Documented choice (mirroring Pacemaker, which bans a node after ``OCF_ERR_INSTALLED`` until
    ``crm_resource --cleanup``): nothing expires by itself; an administrator's online of the
    resource or its group, or a move of the group, starts from an empty value again.

    Example:
        >>> e = NodeExclusions().record(ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE, "N1")
        >>> e.allows("N1"), e.allows("N2"), sorted(e.possible_owners(None, ["N1", "N2"]))
        (False, True, ['N2'])
    """

    nodes: frozenset[str] = frozenset()
    all_nodes: bool = False

    def __bool__(self) -> bool:
        """True if it excludes anything."""
        return self.all_nodes or bool(self.nodes)

    def record(self, state: ResourceState, node: str) -> NodeExclusions:
        """This value plus what an Online on ``node`` reported; other states change nothing."""
        if state == ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE:
            return attrs.evolve(self, all_nodes=True)
        if state == ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE:
            return attrs.evolve(self, nodes=self.nodes | {node})
        return self

    def allows(self, node: str) -> bool:
        """Whether the resource may be brought online on ``node`` automatically."""
        return not self.all_nodes and node not in self.nodes

    def without_node(self, node: str) -> NodeExclusions:
        """This value without ``node`` (it was evicted)."""
        return attrs.evolve(self, nodes=self.nodes - {node})

    def possible_owners(
        self, configured: Collection[str] | None, nodes: Iterable[str]
    ) -> frozenset[str] | None:
        """The possible owners to place the resource's group by: ``configured`` (``None``:
        every node in ``nodes``) without the excluded nodes; ``None`` when that is every node.

        ``all_nodes`` does not restrict placement (see the class docstring).
        """
        if not self.nodes:
            return None if configured is None else frozenset(configured)
        base = nodes if configured is None else configured
        return frozenset(n for n in base if n not in self.nodes)
