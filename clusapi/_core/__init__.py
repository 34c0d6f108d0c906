"""The neutral lower layer: the machinery both the resource monitor (``resapi``) and the
reference runtime build on, beneath both and above only the vocabulary.

``_clock`` reads the event loop's clock, ``_timers`` keeps deadlines, ``_registry_tree`` is the
in-memory registry hive (the cluster database and each node's local registry), ``_groups`` lets a
single exception out of a task group as itself. Nothing here imports a backend, ``resapi``, or
the public handles; tests/clusapi/test_layers.py checks it. See docs/architecture.md.
"""
