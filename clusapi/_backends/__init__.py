"""The backends behind :class:`clusapi.lowlevel.Backend`, side by side.

``reference/`` runs a whole cluster in this process; ``pacemaker/`` drives a real Pacemaker +
Corosync cluster through its command-line tools. Neither imports the other; both build on the
vocabulary, the shared rules (``clusapi._rules``) and the pure policy (``clusapi._policy``).
See docs/architecture.md.
"""
