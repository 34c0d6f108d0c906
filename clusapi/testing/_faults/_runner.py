"""The entry points: :func:`run_fault_schedule` (one seed on its own virtual clock) and
``python -m clusapi.testing.faults`` (:func:`main`)."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

import anyio
import attrs

from .._clock import VirtualClock
from ._report import _REPLAY_MODULE, SimulationReport, replay_command
from ._schedule import FaultSchedule, SimulationTimings
from ._simulation import FaultSimulation

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ._checks import TimelineEvent


def run_fault_schedule(
    seed: int,
    *,
    steps: int = 200,
    nodes: int = 4,
    quorum: bool | None = None,
    groups: int = 8,
    timings: SimulationTimings | None = None,
    tamper: Callable[[list[TimelineEvent]], None] | None = None,
) -> SimulationReport:
    """Generate the schedule of ``seed`` and run it on a fresh cluster on a virtual clock, in
    its own ``anyio.run``; return what the invariant checker found.

    Args:
        seed: the seed of ``random.Random``: the whole run follows from it.
        steps: how many fault/work steps.
        nodes: the cluster's size.
        quorum: with a quorum disk (True), majority quorum (False), or the seed decides (None).
        groups: application groups (besides the quorum group).
        timings: the timeouts; the defaults suit the benchmark.
        tamper: called with the recorded timeline before it is checked (to test the checker).
    """
    return _simulate(seed, steps, nodes, quorum, groups, timings, tamper).report


@attrs.frozen
class _Outcome:
    """A run's report and its cluster log (the CLI prints the log with ``--log``)."""

    report: SimulationReport
    cluster_log: str


def _simulate(
    seed: int,
    steps: int,
    nodes: int,
    quorum: bool | None,
    groups: int = 8,
    timings: SimulationTimings | None = None,
    tamper: Callable[[list[TimelineEvent]], None] | None = None,
) -> _Outcome:
    timings = timings or SimulationTimings()
    schedule = FaultSchedule.generate(
        seed, steps=steps, nodes=nodes, quorum=quorum, groups=groups, timings=timings
    )
    sim = FaultSimulation(
        schedule,
        timings=timings,
        replay=replay_command(seed, steps, nodes, quorum, groups),
        tamper=tamper,
    )
    clock = VirtualClock()
    report: SimulationReport = anyio.run(
        sim.run, backend="asyncio", backend_options={"loop_factory": clock.new_event_loop}
    )
    return _Outcome(report, sim.cluster_log)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m clusapi.testing.faults``: run (replay) seeds; exit 1 if one failed."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {_REPLAY_MODULE}",
        description="Run seeded fault schedules on a reference cluster on virtual time and "
        "check the invariants (see clusapi.testing._faults).",
    )
    parser.add_argument("--seed", type=int, default=0, help="the (first) seed (default 0)")
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds from --seed (1)")
    parser.add_argument("--steps", type=int, default=200, help="steps per seed (200)")
    parser.add_argument("--nodes", type=int, default=4, help="cluster size (4)")
    parser.add_argument("--groups", type=int, default=8, help="application groups (8)")
    quorum = parser.add_mutually_exclusive_group()
    quorum.add_argument(
        "--quorum", dest="quorum", action="store_true", default=None, help="with a quorum disk"
    )
    quorum.add_argument("--no-quorum", dest="quorum", action="store_false", help="majority quorum")
    parser.add_argument("--schedule", action="store_true", help="print each seed's schedule")
    parser.add_argument("--log", action="store_true", help="print each seed's cluster log")
    args = parser.parse_args(argv)
    failed = checked = 0
    started = time.perf_counter()
    for seed in range(args.seed, args.seed + args.seeds):
        if args.schedule:
            schedule = FaultSchedule.generate(
                seed, steps=args.steps, nodes=args.nodes, quorum=args.quorum, groups=args.groups
            )
            print(schedule.describe())
        outcome = _simulate(seed, args.steps, args.nodes, args.quorum, args.groups)
        report = outcome.report
        if args.log:
            print(outcome.cluster_log)
        print(report.summary())
        checked += report.invariants_checked
        if not report.ok:
            failed += 1
            print(report.failure_message(limit=50))
    elapsed = time.perf_counter() - started
    print(
        f"{args.seeds} seed(s) x {args.steps} steps: {checked} invariants checked, "
        f"{failed} seed(s) with violations, {elapsed:.2f} s wall"
    )
    return 1 if failed else 0
