"""Deterministic fault simulation at scale: many seeds x many fault steps on a 4-node
reference cluster, every invariant checked (see ``clusapi.testing._faults``).

    python -m benchmarks.faults                         # 500 seeds x 200 steps (the target)
    python -m benchmarks.faults --seeds 50 --steps 100  # a CI-sized sample
    python -m benchmarks.faults --workers 1             # in this process only
    python -m benchmarks.faults --seeds 50 --steps 30 --groups 3 --types-from mymod:TYPES
                                                        # your own types (docs/testing.md),
                                                        # one process: they share ports

(From a checkout without the package installed: ``PYTHONPATH=. python -m benchmarks.faults``.)

Seeds are spread over one process per core (``--workers``, default: the CPU count); each seed
runs in its own ``anyio.run`` on a virtual clock. The command prints the seeds, steps,
invariants checked, violations and the wall time beside the target (<= 120 s for 500 x 200 on
2 cores), then the replay command of each failing seed. It reports; it does not assert: it
exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import os
import platform
import sys
import time

#: The target: 500 seeds x 200 steps within 120 s of wall time on 2 cores.
TARGET_SECONDS = 120.0
TARGET_SEEDS = 500
TARGET_STEPS = 200


def _run_chunk(
    seeds: list[int], steps: int, groups: int = 8, types: str | None = None
) -> list[tuple[int, int, tuple[str, ...], str, str]]:
    """Run some seeds in this (worker) process: (seed, invariants, violations, replay, digest).

    ``types``: the ``module:attribute`` of the user types to run (a path, so that it reaches
    the worker processes)."""
    from clusapi.testing._faults import run_fault_schedule

    out = []
    for seed in seeds:
        report = run_fault_schedule(seed, steps=steps, groups=groups, types=types)
        out.append(
            (
                seed,
                report.invariants_checked,
                report.violations,
                report.replay_command,
                report.cluster_log_digest,
            )
        )
    return out


def _kind(violation: str) -> str:
    """Which invariant a violation message is about (they start with I1..I4)."""
    head = violation.split(" ", 1)[0]
    if head in ("I1", "I2", "I3", "I4"):
        return head
    if violation.startswith("the simulation raised"):
        return "runtime raised"
    if violation.startswith("step"):
        return "unexpected API error"
    if violation.startswith("contract"):
        return "contract of a user type"
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__)
    parser.add_argument("--seeds", type=int, default=TARGET_SEEDS, help="how many seeds (500)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (0)")
    parser.add_argument("--steps", type=int, default=TARGET_STEPS, help="steps per seed (200)")
    parser.add_argument("--groups", type=int, default=8, help="application groups (8)")
    parser.add_argument(
        "--types-from",
        metavar="MODULE:ATTRIBUTE",
        help="run your own types: an importable list of clusapi.testing.TypeUnderTest",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes (default: CPUs; 1 with --types-from, since every process would use "
        "the same ports)",
    )
    parser.add_argument(
        "--show", type=int, default=20, help="failing seeds to list with their replay (20)"
    )
    args = parser.parse_args(argv)

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    wanted = args.workers or (1 if args.types_from else os.cpu_count() or 1)
    workers = max(1, min(wanted, len(seeds) or 1))
    # Small interleaved chunks: seeds differ in cost, and each chunk pays one task round trip.
    chunks = [seeds[i :: workers * 8] for i in range(workers * 8)]
    chunks = [c for c in chunks if c]
    print(
        f"fault simulation: {len(seeds)} seeds x {args.steps} steps, 4-node reference cluster, "
        f"{workers} worker process(es); Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s)"
    )
    started = time.perf_counter()
    results: list[tuple[int, int, tuple[str, ...], str, str]] = []
    if workers == 1:
        for chunk in chunks:
            results.extend(_run_chunk(chunk, args.steps, args.groups, args.types_from))
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_run_chunk, chunk, args.steps, args.groups, args.types_from)
                for chunk in chunks
            ]
            for future in concurrent.futures.as_completed(futures):
                results.extend(future.result())
    elapsed = time.perf_counter() - started
    results.sort()

    invariants = sum(r[1] for r in results)
    violations = sum(len(r[2]) for r in results)
    failing = [r for r in results if r[2]]
    at_target_size = len(seeds) >= TARGET_SEEDS and args.steps >= TARGET_STEPS
    if at_target_size:
        verdict = "ok" if elapsed <= TARGET_SECONDS else "MISSED"
    else:
        verdict = "info: smaller than the target's size"
    print(f"  seeds               {len(seeds)}")
    print(f"  steps per seed      {args.steps}")
    print(f"  invariants checked  {invariants}")
    print(f"  violations          {violations} in {len(failing)} seed(s)")
    print(
        f"  wall time           {elapsed:.1f} s  (target <= {TARGET_SECONDS:g} s for "
        f"{TARGET_SEEDS} x {TARGET_STEPS} on 2 cores: {verdict})"
    )
    if failing:
        kinds: collections.Counter[str] = collections.Counter(
            _kind(v) for r in failing for v in r[2]
        )
        print("  violations by invariant: " + ", ".join(f"{k} x{n}" for k, n in kinds.items()))
        print(f"  failing seeds (first {min(args.show, len(failing))} of {len(failing)}):")
        for seed, _, found, replay, _ in failing[: args.show]:
            print(f"    seed {seed}: {len(found)} violation(s), first: {found[0][:160]}")
            print(f"      replay: {replay}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
