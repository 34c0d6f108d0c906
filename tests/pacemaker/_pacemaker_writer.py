"""One of several concurrent writers for tests/pacemaker/test_pacemaker_safety.py (not a test
module).

Usage:
``python tests/pacemaker/_pacemaker_writer.py TAG COUNT (--cib-file PATH | --prefix JSON-LIST)``

Creates groups ``TAG-0`` ... ``TAG-<COUNT-1>`` through the Pacemaker backend, one
``create_group`` call each, and prints one JSON object: the names whose call succeeded
(``"ok"``), the errors of those that failed (``"failed"``: name -> message) and the seconds
each call took (``"seconds"``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import anyio

import clusapi
from clusapi.pacemaker import PacemakerBackend


async def _main(tag: str, count: int, cib_file: str | None, prefix: list[str]) -> None:
    backend = PacemakerBackend(cib_file=cib_file, command_prefix=prefix)
    ok: list[str] = []
    failed: dict[str, str] = {}
    seconds: list[float] = []
    async with await clusapi.open_cluster(backend=backend) as cluster:
        for i in range(count):
            name = f"{tag}-{i}"
            started = time.monotonic()
            try:
                await cluster.create_group(name)
            except clusapi.ClusterError as exc:
                failed[name] = str(exc)
            else:
                ok.append(name)
            seconds.append(time.monotonic() - started)
    json.dump({"ok": ok, "failed": failed, "seconds": seconds}, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tag")
    parser.add_argument("count", type=int)
    parser.add_argument("--cib-file")
    parser.add_argument("--prefix", type=json.loads, default=[], help="argv prefix, as JSON")
    args = parser.parse_args()
    anyio.run(_main, args.tag, args.count, args.cib_file, args.prefix)


if __name__ == "__main__":
    main()
