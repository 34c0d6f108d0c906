"""Checks the Pacemaker handlers share (on one snapshot), and the error for what has no
counterpart on Pacemaker. What both backends check (a node by name, whether a node can host a
group) comes from :mod:`clusapi._rules`, with its text; only Pacemaker's own reasons (ids,
constraints, fail counts, a cluster that runs nothing) are worded here. See
``docs/pacemaker.md`` ("The mapping").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from clusapi import _rules as rules
from clusapi._errors import ClusterError, PropertyError, make_error
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._agents import AgentInfo
    from ._cib import ClusterView, GroupView, NodeView
    from ._session import Session

__all__ = (
    "check_host",
    "check_idle",
    "check_new_name",
    "check_with_agent",
    "no_host",
    "node_named",
    "not_supported",
)

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
#: The exit codes with which ``validate-all`` says the configuration is wrong (OCF: a bad
#: value, a missing one). Any other failure means the check could not run here.
_BAD_CONFIGURATION: Final = frozenset({2, 6})  # OCF_ERR_ARGS, OCF_ERR_CONFIGURED
#: The code suffix of a ClusterError's text, which the agent's exit reason carries over.
_CODE_SUFFIX: Final = re.compile(r" \([A-Z][A-Z0-9_]*, \d+\)")
#: The property an exit reason names: the agent says "parameter 'port'" (the OCF parameter,
#: which is the property's name on this backend), a table's own message "property 'Port'".
_PROPERTY: Final = re.compile(r"(?:parameter|property) '([^']+)'")


def not_supported(
    what: str, fix: str = "see docs/pacemaker.md for what Pacemaker offers"
) -> ClusterError:
    """ERROR_NOT_SUPPORTED for what has no counterpart on Pacemaker."""
    return make_error(
        Win32Error.ERROR_NOT_SUPPORTED, f"{what} (no counterpart on Pacemaker)", fix=fix
    )


def node_named(view: ClusterView, name: object) -> NodeView:
    """The node named ``name``, or NodeNotFoundError (ERROR_CLUSTER_NODE_NOT_FOUND)."""
    node = view.node_by_name(rules.require_name("node", name))
    if node is None:
        raise rules.no_such("node", str(name), view.name)
    return node


def check_new_name(view: ClusterView, kind: str, name: object) -> str:
    """``name`` for a new group or resource: a Pacemaker id no object uses (groups and
    resources share one namespace), else ERROR_INVALID_PARAMETER or
    ERROR_OBJECT_ALREADY_EXISTS."""
    name = rules.require_name(kind, name)
    # require_name has kept the length to rules.NAME_MAX, as on every backend.
    if not _NAME.fullmatch(name):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{kind} name {name!r} is not a valid Pacemaker id",
            fix="use letters, digits, '_', '-' and '.', starting with a letter or '_' "
            f"(at most {rules.NAME_MAX} characters)",
        )
    folded = name.casefold()
    for other in (*view.groups, *(p.id for p in view.visible_primitives())):
        if other.casefold() == folded:
            what = "group" if other in view.groups else "resource"
            raise make_error(
                Win32Error.ERROR_OBJECT_ALREADY_EXISTS,
                f"a {what} named {other!r} already exists (on Pacemaker, groups and "
                "resources share one namespace, and names differ in more than case)",
                fix=f"choose another name, or open the existing {what}",
            )
    if name in view.ids:
        raise make_error(
            Win32Error.ERROR_OBJECT_ALREADY_EXISTS,
            f"the id {name!r} is already used in the CIB (by a constraint or attribute set)",
            fix="choose another name",
        )
    return name


def check_idle(view: ClusterView, group: GroupView, what: str) -> None:
    """ERROR_INVALID_STATE if a member of ``group`` is starting or stopping."""
    busy = [m for m in group.members if view.primitives[m].in_transition]
    if busy:
        raise make_error(
            Win32Error.ERROR_INVALID_STATE,
            f"group {group.id!r} is busy: {', '.join(repr(b) for b in busy)} "
            f"{'is' if len(busy) == 1 else 'are'} starting or stopping",
            fix=f"wait until its current action ends, then {what}",
        )


def check_host(
    view: ClusterView, group: GroupView, node: NodeView, *, failures: bool = True
) -> None:
    """Whether ``node`` may host ``group``: the shared check (:func:`rules.check_can_host`:
    up, not paused (standby), a possible owner of every member), then what only Pacemaker
    bars a node by: a location constraint or, with ``failures``, fail counts at
    migration-threshold (ERROR_HOST_NODE_NOT_RESOURCE_OWNER, naming which).
    """
    if view.can_host(node, group.members, group.id, failures=failures):
        return  # up, not in standby, and a possible owner: nothing to check
    not_owner = [m for m in group.members if all(n.id != node.id for n in view.possible_owners(m))]
    rules.check_can_host(node, group.id, not_owner)
    failed = [
        m
        for m in group.members
        if view.primitives[m].fail_counts.get(node.name, 0)
        >= view.primitives[m].migration_threshold
    ]
    raise make_error(
        Win32Error.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
        f"node {node.name!r} may not run group {group.id!r}: "
        + (
            f"resource(s) {', '.join(map(repr, failed))} failed there too often "
            "(fail count at migration-threshold)"
            if failed
            else "a location constraint bars it (crm_resource --ban, or one set outside clusapi)"
        ),
        fix="bring the group online on that node (online() clears the fail counts), or "
        "remove the constraint (crm_resource --clear)",
    )


def no_host(
    view: ClusterView,
    group: GroupView,
    exclude: str | None = None,
    *,
    failures: bool = True,
) -> None:
    """ERROR_HOST_NODE_NOT_AVAILABLE if the cluster runs no resources, or no node (other than
    ``exclude``) can host ``group``."""
    if not view.resources_may_run():
        raise make_error(
            Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
            f"cluster {view.name!r} runs no resources now (no quorum, stop-all-resources or "
            "maintenance-mode)",
            fix="restore quorum, or clear the cluster option",
        )
    if not any(
        view.can_host(n, group.members, group.id, failures=failures)
        for n in view.nodes.values()
        if n.name != exclude
    ):
        raise rules.no_host(group.id, other=bool(exclude))


async def check_with_agent(
    session: Session, agent: AgentInfo, resource: str, params: Mapping[str, str]
) -> None:
    """Run a resapi type's ``validate-all`` on the instance attributes a change would leave
    (``params``), before the CIB is written: the type's own checks (``prop(validate=...)``,
    ``PropertyTable.validate()``), which the meta-data cannot carry.

    Only for agents resapi's bridge wrote under this backend's OCF root (the file is here,
    and its validate-all checks the table alone); an agent a package installed may check the
    node it runs on, which is not the client's, so Pacemaker's own start checks those. Not
    while a required parameter is unset (the agent would only say that; the reference
    runtime checks the merged values then too).

    Raises:
        PropertyError: ERROR_INVALID_PARAMETER with the type's message (its exit reason).
    """
    path = session.agents.bridge_file(agent.name)
    if path is None or any(i.required and i.name not in params for i in agent.table.items()):
        return
    variables = [f"OCF_RESKEY_{name}={value}" for name, value in params.items()]
    argv = ["env", f"OCF_ROOT={session.agents.ocf_root}", f"OCF_RESOURCE_INSTANCE={resource}"]
    result = await session.runner.run(
        [*argv, *variables, str(path), "validate-all"], local=True, check=False
    )
    if result.code not in _BAD_CONFIGURATION:
        return
    lines = result.stderr.decode(errors="replace").splitlines()
    reasons = [line.partition(":")[2] for line in lines if line.startswith("ocf-exit-reason:")]
    reason = _CODE_SUFFIX.sub("", reasons[-1] if reasons else "", count=1).strip()
    error = PropertyError(
        Win32Error.ERROR_INVALID_PARAMETER,
        f"resource {resource!r}: "
        + (reason or f"its agent's validate-all refused the change (exit {result.code})"),
    )
    named = _PROPERTY.search(reason)
    error.property_name = named[1] if named else None
    raise error
