"""Run the performance benchmarks of the reference runtime and print them beside their targets.

    python -m benchmarks.run              # the issue's sizes (about a minute)
    python -m benchmarks.run --quick      # 1/10 of the sizes, for CI (a few seconds)
    python -m benchmarks.run --only online,state
    python -m benchmarks.run --profile online   # cProfile of the timed region only

Each measurement runs in a fresh Python process (so RSS readings and the garbage collector
start clean) with its own ``anyio.run`` and its own cluster. The command reports; it does not
assert: it exits 0 whatever the figures are (and also when a measurement crashed, which the
table shows as ERROR).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from typing import Any

_RESULT_PREFIX = "BENCHMARK-RESULT "

#: In the order they are printed (the memory baseline and tracemalloc runs feed target 5).
ORDER = (
    "online",
    "online_sequential",
    "failover",
    "notify",
    "virtual",
    "memory",
    "memory_baseline",
    "memory_tracemalloc",
    "state",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1/10 of the sizes (CI)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(ORDER)}")
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="run one measurement in this process under cProfile (timed region only) and "
        "print the hottest functions",
    )
    parser.add_argument("--profile-out", metavar="FILE", help="also dump the profile here")
    parser.add_argument("--child", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds per measurement (default 900)"
    )
    args = parser.parse_args(argv)

    if args.child:
        return _child(args.child, quick=args.quick)
    if args.profile:
        return _profile(args.profile, quick=args.quick, out=args.profile_out)

    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(ORDER)
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        parser.error(f"unknown measurement(s) {unknown}; choose from {', '.join(ORDER)}")

    _print_header(quick=args.quick)
    results: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    for name in [n for n in ORDER if n in names]:
        if sys.stderr.isatty():
            print(f"  running {name} ...", file=sys.stderr, flush=True)
        results[name] = _spawn(name, quick=args.quick, timeout=args.timeout)
    _print_table(results)
    print(f"\n(total {time.perf_counter() - started:.1f} s of wall time, setup included)")
    return 0


# -- the parent: one process per measurement ---------------------------------------------------


def _spawn(name: str, *, quick: bool, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", name]
    if quick:
        cmd.append("--quick")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(_RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(_RESULT_PREFIX) :])
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}


def _child(name: str, *, quick: bool) -> int:
    from ._bench import BENCHMARKS, Sizes

    sizes = Sizes.quick() if quick else Sizes()
    result = BENCHMARKS[name](sizes)
    print(_RESULT_PREFIX + json.dumps(result, default=_json_default), flush=True)
    return 0


def _json_default(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def _profile(name: str, *, quick: bool, out: str | None) -> int:
    import cProfile
    import pstats

    from . import _bench

    if name not in _bench.BENCHMARKS:
        print(f"unknown measurement {name!r}; choose from {', '.join(ORDER)}", file=sys.stderr)
        return 2
    sizes = _bench.Sizes.quick() if quick else _bench.Sizes()
    _bench.PROFILER = cProfile.Profile()
    result = _bench.BENCHMARKS[name](sizes)
    for r in result.get("rows", []):
        print(f"{r['label']}: {_fmt(r['value'], r['unit'])} (under cProfile: slower than normal)")
    stats = pstats.Stats(_bench.PROFILER).strip_dirs()
    if out:
        stats.dump_stats(out)
    print("\n== by own time (tottime)")
    stats.sort_stats("tottime").print_stats(30)
    print("\n== by cumulative time")
    stats.sort_stats("cumulative").print_stats(40)
    return 0


# -- the table ---------------------------------------------------------------------------


def _print_header(*, quick: bool) -> None:
    import anyio

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print("clusapi reference runtime benchmarks" + (" (--quick: 1/10 sizes)" if quick else ""))
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.machine()}; CPUs: os.cpu_count()={os.cpu_count()}"
        + (f", usable={affinity}" if affinity is not None else "")
        + f"; anyio {anyio.__version__ if hasattr(anyio, '__version__') else _version('anyio')}"
        " on asyncio"
    )
    print(
        "Each figure: its own process and anyio.run; wall time by time.perf_counter around the "
        "timed region only; baselines are bare anyio, median of 3 runs."
    )
    print()


def _version(dist: str) -> str:
    from importlib.metadata import version

    try:
        return version(dist)
    except Exception:
        return "?"


def _merge_memory(results: dict[str, dict[str, Any]]) -> None:
    mem = results.get("memory")
    if not mem or "rows" not in mem:
        return
    base = results.get("memory_baseline", {}).get("extra", {}).get("baseline_mb")
    if base is not None:
        mem["rows"][0]["baseline"] = base
        mem["rows"][0]["note"] += f"; baseline: {_fmt(base, 'MB')} for idle anyio tasks, 1/res."
    traced = results.get("memory_tracemalloc", {}).get("extra", {}).get("traced_mb")
    if traced is not None:
        mem["rows"].append(
            {
                "key": "5i",
                "label": "  cross-check: tracemalloc, Python allocations traced (same workload)",
                "value": traced,
                "unit": "MB",
                "target": None,
                "baseline": None,
                "note": "informational; sites listed below the table",
            }
        )


def _fmt(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if unit == "s":
        return f"{value * 1e3:.1f} ms" if abs(value) < 1 else f"{value:.3f} s"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "ev/s":
        return f"{value:,.0f} ev/s"
    if unit == "us":
        return f"{value:.2f} us"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:g} {unit}"


def _status(r: dict[str, Any]) -> str:
    value, target = r["value"], r["target"]
    if target is None:
        return "info"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "FAILED"
    op, limit = target
    ok = value <= limit if op == "<=" else value >= limit
    return "ok" if ok else "MISSED"


def _print_table(results: dict[str, dict[str, Any]]) -> None:
    _merge_memory(results)
    rows: list[dict[str, Any]] = []
    details: list[str] = []
    for name in ORDER:
        result = results.get(name)
        if result is None:
            continue
        if "error" in result:
            rows.append(
                {
                    "key": "!",
                    "label": f"{name}: ERROR",
                    "value": None,
                    "unit": "",
                    "target": None,
                    "baseline": None,
                    "note": result["error"],
                }
            )
            continue
        rows.extend(result.get("rows", []))
        details.extend(result.get("details", []))

    header = ("#", "figure", "measured", "target", "baseline", "vs base", "status")
    table = []
    for r in rows:
        target = r["target"]
        target_text = "-" if target is None else f"{target[0]} {_fmt(target[1], r['unit'])}"
        base = r["baseline"]
        ratio = "-" if base in (None, 0) or r["value"] is None else f"{r['value'] / base:.2f}x"
        table.append(
            (
                r["key"],
                r["label"],
                _fmt(r["value"], r["unit"]),
                target_text,
                "-" if base is None else _fmt(base, r["unit"]),
                ratio,
                "ERROR" if r["key"] == "!" else _status(r),
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table, strict=False)]
    widths[1] = min(widths[1], 92)

    def line(cells: tuple[str, ...]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            text = str(cell)
            if len(text) > width:
                text = text[: width - 1] + "~"
            out.append(text.ljust(width) if i in (0, 1) else text.rjust(width))
        return "  ".join(out).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for cells, r in zip(table, rows, strict=True):
        print(line(cells))
        if r["note"]:
            print(" " * (widths[0] + 2) + "    " + r["note"])
    if details:
        print()
        for d in details:
            print(d)
    missed = [c for c in table if c[6] in ("MISSED", "FAILED", "ERROR")]
    print()
    print(
        f"{sum(c[6] == 'ok' for c in table)} target figure(s) met, {len(missed)} missed or "
        "failed (this command reports; it does not fail on a miss)."
    )


if __name__ == "__main__":
    sys.exit(main())
