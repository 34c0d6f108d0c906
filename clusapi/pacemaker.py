"""clusapi.pacemaker: the Cluster API on a real Pacemaker + Corosync cluster.

:class:`PacemakerBackend` drives a Pacemaker cluster (or a saved CIB) through Pacemaker's own
command-line tools; :func:`clusapi.open_cluster` with no backend opens the local cluster with
it. The mapping of MSCS concepts to Pacemaker, and what has no counterpart, is in
``docs/pacemaker.md``::

    cluster = await clusapi.open_cluster()                  # the Pacemaker cluster on this node
    offline = await clusapi.open_cluster(backend=PacemakerBackend(cib_file="cib.xml"))
"""

from __future__ import annotations

from ._backends.pacemaker._backend import (
    GroupPlacement as GroupPlacement,
    PacemakerBackend as PacemakerBackend,
)
from ._util import fixup_module_metadata as _fixup_module_metadata

__all__ = ("GroupPlacement", "PacemakerBackend")

_fixup_module_metadata(__name__, globals(), __all__)
