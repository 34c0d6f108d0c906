"""The OCF bridge: a resapi type as an OCF agent (``_agent``, ``_daemon``, ``_install``)
and an OCF agent as a resapi type (``_type``). See docs/ocf.md.

Nothing is imported here: an installed agent imports this package for every action.
"""
