"""The workloads the benchmarks share: a trivial resource type and the cluster shape.

The cluster shape of the issue: ``groups`` groups of ``per_group`` resources, each group a
dependency chain (resource k depends on resource k-1), spread evenly over the nodes. Each
group's preferred owners are its home node first, then the other nodes in a rotation, so the
groups of a crashed node fail over evenly to the survivors (as an operator would configure
them) rather than all onto the next node.
"""

from __future__ import annotations

import gc
import os
import time
from typing import TYPE_CHECKING

import anyio

from resapi.testing import HealthyResource

if TYPE_CHECKING:
    from clusapi import Cluster, Group, Resource

__all__ = (
    "CountingGood",
    "Good",
    "build_cluster",
    "node_names",
    "now",
    "online_all_concurrently",
    "preferred_owners",
    "rss_bytes",
    "settle_gc",
    "trivial",
    "trivial_value",
)


class Good(HealthyResource):
    """The trivial resource type: ``resapi.testing.HealthyResource`` (no I/O, no awaits) under
    the type name the benchmarks register."""

    type_name = "Good"


class CountingGood(HealthyResource):
    """``Good`` that also counts its health polls (to check that the polls really ran)."""

    type_name = "CountingGood"
    looks_alive_calls = 0
    is_alive_calls = 0

    async def looks_alive(self) -> bool:
        CountingGood.looks_alive_calls += 1
        return await super().looks_alive()

    async def is_alive(self) -> bool:
        CountingGood.is_alive_calls += 1
        return await super().is_alive()


async def trivial() -> None:
    """The baseline's unit of work: a coroutine that completes without suspending, as
    ``Good.online`` does."""


async def trivial_value() -> int:
    """The baseline of a query: a coroutine that returns a value without suspending."""
    return 1


def node_names(count: int) -> tuple[str, ...]:
    return tuple(f"NODE{i + 1}" for i in range(count))


def preferred_owners(index: int, nodes: tuple[str, ...]) -> list[str]:
    """Home node ``index % n`` first, then the others rotated by ``index // n``."""
    home = index % len(nodes)
    others = [n for i, n in enumerate(nodes) if i != home]
    if others:
        shift = (index // len(nodes)) % len(others)
        others = others[shift:] + others[:shift]
    return [nodes[home], *others]


async def build_cluster(
    cluster: Cluster,
    *,
    groups: int,
    per_group: int,
    nodes: tuple[str, ...],
    type_name: str,
) -> list[tuple[Group, list[Resource]]]:
    """Create ``groups`` groups of ``per_group`` chained resources through the public API."""
    built: list[tuple[Group, list[Resource]]] = []
    for g in range(groups):
        group = await cluster.create_group(f"G{g:05d}")
        await group.set_preferred_owners(preferred_owners(g, nodes))
        resources: list[Resource] = []
        for r in range(per_group):
            res = await group.create_resource(f"G{g:05d}-R{r:02d}", type_name)
            if resources:
                await res.add_dependency(resources[-1])
            resources.append(res)
        built.append((group, resources))
    return built


async def online_all_concurrently(groups: list[Group]) -> None:
    async with anyio.create_task_group() as tg:
        for group in groups:
            tg.start_soon(group.online)


def rss_bytes() -> int:
    """Resident set size now (``/proc/self/statm``), or the peak RSS where there is no /proc."""
    try:
        with open("/proc/self/statm") as f:
            resident_pages = int(f.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def settle_gc() -> None:
    """Collect garbage before a timed region, so a pending collection from setup is not
    billed to it."""
    gc.collect()


def now() -> float:
    return time.perf_counter()
