"""The measurements. Each ``bench_*`` function runs in a process of its own (``run.py`` starts
one per measurement), builds its own cluster in its own ``anyio.run``, times only the part the
target is about with ``time.perf_counter``, and returns rows for the table.

A row is a plain dict (it crosses the process boundary as JSON)::

    {"key": "1", "label": ..., "value": 0.8, "unit": "s",
     "target": ["<=", 1.0] or None, "baseline": 0.05 or None, "note": ...}
"""

from __future__ import annotations

import contextlib
import gc
import math
import statistics
import time
import tracemalloc
from typing import TYPE_CHECKING, Any, Self

import anyio
import attrs

from clusapi import ClusterChange, GroupState
from clusapi.testing import VirtualClock, open_reference_cluster

from ._workload import (
    CountingGood,
    Good,
    build_cluster,
    node_names,
    now,
    online_all_concurrently,
    rss_bytes,
    settle_gc,
    trivial,
    trivial_value,
)

if TYPE_CHECKING:
    import cProfile
    from collections.abc import Awaitable, Callable

    from clusapi import Group, Resource

__all__ = ("BENCHMARKS", "Sizes")

Row = dict[str, Any]

#: Set by ``run.py --profile``: enabled only inside the timed regions.
PROFILER: cProfile.Profile | None = None

#: Real-clock benchmarks never want a node declared down: the setup holds the event loop for
#: seconds at a time (the API calls do not yield), which on the default 5 s node timeout could
#: starve the heartbeats, especially under a profiler.
NO_FAILURE_DETECTION = 1e9

#: Baselines are cheap: each is run this many times (each in a fresh anyio.run) and the
#: median is reported.
BASELINE_RUNS = 3


@attrs.frozen
class Sizes:
    groups: int = 1000
    per_group: int = 10
    nodes: int = 4
    notify_events: int = 200_000
    notify_property_sets: int = 20_000
    virtual_seconds: float = 3600.0
    virtual_nodes: int = 2
    virtual_resources: int = 200
    state_calls: int = 10_000

    @property
    def resources(self) -> int:
        return self.groups * self.per_group

    @property
    def scale(self) -> float:
        """This size relative to the issue's (1 for the full run); absolute targets scale."""
        return self.resources / 10_000

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            groups=100,
            notify_events=20_000,
            notify_property_sets=2_000,
            virtual_seconds=360.0,
        )


def row(
    key: str,
    label: str,
    value: float | None,
    unit: str,
    *,
    target: tuple[str, float] | None = None,
    baseline: float | None = None,
    note: str = "",
) -> Row:
    return {
        "key": key,
        "label": label,
        "value": value,
        "unit": unit,
        "target": list(target) if target else None,
        "baseline": baseline,
        "note": note,
    }


class _GcMeter:
    """Wall time spent in the cyclic garbage collector, by generation (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1

    def snapshot(self) -> tuple[float, int, int]:
        return self.seconds, sum(self.collections), self.collections[2]


GC_METER = _GcMeter()


class Stopwatch:
    """perf_counter around the timed region only; the profiler, if any, runs just there.
    Also notes how much of the region the garbage collector took."""

    def __init__(self) -> None:
        self.start_time = 0.0
        self.elapsed = 0.0
        self._gc_start = (0.0, 0, 0)
        self.gc_seconds = 0.0
        self.gc_collections = 0
        self.gc_full = 0

    def start(self) -> None:
        if PROFILER is not None:
            PROFILER.enable()
        self._gc_start = GC_METER.snapshot()
        self.start_time = time.perf_counter()

    def stop(self) -> float:
        self.elapsed = time.perf_counter() - self.start_time
        seconds, collections, full = GC_METER.snapshot()
        self.gc_seconds = seconds - self._gc_start[0]
        self.gc_collections = collections - self._gc_start[1]
        self.gc_full = full - self._gc_start[2]
        if PROFILER is not None:
            PROFILER.disable()
        return self.elapsed

    def gc_note(self) -> str:
        """e.g. "GC 0.86 s of it (737 collections, 5 full)"."""
        return (
            f"GC {_secs(self.gc_seconds)} of it ({self.gc_collections} collections, "
            f"{self.gc_full} full)"
        )

    def __enter__(self) -> Self:
        settle_gc()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _secs(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def run_real(main: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(main)


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(main, backend_options={"loop_factory": VirtualClock().new_event_loop})


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def _scaled(sizes: Sizes) -> str:
    return "" if sizes.scale == 1 else f" (target scaled x{sizes.scale:g})"


# -- baselines: bare anyio, the same awaits in the same order ----------------------------------


def baseline_concurrent(tasks: int, per_task: int) -> float:
    """``tasks`` concurrent tasks, each awaiting ``per_task`` trivial coroutines in sequence."""

    async def main() -> float:
        async def worker() -> None:
            for _ in range(per_task):
                await trivial()

        with Stopwatch() as sw:
            async with anyio.create_task_group() as tg:
                for _ in range(tasks):
                    tg.start_soon(worker)
        return sw.elapsed

    return float(run_real(main))


def baseline_sequential(count: int) -> float:
    async def main() -> float:
        with Stopwatch() as sw:
            for _ in range(count):
                await trivial()
        return sw.elapsed

    return float(run_real(main))


# -- 1. bring 10,000 resources online ------------------------------------------------------------


async def _built(
    sizes: Sizes, env_cluster: Any, type_cls: type[object] = Good
) -> tuple[float, list[tuple[Group, list[Resource]]]]:
    await env_cluster.create_resource_type(type_cls)
    t0 = now()
    built = await build_cluster(
        env_cluster,
        groups=sizes.groups,
        per_group=sizes.per_group,
        nodes=node_names(sizes.nodes),
        type_name=type_cls.type_name,  # type: ignore[attr-defined]
    )
    return now() - t0, built


def bench_online(sizes: Sizes) -> dict[str, Any]:
    """Target 1: all groups' online() at once (concurrently), timed from the first call to the
    last return; setup (creating groups, resources, dependencies) is not timed."""

    async def main() -> dict[str, Any]:
        async with open_reference_cluster(
            nodes=node_names(sizes.nodes), node_timeout=NO_FAILURE_DETECTION
        ) as env:
            setup, built = await _built(sizes, env.cluster)
            groups = [g for g, _ in built]
            with Stopwatch() as sw:
                await online_all_concurrently(groups)
            states = [await g.state() for g in groups]
            online = sum(s is GroupState.ONLINE for s in states)
            return {
                "wall": sw.elapsed,
                "setup": setup,
                "online_groups": online,
                "gc": sw.gc_note(),
            }

    result = run_real(main)
    base = median_of(BASELINE_RUNS, lambda: baseline_concurrent(sizes.groups, sizes.per_group))
    wall = result["wall"]
    n = sizes.resources
    ok_note = f"{result['online_groups']}/{sizes.groups} groups ONLINE after"
    return {
        "rows": [
            row(
                "1",
                f"online {n:,} resources ({sizes.groups:,} groups x{sizes.per_group} chains, "
                f"{sizes.nodes} nodes), groups concurrently: wall",
                wall,
                "s",
                target=("<=", 1.0 * sizes.scale),
                baseline=base,
                note=f"{wall / n * 1e6:.0f} us/resource; {result['gc']}; {ok_note}"
                + _scaled(sizes),
            ),
            row(
                "1",
                "  same, ratio to bare anyio (1 task/group, 10 trivial awaits each)",
                wall / base,
                "x",
                target=("<=", 10.0),
                note=f"baseline {base * 1e3:.1f} ms, median of {BASELINE_RUNS}",
            ),
            row(
                "1",
                "  setup: create groups, resources, dependencies (not timed above)",
                result["setup"],
                "s",
                note=f"{result['setup'] / n * 1e6:.0f} us/resource (informational)",
            ),
        ]
    }


def bench_online_sequential(sizes: Sizes) -> dict[str, Any]:
    """Informational: the same groups brought online one after the other."""

    async def main() -> dict[str, Any]:
        async with open_reference_cluster(
            nodes=node_names(sizes.nodes), node_timeout=NO_FAILURE_DETECTION
        ) as env:
            _, built = await _built(sizes, env.cluster)
            with Stopwatch() as sw:
                for group, _ in built:
                    await group.online()
            return {"wall": sw.elapsed, "gc": sw.gc_note()}

    result = run_real(main)
    base = median_of(BASELINE_RUNS, lambda: baseline_sequential(sizes.resources))
    return {
        "rows": [
            row(
                "1i",
                f"online {sizes.resources:,} resources, groups one after another: wall",
                result["wall"],
                "s",
                baseline=base,
                note=f"informational; {result['gc']}; baseline: 1 task, "
                f"{sizes.resources:,} trivial awaits",
            )
        ]
    }


# -- 2. failover of a crashed node's groups ------------------------------------------------------


def bench_failover(sizes: Sizes) -> dict[str, Any]:
    """Target 2, on virtual time: crash NODE1 (home of 1/4 of the groups); time from the moment
    a notify port reports NODE1's NODE_STATE change (declared down) to the moment the last of
    its groups is ONLINE on a survivor, as seen from GROUP_STATE events on the same port."""
    victim = "NODE1"

    async def main() -> dict[str, Any]:
        async with open_reference_cluster(nodes=node_names(sizes.nodes)) as env:
            _, built = await _built(sizes, env.cluster)
            groups = [g for g, _ in built]
            await online_all_concurrently(groups)
            await env.settle()
            victim_ids = {g.id for g in groups if (await g.state_info()).owner == victim}
            # The GROUP_STATE event carries no state; reading it back through the API on every
            # event (~25 events per group) would bill the measurement for its own queries, so
            # the watcher peeks at the runtime's record (a dict lookup).
            records = env._runtime.state.groups.by_id
            dead_id = env._runtime.state.find_node(victim).id
            marks: dict[str, float] = {}
            done = anyio.Event()
            sw = Stopwatch()

            async with env.cluster.notifications(
                ClusterChange.NODE_STATE | ClusterChange.GROUP_STATE
            ) as port:

                async def watch() -> None:
                    while True:
                        event = await port.receive()
                        if event.change is ClusterChange.NODE_STATE and event.name == victim:
                            sw.start()
                            marks["v_detect"] = anyio.current_time()
                            break
                    pending = set(victim_ids)
                    events = 0
                    while pending:
                        batch = [await port.receive()]
                        with contextlib.suppress(anyio.WouldBlock):
                            while True:
                                batch.append(port.receive_nowait())
                        events += len(batch)
                        for event in batch:
                            if event.object_id in pending:
                                record = records[event.object_id]
                                if record.state is GroupState.ONLINE and record.owner != dead_id:
                                    pending.discard(event.object_id)
                    sw.stop()
                    marks["v_done"] = anyio.current_time()
                    marks["events"] = events
                    done.set()

                async with anyio.create_task_group() as tg:
                    tg.start_soon(watch)
                    await env.settle()
                    settle_gc()
                    marks["v_crash"] = anyio.current_time()
                    env.crash_node(victim)
                    with anyio.move_on_after(3600):
                        await done.wait()
                    tg.cancel_scope.cancel()
            owners: dict[str, int] = {}
            online = 0
            for g in groups:
                if g.id in victim_ids:
                    info = await g.state_info()
                    owners[info.owner or "-"] = owners.get(info.owner or "-", 0) + 1
                    online += info.state is GroupState.ONLINE
            return {
                "wall": sw.elapsed if done.is_set() else math.nan,
                "moved": len(victim_ids),
                "online": online,
                "owners": owners,
                "gc": sw.gc_note(),
                **marks,
            }

    r = run_virtual(main)
    moved = int(r["moved"])
    base = median_of(BASELINE_RUNS, lambda: baseline_concurrent(moved, sizes.per_group))
    owners = ", ".join(f"{k}:{v}" for k, v in sorted(r["owners"].items()))
    detect = r.get("v_detect", math.nan) - r["v_crash"]
    return {
        "rows": [
            row(
                "2",
                f"crash {victim} ({moved} groups, {moved * sizes.per_group:,} resources): "
                "declared down -> all ONLINE on survivors: wall",
                r["wall"],
                "s",
                target=("<=", 0.25 * sizes.scale),
                baseline=base,
                note=f"{r['gc']}; {r['online']}/{moved} ONLINE on {owners}; "
                f"{int(r.get('events', 0)):,} events; virtual clock{_scaled(sizes)}",
            ),
            row(
                "2i",
                "  crash -> declared down, cluster (virtual) time",
                detect,
                "s",
                note="informational: node_timeout 5 s + heartbeat granularity, no wall cost",
            ),
            row(
                "2i",
                "  declared down -> all ONLINE, cluster (virtual) time",
                r.get("v_done", math.nan) - r.get("v_detect", math.nan),
                "s",
                note="informational: Good.online() does not wait, so 0 is expected",
            ),
        ]
    }


# -- 3. notifications ------------------------------------------------------------------------


def baseline_stream(count: int) -> float:
    """Bare anyio: send_nowait ``count`` small objects into an unbounded memory object
    stream, then ``await receive()`` each of them."""

    async def main() -> float:
        send, receive = anyio.create_memory_object_stream[tuple[int, str, int]](math.inf)
        with send, receive, Stopwatch() as sw:
            for i in range(count):
                send.send_nowait((0x800, "R", i))
            for _ in range(count):
                await receive.receive()
        return sw.elapsed

    return float(run_real(main))


def bench_notify(sizes: Sizes) -> dict[str, Any]:
    """Target 3. (a) isolated: the runtime's EventBus.emit() called directly, N times in a
    burst, then N ``await port.receive()`` on a NotifyPort; (b) end to end: N property sets
    through the public API (each one RESOURCE_PROPERTY event), then N receives."""
    n = sizes.notify_events
    m = sizes.notify_property_sets

    async def main() -> dict[str, Any]:
        async with open_reference_cluster(
            nodes=node_names(2), node_timeout=NO_FAILURE_DETECTION
        ) as env:
            await env.cluster.create_resource_type(Good)
            group = await env.cluster.create_group("G")
            res = await group.create_resource("R", "Good")
            bus = env._runtime.state.events
            change = ClusterChange.RESOURCE_PROPERTY
            out: dict[str, float] = {}
            async with env.cluster.notifications(change) as port:
                with Stopwatch() as sw:
                    for _ in range(n):
                        bus.emit(change, res.name, res.id)
                    out["emit"] = time.perf_counter() - sw.start_time
                    for _ in range(n):
                        await port.receive()
                out["direct"] = sw.elapsed
                gc_direct = sw.gc_note()
            async with env.cluster.notifications(change) as port:
                with Stopwatch() as sw:
                    for i in range(m):
                        await res.set_common_properties(description="ab"[i % 2])
                    out["sets"] = time.perf_counter() - sw.start_time
                    received = 0
                    for _ in range(m):
                        await port.receive()
                        received += 1
                out["end_to_end"] = sw.elapsed
                out["received"] = received
            return {**out, "gc_direct": gc_direct, "gc_e2e": sw.gc_note()}

    r = run_real(main)
    base = median_of(BASELINE_RUNS, lambda: baseline_stream(n))
    base_m = median_of(BASELINE_RUNS, lambda: baseline_stream(m))
    rate, base_rate = n / r["direct"], n / base
    rate_e2e = m / r["end_to_end"]
    return {
        "rows": [
            row(
                "3",
                f"notify port throughput, {n:,} events via EventBus.emit (isolated)",
                rate,
                "ev/s",
                target=(">=", 200_000),
                baseline=base_rate,
                note=f"emit {r['emit'] / n * 1e6:.2f} us/ev, receive "
                f"{(r['direct'] - r['emit']) / n * 1e6:.2f} us/ev; {r['gc_direct']}",
            ),
            row(
                "3",
                "  same, fraction of bare anyio memory object stream",
                rate / base_rate,
                "x",
                target=(">=", 0.3),
                note=f"baseline {base / n * 1e6:.2f} us/object, median of {BASELINE_RUNS}",
            ),
            row(
                "3i",
                f"  end to end: {m:,} set_common_properties() -> port",
                rate_e2e,
                "ev/s",
                baseline=m / base_m,
                note=f"informational; set {r['sets'] / m * 1e6:.1f} us/call, "
                f"{int(r['received']):,} events received; {r['gc_e2e']}",
            ),
        ]
    }


# -- 4. virtual time -------------------------------------------------------------------------


def baseline_polls(tasks: int, interval: float, seconds: float) -> float:
    """Bare anyio on a VirtualClock: ``tasks`` tasks each waking every ``interval`` for
    ``seconds`` of virtual time and awaiting a trivial coroutine (the polls' timer wake-ups)."""

    async def main() -> float:
        async def poller() -> None:
            tick = interval
            while tick <= seconds:
                await anyio.sleep_until(tick)
                await trivial()
                tick += interval

        with Stopwatch() as sw:
            async with anyio.create_task_group() as tg:
                for _ in range(tasks):
                    tg.start_soon(poller)
        return sw.elapsed

    return float(run_virtual(main))


def bench_virtual(sizes: Sizes) -> dict[str, Any]:
    """Target 4: advance cluster time with 200 online resources polled at the defaults."""
    groups = sizes.virtual_resources // sizes.per_group

    async def main() -> dict[str, Any]:
        async with open_reference_cluster(nodes=node_names(sizes.virtual_nodes)) as env:
            await env.cluster.create_resource_type(CountingGood)
            built = await build_cluster(
                env.cluster,
                groups=groups,
                per_group=sizes.per_group,
                nodes=node_names(sizes.virtual_nodes),
                type_name=CountingGood.type_name,
            )
            await online_all_concurrently([g for g, _ in built])
            await env.settle()
            CountingGood.looks_alive_calls = CountingGood.is_alive_calls = 0
            v0 = anyio.current_time()
            with Stopwatch() as sw:
                await env.advance(sizes.virtual_seconds)
            online = sum([await g.state() is GroupState.ONLINE for g, _ in built])
            return {
                "wall": sw.elapsed,
                "virtual": anyio.current_time() - v0,
                "looks": CountingGood.looks_alive_calls,
                "is": CountingGood.is_alive_calls,
                "online": online,
                "gc": sw.gc_note(),
            }

    r = run_virtual(main)
    base = median_of(
        BASELINE_RUNS, lambda: baseline_polls(sizes.virtual_resources, 5.0, sizes.virtual_seconds)
    )
    hours = sizes.virtual_seconds / 3600
    polls = r["looks"] + r["is"]
    return {
        "rows": [
            row(
                "4",
                f"{hours:g} h of cluster time, {sizes.virtual_nodes} nodes, "
                f"{sizes.virtual_resources} resources online, default polls: wall",
                r["wall"],
                "s",
                target=("<=", 5.0 * hours),
                baseline=base,
                note=f"{int(r['looks']):,} LooksAlive + {int(r['is']):,} IsAlive "
                f"({r['wall'] / max(polls, 1) * 1e6:.1f} us/poll); {r['gc']}; virtual "
                f"{r['virtual']:.0f} s; {int(r['online'])}/{groups} groups ONLINE"
                + ("" if hours == 1 else f" (target scaled x{hours:g})"),
            ),
        ]
    }


# -- 5. memory and state() -----------------------------------------------------------------


def bench_memory(sizes: Sizes) -> dict[str, Any]:
    """Target 5a: RSS (``/proc/self/statm``) before creating the resources and after they are
    all online; the cluster (nodes, type) exists before the first reading."""

    async def main() -> dict[str, Any]:
        async with open_reference_cluster(
            nodes=node_names(sizes.nodes), node_timeout=NO_FAILURE_DETECTION
        ) as env:
            await env.cluster.create_resource_type(Good)
            settle_gc()
            rss0 = rss_bytes()
            objects0 = len(gc.get_objects())
            built = await build_cluster(
                env.cluster,
                groups=sizes.groups,
                per_group=sizes.per_group,
                nodes=node_names(sizes.nodes),
                type_name="Good",
            )
            settle_gc()
            rss1 = rss_bytes()
            await online_all_concurrently([g for g, _ in built])
            await env.settle()
            settle_gc()
            rss2 = rss_bytes()
            objects = len(gc.get_objects()) - objects0
            return {
                "created": rss1 - rss0,
                "onlined": rss2 - rss1,
                "total": rss2 - rss0,
                "objects": objects,
            }

    r = run_real(main)
    mb = 1024 * 1024
    n = sizes.resources
    return {
        "rows": [
            row(
                "5",
                f"RSS added by {n:,} resources (created + online)",
                r["total"] / mb,
                "MB",
                target=("<=", 50.0 * sizes.scale),
                note=f"{r['total'] / n / 1024:.2f} KiB/resource: create "
                f"{r['created'] / mb:.1f} MB + online {r['onlined'] / mb:.1f} MB; "
                f"{r['objects'] / n:.0f} GC-tracked objects/resource" + _scaled(sizes),
            )
        ],
        "extra": {"total_mb": r["total"] / mb},
    }


def bench_memory_baseline(sizes: Sizes) -> dict[str, Any]:
    """Baseline of 5a: the RSS of one idle anyio task per resource (the runtime's design runs a
    poll task per online resource), in a fresh process."""
    n = sizes.resources

    async def main() -> float:
        settle_gc()
        rss0 = rss_bytes()
        async with anyio.create_task_group() as tg:
            for _ in range(n):
                tg.start_soon(anyio.sleep_forever)
            await anyio.wait_all_tasks_blocked()
            settle_gc()
            rss1 = rss_bytes()
            tg.cancel_scope.cancel()
        return (rss1 - rss0) / (1024 * 1024)

    return {"extra": {"baseline_mb": float(run_real(main))}}


def bench_memory_tracemalloc(sizes: Sizes) -> dict[str, Any]:
    """Cross-check of 5a with tracemalloc (Python allocations only), and where they come from."""

    async def main() -> dict[str, Any]:
        async with open_reference_cluster(
            nodes=node_names(sizes.nodes), node_timeout=NO_FAILURE_DETECTION
        ) as env:
            await env.cluster.create_resource_type(Good)
            settle_gc()
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            built = await build_cluster(
                env.cluster,
                groups=sizes.groups,
                per_group=sizes.per_group,
                nodes=node_names(sizes.nodes),
                type_name="Good",
            )
            await online_all_concurrently([g for g, _ in built])
            await env.settle()
            settle_gc()
            traced, _peak = tracemalloc.get_traced_memory()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
            top = after.compare_to(before, "lineno")[:12]
            sites = [
                f"{s.size_diff / 1024 / 1024:7.2f} MB {s.count_diff:>8,} blocks  "
                f"{_short(s.traceback[0].filename)}:{s.traceback[0].lineno}"
                for s in top
            ]
            return {"traced": traced, "sites": sites}

    r = run_real(main)
    return {
        "extra": {"traced_mb": r["traced"] / (1024 * 1024)},
        "details": [
            f"tracemalloc: top allocation sites for {sizes.resources:,} resources created + "
            "online (size, blocks, file:line):",
            *(f"  {s}" for s in r["sites"]),
        ],
    }


def _short(filename: str) -> str:
    for marker in ("/clusapi/", "/resapi/", "/anyio/", "/asyncio/", "/benchmarks/", "/attr/"):
        if marker in filename:
            return marker.strip("/") + "/" + filename.split(marker, 1)[1]
    return filename


def bench_state(sizes: Sizes) -> dict[str, Any]:
    """Target 5b: ``await resource.state()`` on an online cluster of the full size, each call
    timed on its own (perf_counter_ns), cycling through the resources."""
    calls = sizes.state_calls

    async def main() -> list[int]:
        async with open_reference_cluster(
            nodes=node_names(sizes.nodes), node_timeout=NO_FAILURE_DETECTION
        ) as env:
            _, built = await _built(sizes, env.cluster)
            await online_all_concurrently([g for g, _ in built])
            await env.settle()
            resources = [r for _, rs in built for r in rs]
            clock = time.perf_counter_ns
            samples = []
            with Stopwatch():
                for i in range(calls):
                    res = resources[i % len(resources)]
                    t0 = clock()
                    await res.state()
                    samples.append(clock() - t0)
            return samples

    async def baseline() -> list[int]:
        clock = time.perf_counter_ns
        samples = []
        settle_gc()
        for _ in range(calls):
            t0 = clock()
            await trivial_value()
            samples.append(clock() - t0)
        return samples

    samples = sorted(run_real(main))
    base = statistics.median(run_real(baseline)) / 1000
    med = statistics.median(samples) / 1000
    p90 = samples[int(len(samples) * 0.9)] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    worst = samples[-1] / 1000
    return {
        "rows": [
            row(
                "5",
                f"await resource.state(): median of {calls:,} calls "
                f"({sizes.resources:,} resources online)",
                med,
                "us",
                target=("<=", 20.0),
                baseline=base,
                note=f"p90 {p90:.1f} us, p99 {p99:.1f} us, max {worst:.0f} us; baseline: "
                "await of a trivial coroutine, same timing loop",
            )
        ]
    }


BENCHMARKS: dict[str, Callable[[Sizes], dict[str, Any]]] = {
    "online": bench_online,
    "online_sequential": bench_online_sequential,
    "failover": bench_failover,
    "notify": bench_notify,
    "virtual": bench_virtual,
    "memory": bench_memory,
    "memory_baseline": bench_memory_baseline,
    "memory_tracemalloc": bench_memory_tracemalloc,
    "state": bench_state,
}
