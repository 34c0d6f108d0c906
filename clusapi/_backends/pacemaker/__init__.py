"""The Pacemaker backend: clusapi's operations on a real Pacemaker + Corosync cluster.

Public names are re-exported by :mod:`clusapi.pacemaker`; the mapping between MSCS and
Pacemaker concepts is written down in ``docs/pacemaker.md``.
"""
