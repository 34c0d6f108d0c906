"""Dependency ordering inside a group: closures, cycle and group checks, and the layers in
which resources are brought online and taken offline."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping


def invert_dependencies(depends_on: Mapping[str, Collection[str]]) -> dict[str, set[str]]:
    """The "provides" map (resource -> its dependents) of a "depends on" map.

    Mirrors the two directions of CLUSTER_RESOURCE_ENUM, DEPENDS and PROVIDES (research
    clusapi.md §2.4). Resources with no dependents are absent.
    """
    provides: dict[str, set[str]] = {}
    for dependent, providers in depends_on.items():
        for provider in providers:
            provides.setdefault(provider, set()).add(dependent)
    return provides


def _reachable(start: str, edges: Mapping[str, Collection[str]]) -> set[str]:
    """Everything reachable from ``start`` by one or more edges (``start`` only via a cycle)."""
    seen: set[str] = set()
    todo = deque(edges.get(start, ()))
    while todo:
        node = todo.popleft()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def transitive_dependencies(resource: str, depends_on: Mapping[str, Collection[str]]) -> set[str]:
    """Everything ``resource`` depends on, directly or through other resources.

    Implements research clusapi.md §7.1 (a resource comes online only after all its
    dependencies) and resapi.md §5.7. The result contains ``resource`` itself only if it lies on
    a cycle.

    Args:
        resource: The dependent resource.
        depends_on: Each resource's direct dependencies (its providers).

    Returns:
        The set of transitive dependencies.
    """
    return _reachable(resource, depends_on)


def transitive_dependents(resource: str, provides: Mapping[str, Collection[str]]) -> set[str]:
    """Everything that depends on ``resource``, directly or through other resources.

    Implements research clusapi.md §7.1 (offline takes dependents down first) and resapi.md
    §5.7. The result contains ``resource`` itself only if it lies on a cycle.

    Args:
        resource: The provider resource.
        provides: Each resource's direct dependents (:func:`invert_dependencies`).

    Returns:
        The set of transitive dependents.
    """
    return _reachable(resource, provides)


def dependency_closure(
    start: str,
    depends_on: Mapping[str, Collection[str]],
    provides: Mapping[str, Collection[str]] | None = None,
) -> set[str]:
    """The whole dependency tree ``start`` belongs to, following edges in both directions.

    Implements research clusapi.md §2.4: ChangeClusterResourceGroup moves a resource "and its
    whole dependency tree" (every resource connected to it by dependencies either way).

    Args:
        start: A resource.
        depends_on: Each resource's direct dependencies.
        provides: Each resource's direct dependents; derived from ``depends_on`` if omitted.
            Edges in either map are followed, so an inconsistent pair still finds everything.

    Returns:
        The connected resources, including ``start``.
    """
    if provides is None:
        provides = invert_dependencies(depends_on)
    seen = {start}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for neighbour in (*depends_on.get(node, ()), *provides.get(node, ())):
            if neighbour not in seen:
                seen.add(neighbour)
                todo.append(neighbour)
    return seen


def would_create_cycle(
    depends_on: Mapping[str, Collection[str]], dependent: str, provider: str
) -> bool:
    """Whether making ``dependent`` depend on ``provider`` would close a dependency cycle.

    Implements research clusapi.md §7.1 (AddClusterResourceDependency: a cycle fails with
    ERROR_CIRCULAR_DEPENDENCY; a self-dependency is also refused, with ERROR_INVALID_PARAMETER
    per the protocol). True when they are the same resource or ``provider`` already depends,
    transitively, on ``dependent``.

    Example:
        >>> would_create_cycle({"B": {"A"}}, "A", "B"), would_create_cycle({}, "A", "A")
        (True, True)
    """
    return dependent == provider or dependent in transitive_dependencies(provider, depends_on)


def can_be_dependent(
    *,
    dependent: str,
    provider: str,
    group_of: Mapping[str, str],
    depends_on: Mapping[str, Collection[str]],
) -> bool:
    """Whether ``dependent`` may be made to depend on ``provider``.

    Mirrors ``CanResourceBeDependent(hResource, hResourceDependent)`` (research clusapi.md §2.4
    and §7.1): TRUE iff both are in the same group and ``provider`` does not (transitively)
    depend on ``dependent``; a resource cannot depend on itself. Whether the dependency already
    exists (ERROR_DEPENDENCY_ALREADY_EXISTS) or the dependent is the quorum resource is not
    part of this check.

    Args:
        dependent: The resource that would depend (``hResource``).
        provider: The resource it would depend on (``hResourceDependent``).
        group_of: Each resource's group; a resource missing from it can depend on nothing.
        depends_on: Each resource's current direct dependencies.

    Returns:
        ``True`` if the dependency may be added.
    """
    group = group_of.get(dependent)
    if group is None or group_of.get(provider) != group:
        return False
    return not would_create_cycle(depends_on, dependent, provider)


def _layers(order: list[str], before: Mapping[str, set[str]]) -> list[list[str]]:
    """Kahn's algorithm by levels: a node goes in the first layer after all of ``before[node]``."""
    placed: set[str] = set()
    remaining = order
    layers: list[list[str]] = []
    while remaining:
        layer = [r for r in remaining if before[r] <= placed]
        if not layer:
            raise ValueError(
                f"the dependencies among {remaining!r} contain a cycle, so they have no "
                "online/offline order; remove a dependency (the runtime refuses cycles with "
                "would_create_cycle)"
            )
        layers.append(layer)
        placed.update(layer)
        remaining = [r for r in remaining if r not in placed]
    return layers


def online_layers(
    resources: Collection[str], depends_on: Mapping[str, Collection[str]]
) -> list[list[str]]:
    """The order to bring resources online: layers, each depending only on earlier layers.

    Implements research clusapi.md §7.1 and resapi.md §5.6 step 3 and §5.7: a resource comes
    online only after all its dependencies are online. Each resource is in the earliest layer
    possible (layer 0: no dependencies), so a layer's members can be brought online together.
    Within a layer, resources keep the order of ``resources`` (pass a sequence, not a set, for
    a reproducible order); duplicates appear once.

    Documented choice: dependencies on resources outside ``resources`` are ignored, so a caller
    can order a subset (e.g. only the resources returning to their persistent state Online).

    Example:
        >>> online_layers(["Share", "Name", "IP", "Disk"],
        ...               {"Share": {"Name", "Disk"}, "Name": {"IP"}})
        [['IP', 'Disk'], ['Name'], ['Share']]

    Args:
        resources: The resources to order.
        depends_on: Each resource's direct dependencies.

    Returns:
        The layers, first to bring online first; empty for no resources.

    Raises:
        ValueError: if the dependencies among ``resources`` contain a cycle.
    """
    order = list(dict.fromkeys(resources))
    members = set(order)
    before = {r: {d for d in depends_on.get(r, ()) if d in members} for r in order}
    return _layers(order, before)


def offline_layers(
    resources: Collection[str], depends_on: Mapping[str, Collection[str]]
) -> list[list[str]]:
    """The order to take resources offline: dependents first, then what they depend on.

    Implements research clusapi.md §7.1 and resapi.md §5.6 step 1 and §5.7: offline takes
    dependents down first. The mirror of :func:`online_layers` over the reversed edges: layer 0
    holds the resources nothing (in ``resources``) depends on, and each resource is in the
    earliest layer after all its dependents, so an unrelated resource goes offline at once
    rather than waiting for the deepest chain. Same ordering, subset and cycle rules.

    Example:
        >>> offline_layers(["Share", "Name", "IP", "Disk"],
        ...                {"Share": {"Name", "Disk"}, "Name": {"IP"}})
        [['Share'], ['Name', 'Disk'], ['IP']]

    Raises:
        ValueError: if the dependencies among ``resources`` contain a cycle.
    """
    order = list(dict.fromkeys(resources))
    members = set(order)
    dependents: dict[str, set[str]] = {r: set() for r in order}
    for r in order:
        for provider in depends_on.get(r, ()):
            if provider in members:
                dependents[provider].add(r)
    return _layers(order, dependents)
