"""The entry points: :func:`run_fault_schedule` (one seed on its own virtual clock) and
``python -m clusapi.testing.faults`` (:func:`main`)."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

import anyio
import attrs

from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

from .._clock import VirtualClock
from ._report import _REPLAY_MODULE, SimulationReport, replay_command
from ._schedule import FaultSchedule, SimulationTimings
from ._simulation import FaultSimulation
from ._user_types import ResolvedTypes, TypesArg, TypeUnderTest, new_loop

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

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
    types: TypesArg | None = None,
) -> SimulationReport:
    """Generate the schedule of ``seed`` and run it on a fresh cluster on a virtual clock, in
    its own ``anyio.run``; return what the invariant checker found.

    Synchronous (it runs its own event loop): call it from a plain test function, not from
    inside a running event loop.

    Args:
        seed: the seed of ``random.Random``: the whole run follows from it.
        steps: how many fault/work steps.
        nodes: the cluster's size.
        quorum: with a quorum disk (True), majority quorum (False), or the seed decides (None).
        groups: application groups (besides the quorum group).
        timings: the timeouts; the defaults suit the benchmark.
        tamper: called with the recorded timeline before it is checked (to test the checker).
        types: the user's own resource types to run instead of the simulated service
            (:class:`TypeUnderTest` values, bare classes or ``"module:Class"`` paths), or the
            ``"module:attribute"`` of such a list (the replay then says ``--types-from``).
            docs/testing.md, "Your own types".

    Raises:
        InvalidParameterError: a type that does not load.
        PropertyError: property values a type refuses.
    """
    resolved = ResolvedTypes.resolve(types)
    return _simulate(seed, steps, nodes, quorum, groups, timings, tamper, resolved).report


def assert_fault_tolerant(
    types: TypesArg,
    *,
    seeds: Iterable[int] = range(50),
    steps: int = 200,
    nodes: int = 4,
    quorum: bool | None = None,
    groups: int = 8,
) -> None:
    """Run the fault simulation over the user's ``types`` for each of ``seeds``; fail the
    test at the first seed that breaks an invariant or the types' contract.

    Example::

        def test_echo_server_survives_faults():
            assert_fault_tolerant(
                [TypeUnderTest(EchoServer, properties={"port": "471{index:02d}"})],
                seeds=range(50), steps=100,
            )

    Synchronous, like :func:`run_fault_schedule`: call it from a plain (not async) test.

    Raises:
        AssertionError: the seed, its violations and the command that replays it.
        InvalidParameterError, PropertyError: as :func:`run_fault_schedule`.
    """
    __tracebackhide__ = True  # pytest shows the message, not this frame
    resolved = ResolvedTypes.resolve(types)
    if not resolved.types:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            "assert_fault_tolerant() got no types: it would check only the simulated ones",
            fix="pass at least one TypeUnderTest (or use run_fault_schedule without types)",
        )
    for seed in seeds:
        report = _simulate(seed, steps, nodes, quorum, groups, None, None, resolved).report
        if not report.ok:
            raise AssertionError(report.failure_message())


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
    types: ResolvedTypes | None = None,
) -> _Outcome:
    timings = timings or SimulationTimings()
    types = types or ResolvedTypes.resolve(None)
    schedule = FaultSchedule.generate(
        seed,
        steps=steps,
        nodes=nodes,
        quorum=quorum,
        groups=groups,
        timings=timings,
        user_types=len(types.types),
    )
    sim = FaultSimulation(
        schedule,
        timings=timings,
        replay=replay_command(seed, steps, nodes, quorum, groups) + types.replay_suffix(),
        tamper=tamper,
        types=types,
    )
    clock = VirtualClock()
    # The user's types do real I/O: their loop resolves addresses inline (see new_loop).
    factory = new_loop(clock) if types.types else clock.new_event_loop
    report: SimulationReport = anyio.run(
        sim.run, backend="asyncio", backend_options={"loop_factory": factory}
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
    parser.add_argument(
        "--type",
        dest="types",
        action=_TypesAction,
        default=[],
        metavar="MODULE:CLASS",
        help="run this resource type of yours instead of the simulated service (repeatable)",
    )
    parser.add_argument(
        "--property",
        dest="types",
        action=_TypesAction,
        metavar="NAME=VALUE",
        help="a private property value of the --type before it; {index} is the resource's "
        "index among those of its type (e.g. port=471{index:02d})",
    )
    parser.add_argument(
        "--types-from",
        metavar="MODULE:ATTRIBUTE",
        help="an importable list of TypeUnderTest (or a function returning one)",
    )
    args = parser.parse_args(argv)
    if args.types and args.types_from:
        parser.error("give --type or --types-from, not both")
    try:
        types = ResolvedTypes.resolve(args.types_from or args.types or None)
    except ClusterError as exc:
        parser.error(str(exc))
    failed = checked = 0
    started = time.perf_counter()
    for seed in range(args.seed, args.seed + args.seeds):
        if args.schedule:
            schedule = FaultSchedule.generate(
                seed,
                steps=args.steps,
                nodes=args.nodes,
                quorum=args.quorum,
                groups=args.groups,
                user_types=len(types.types),
            )
            print(schedule.describe())
        try:
            outcome = _simulate(
                seed, args.steps, args.nodes, args.quorum, args.groups, None, None, types
            )
        except ClusterError as exc:  # property values a type refuses: a usage error
            parser.error(str(exc))
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


class _TypesAction(argparse.Action):
    """``--type PATH`` starts a type under test; ``--property NAME=VALUE`` adds a property
    text to the last ``--type``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        assert isinstance(values, str)
        if option_string == "--type":
            namespace.types = [*namespace.types, TypeUnderTest(values, {})]
            return
        name, equals, text = values.partition("=")
        if not namespace.types:
            parser.error(f"--property {values}: give the --type it belongs to first")
        if not equals or not name:
            parser.error(f"--property {values!r}: expected NAME=VALUE, e.g. port=7100")
        last = namespace.types[-1]
        assert isinstance(last.properties, dict)
        namespace.types[-1] = TypeUnderTest(last.resource_type, {**last.properties, name: text})
