"""The demo: a live failover and failback of a virtual address on a 3-node cluster.

    python -m examples.demo                     # the in-process reference cluster, about 12 s
    python -m examples.demo --port 7100         # the same, with the address on port 7100
    python -m examples.demo --engine pacemaker  # the same on a real Pacemaker cluster (root)

Run it from the repository root: it is an application of the source tree (it uses the
resource types of :mod:`examples.virtual_address`), not part of the installed library, and it
uses only the public API (``clusapi``, ``clusapi.testing``, ``clusapi.pacemaker``, ``resapi``).
The story and the engines are described in ``docs/quickstart.md``; :func:`run_demo` runs it.
"""

from __future__ import annotations

from ._story import DemoError as DemoError, run_demo as run_demo

__all__ = ("DemoError", "run_demo")
