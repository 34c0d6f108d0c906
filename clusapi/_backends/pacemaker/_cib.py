"""One consistent picture of a Pacemaker cluster: the CIB plus ``crm_mon``'s reading of it.

:func:`build_view` parses the XML of ``cibadmin --query`` (the configuration and the raw
status) and of ``crm_mon -1 --output-as=xml`` run on that same CIB, into a frozen
:class:`ClusterView`: nodes, groups, their primitives and the constraints, each with the MSCS
state it maps to. The state mapping, for resources and groups, is the table in
``docs/pacemaker.md`` ("States").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

import resapi.ocf
from clusapi import _rules as rules
from clusapi._enums import GroupState, NodeState, ResourceState
from clusapi._errors import make_error
from clusapi._policy import derive_group_state
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = (
    "INFINITY",
    "CREATED_ON_META",
    "PLACEHOLDER_META",
    "ClusterView",
    "Colocation",
    "GroupView",
    "Location",
    "NodeView",
    "OpView",
    "Order",
    "PrimitiveView",
    "build_view",
    "cib_version",
    "duration_ms",
    "nvpairs",
    "parse_score",
)

#: Pacemaker's INFINITY score.
INFINITY: Final = 1_000_000
#: The meta attribute that marks the stand-in member of an empty group (see _edit.py).
PLACEHOLDER_META: Final = "clusapi-placeholder"
#: A group's meta attribute: the node it was created through (its owner until it runs).
CREATED_ON_META: Final = "clusapi-created-on"

_ACTIVE_ROLES: Final = frozenset({"Started", "Promoted", "Unpromoted", "Master", "Slave"})
_PENDING_ROLES: Final = {
    "Starting": ResourceState.ONLINE_PENDING,
    "Stopping": ResourceState.OFFLINE_PENDING,
    "Migrating": ResourceState.PENDING,
    "Promoting": ResourceState.PENDING,
    "Demoting": ResourceState.PENDING,
}
#: Operations that leave a resource on a node (where it last ran).
_PLACING_OPS: Final = frozenset({"start", "stop", "migrate_from", "promote", "demote"})
#: Operations whose success shows the resource running where they ran.
_RUNNING_OPS: Final = frozenset({"start", "monitor", "migrate_from", "promote"})
_UNITS_MS: Final = {
    "": 1000,
    "s": 1000,
    "sec": 1000,
    "ms": 1,
    "msec": 1,
    "m": 60_000,
    "min": 60_000,
}
_UNITS_MS["h"] = _UNITS_MS["hr"] = 3_600_000


def parse_score(text: str | None) -> int:
    """A Pacemaker score (``"100"``, ``"INFINITY"``, ``"-INFINITY"``) as an int in ±INFINITY."""
    if text is None:
        return 0
    value = text.strip().upper()
    if value in ("INFINITY", "+INFINITY", "INF", "+INF"):
        return INFINITY
    if value in ("-INFINITY", "-INF"):
        return -INFINITY
    try:
        return max(-INFINITY, min(INFINITY, int(value)))
    except ValueError:
        return 0  # red/yellow/green node-health scores are not placement preferences here


def duration_ms(text: str | None) -> int | None:
    """A Pacemaker interval (``"10s"``, ``"500ms"``, ``"2min"``, ``"20"`` = seconds) in ms."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([a-z]*)\s*", text.lower())
    if match is None or match[2] not in _UNITS_MS:
        return None
    return int(match[1]) * _UNITS_MS[match[2]]


def nvpairs(parent: ET.Element | None, tag: str) -> dict[str, str]:
    """The name/value pairs of ``parent``'s ``tag`` sets that apply always (no ``<rule>``),
    first definition winning, as Pacemaker reads sets of equal score in document order."""
    values: dict[str, str] = {}
    if parent is None:
        return values
    for block in parent.iterfind(tag):
        if block.find("rule") is not None:
            continue
        for pair in block.iterfind("nvpair"):
            name, value = pair.get("name"), pair.get("value")
            if name is not None and value is not None and name not in values:
                values[name] = value
    return values


def cib_version(cib: bytes) -> tuple[int, int, int]:
    """``(admin_epoch, epoch, num_updates)`` from the ``<cib>`` start tag, cheaply."""
    head = cib[: cib.find(b">") + 1].decode(errors="replace")
    numbers = []
    for name in ("admin_epoch", "epoch", "num_updates"):
        match = re.search(rf'\b{name}="(\d+)"', head)
        numbers.append(int(match[1]) if match else 0)
    return numbers[0], numbers[1], numbers[2]


@attrs.frozen
class OpView:
    """One ``<op>`` of a primitive."""

    id: str
    name: str
    interval_ms: int
    timeout_ms: int | None
    #: OCF_CHECK_LEVEL of a monitor (0: LooksAlive; above: IsAlive).
    depth: int
    on_fail: str | None


@attrs.frozen
class NodeView:
    """A cluster node and the NodeState it maps to."""

    id: str
    name: str
    state: NodeState
    online: bool
    standby: bool
    #: Permanent node attributes (``<nodes><node><instance_attributes>``), standby included.
    attributes: Mapping[str, str]

    # What the shared rules (clusapi._rules.NodeFacts) call these.
    @property
    def up(self) -> bool:
        return self.online

    @property
    def paused(self) -> bool:
        return self.standby


@attrs.frozen
class PrimitiveView:
    """A primitive inside a group, with what crm_mon says about it."""

    id: str
    group: str
    standard: str
    provider: str
    agent_type: str
    description: str
    meta: Mapping[str, str]
    params: Mapping[str, str]
    ops: tuple[OpView, ...]
    placeholder: bool
    role: str
    #: The effective target-role (the primitive's, else its group's), or None (Started).
    target_role: str | None
    failed: bool
    blocked: bool
    #: The nodes crm_mon lists it on, the one it most recently started on first (more than
    #: one only for a moment after a partition heals, see _current_first).
    nodes: tuple[str, ...]
    #: Fail count per node, and the migration-threshold crm_mon applies.
    fail_counts: Mapping[str, int]
    migration_threshold: int
    #: The node it runs on, else the one it last ran on (from the operation history).
    last_node: str | None
    #: The identity of its latest operations (node, op id, call-id, rc): changes on every
    #: start, stop or failure, so a restart between two polls is still seen.
    history: tuple[tuple[str, str, str, str], ...]
    state: ResourceState = ResourceState.UNKNOWN
    #: Its latest failed action as the operator reads it (the agent's exit reason included),
    #: from the ``<rsc>_last_failure_0`` entries of the status section; None after a clean-up.
    last_failure: str | None = None

    @property
    def name(self) -> str:
        """The MSCS name: the id (a Pacemaker id names the object for good)."""
        return self.id

    @property
    def agent(self) -> str:
        """``standard:provider:type`` (``ocf:heartbeat:Dummy``)."""
        if self.provider:
            return f"{self.standard}:{self.provider}:{self.agent_type}"
        return f"{self.standard}:{self.agent_type}"

    @property
    def wants_to_run(self) -> bool:
        return (self.target_role or "Started") != "Stopped"

    @property
    def in_transition(self) -> bool:
        """An action runs right now (Starting, Stopping, ...)."""
        return self.role in _PENDING_ROLES


@attrs.frozen
class GroupView:
    """A Pacemaker group as an MSCS group: members in order (without the placeholder)."""

    id: str
    description: str
    meta: Mapping[str, str]
    members: tuple[str, ...]
    placeholder: str | None
    state: GroupState
    owner: str | None

    @property
    def name(self) -> str:
        """The MSCS name: the id (a Pacemaker id names the object for good)."""
        return self.id


@attrs.frozen
class Location:
    """An ``rsc_location`` constraint (a ban, a preference, a move's; ``rule``: it has rules)."""

    id: str
    rsc: str
    node: str | None
    score: int
    rule: bool
    role: str | None


@attrs.frozen
class Order:
    """An ``rsc_order`` constraint: ``first`` starts before ``then``."""

    id: str
    first: str
    then: str
    mandatory: bool


@attrs.frozen
class Colocation:
    """An ``rsc_colocation`` constraint: ``rsc`` runs where ``with_rsc`` runs."""

    id: str
    rsc: str
    with_rsc: str
    score: int


@attrs.frozen
class ClusterView:
    """A snapshot of the cluster: configuration, status and the MSCS states derived."""

    version: tuple[int, int, int]
    #: The whole CIB as parsed (edits work on a copy of its <configuration>).
    root: ET.Element = attrs.field(repr=False)
    have_quorum: bool
    options: Mapping[str, str]
    rsc_defaults: Mapping[str, str]
    nodes: Mapping[str, NodeView]
    groups: Mapping[str, GroupView]
    primitives: Mapping[str, PrimitiveView]
    locations: tuple[Location, ...]
    orders: tuple[Order, ...]
    colocations: tuple[Colocation, ...]
    #: Every id used anywhere in the CIB (XML ids are one namespace).
    ids: frozenset[str]
    #: Top-level resources that are not groups (clusapi does not show them).
    other_resources: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.options.get("cluster-name") or "pacemaker"

    # -- lookups --------------------------------------------------------------------------------

    def node_by_name(self, name: str) -> NodeView | None:
        """The node called ``name``, exactly, else case-insensitively."""
        for node in self.nodes.values():
            if node.name == name:
                return node
        folded = name.casefold()
        matches = [n for n in self.nodes.values() if n.name.casefold() == folded]
        return matches[0] if len(matches) == 1 else None

    def find(self, name: str, kinds: Mapping[str, object]) -> str | None:
        if name in kinds:
            return name
        folded = name.casefold()
        matches = [k for k in kinds if k.casefold() == folded]
        return matches[0] if len(matches) == 1 else None

    def visible_primitives(self) -> Iterator[PrimitiveView]:
        for group in self.groups.values():
            for member in group.members:
                yield self.primitives[member]

    def group(self, group_id: str) -> GroupView:
        """The group with this id (a handle's), or ERROR_GROUP_NOT_AVAILABLE."""
        group = self.groups.get(group_id)
        if group is None:
            raise rules.gone("group", group_id, self.name)
        return group

    def primitive(self, resource_id: str) -> PrimitiveView:
        """The resource with this id (a handle's), or ERROR_RESOURCE_NOT_AVAILABLE."""
        prim = self.primitives.get(resource_id)
        if prim is None or prim.placeholder:
            raise rules.gone("resource", resource_id, self.name)
        return prim

    def node(self, node_id: str) -> NodeView:
        """The node with this id, or ERROR_CLUSTER_NODE_NOT_FOUND."""
        node = self.nodes.get(node_id)
        if node is None:
            raise rules.gone("node", node_id, self.name)
        return node

    def failure(self, members: Iterable[str]) -> str | None:
        """Why a wait on ``members`` has failed, naming those that are FAILED; else None."""
        failed = [m for m in members if self.primitives[m].state is ResourceState.FAILED]
        return f"resource(s) {', '.join(map(repr, failed))} failed" if failed else None

    def failure_detail(self, members: Iterable[str]) -> str:
        """What the failed actions of ``members`` were (" (resource 'b': start on 'node1'
        returned OCF_ERR_CONFIGURED (6): ...)"), to append to a failure; empty if none."""
        found = [
            f"resource {m!r}: {self.primitives[m].last_failure}"
            for m in members
            if self.primitives[m].last_failure
        ]
        return f" ({'; '.join(found)})" if found else ""

    # -- relations ------------------------------------------------------------------------------

    def depends_on(self, resource_id: str) -> list[str]:
        """Direct providers of a resource: ``rsc_order first=P then=R`` between primitives."""
        return [
            o.first
            for o in self.orders
            if o.then == resource_id and o.mandatory and o.first in self.primitives
        ]

    def dependents(self, resource_id: str) -> list[str]:
        return [
            o.then
            for o in self.orders
            if o.first == resource_id and o.mandatory and o.then in self.primitives
        ]

    def dependency_map(self, group_id: str) -> dict[str, list[str]]:
        """Member → its providers inside the group."""
        members = set(self.groups[group_id].members)
        return {m: [p for p in self.depends_on(m) if p in members] for m in members}

    def banned_nodes(self, rsc: str) -> set[str]:
        """Nodes (names) a -INFINITY location constraint without a rule bars ``rsc`` from."""
        return {
            loc.node
            for loc in self.locations
            if loc.rsc == rsc and loc.node is not None and not loc.rule and loc.score <= -INFINITY
        }

    def bans(self, resource_id: str) -> list[Location]:
        """The permanent bans of a resource: -INFINITY node constraints without a rule
        (``cli-ban`` constraints from a move are temporary and do not count)."""
        return [
            loc
            for loc in self.locations
            if loc.rsc == resource_id
            and loc.node is not None
            and not loc.rule
            and loc.score <= -INFINITY
            and not loc.id.startswith("cli-")
        ]

    def possible_owners(self, resource_id: str) -> list[NodeView]:
        """MSCS possible owners: every node without a permanent ban (:meth:`bans`)."""
        banned = {loc.node for loc in self.bans(resource_id)}
        return [n for n in self.nodes.values() if n.name not in banned]

    def preferred_owners(self, group_id: str) -> list[Location]:
        """Positive finite node scores on the group (not ``cli-``), best first."""
        prefs = [
            loc
            for loc in self.locations
            if loc.rsc == group_id
            and loc.node is not None
            and not loc.rule
            and 0 < loc.score < INFINITY
            and not loc.id.startswith("cli-")
        ]
        order = {n.name: i for i, n in enumerate(self.nodes.values())}
        prefs.sort(key=lambda loc: (-loc.score, order.get(loc.node or "", len(order))))
        return prefs

    def can_host(
        self, node: NodeView, members: Iterable[str], group_id: str, *, failures: bool = True
    ) -> bool:
        """Whether ``node`` may run all of ``members`` (of ``group_id``) now; ``failures``:
        whether fail counts at the migration-threshold bar it (not if they are cleared first)."""
        if not node.online or node.standby:
            return False
        if node.name in self.banned_nodes(group_id):
            return False
        symmetric = self.options.get("symmetric-cluster", "true").lower() not in ("false", "0")
        if not symmetric and not any(
            loc.rsc == group_id and loc.node == node.name and loc.score > 0
            for loc in self.locations
        ):
            return False
        for member in members:
            prim = self.primitives[member]
            if node.name in self.banned_nodes(member):
                return False
            if failures and prim.fail_counts.get(node.name, 0) >= prim.migration_threshold:
                return False
        return True

    def resources_may_run(self) -> bool:
        """Whether the cluster runs resources at all (quorum, stop-all, maintenance)."""
        policy = self.options.get("no-quorum-policy", "stop").lower()
        if not self.have_quorum and policy != "ignore":
            return False
        return not any(
            self.options.get(flag, "false").lower() in ("true", "1", "yes", "on")
            for flag in ("stop-all-resources", "maintenance-mode")
        )


# -- building the view ---------------------------------------------------------------------


def _flag(element: ET.Element, name: str) -> bool:
    return element.get(name, "false").lower() in ("true", "1", "yes")


def _ops(primitive: ET.Element) -> tuple[OpView, ...]:
    found = []
    for op in primitive.iterfind("operations/op"):
        depth = nvpairs(op, "instance_attributes").get("OCF_CHECK_LEVEL", "0")
        found.append(
            OpView(
                id=op.get("id", ""),
                name=op.get("name", ""),
                interval_ms=duration_ms(op.get("interval")) or 0,
                timeout_ms=duration_ms(op.get("timeout")),
                depth=int(depth) if depth.isdigit() else 0,
                on_fail=op.get("on-fail"),
            )
        )
    return tuple(found)


def _node_state(mon: ET.Element | None) -> tuple[NodeState, bool, bool]:
    """(state, online, standby) from a crm_mon ``<node>``."""
    if mon is None:
        return NodeState.DOWN, False, False
    if _flag(mon, "pending"):
        # Checked first: crm_mon shows a joining node as online="true" standby="true" (an
        # implied standby until it has joined), which is not a pause.
        return NodeState.JOINING, False, False
    online = _flag(mon, "online")
    standby = _flag(mon, "standby")
    if online:
        return (NodeState.PAUSED if standby else NodeState.UP), True, standby
    return NodeState.DOWN, False, standby


def _history(status: ET.Element | None) -> dict[str, list[tuple[str, ET.Element]]]:
    """Resource id → [(node name, lrm_rsc_op)] from the raw status section."""
    found: dict[str, list[tuple[str, ET.Element]]] = {}
    if status is None:
        return found
    for node_state in status.iterfind("node_state"):
        uname = node_state.get("uname", node_state.get("id", ""))
        for lrm_resource in node_state.iterfind("lrm/lrm_resources/lrm_resource"):
            rid = lrm_resource.get("id", "")
            for op in lrm_resource.iterfind("lrm_rsc_op"):
                found.setdefault(rid, []).append((uname, op))
    return found


def _last_node(ops: list[tuple[str, ET.Element]]) -> str | None:
    best: tuple[int, int] | None = None
    node: str | None = None
    for uname, op in ops:
        if op.get("operation") not in _PLACING_OPS or op.get("rc-code") != "0":
            continue
        try:
            key = (int(op.get("last-rc-change", "0")), int(op.get("call-id", "0")))
        except ValueError:
            continue
        if best is None or key > best:
            best, node = key, uname
    return node


def _current_first(running: tuple[str, ...], ops: list[tuple[str, ET.Element]]) -> tuple[str, ...]:
    """crm_mon's nodes for a resource, the one whose latest successful start or monitor is
    the most recent first (crm_mon's order where the history does not tell).

    For a moment after a partition heals, crm_mon lists a resource on two nodes: the node
    that rejoined still shows its old history. Its order says nothing about which node runs
    the resource; the times of the operations (``last-rc-change``, ``last-run``) do. Call ids
    are not compared: each node's executor counts its own.
    """
    if len(running) < 2:
        return running
    latest: dict[str, int] = {}
    for uname, op in ops:
        if uname not in running or op.get("operation") not in _RUNNING_OPS:
            continue
        if op.get("rc-code") not in ("0", "8"):  # 8: running promoted
            continue
        times = [op.get("last-rc-change"), op.get("last-run")]
        when = max((int(t) for t in times if t is not None and t.isdigit()), default=-1)
        latest[uname] = max(latest.get(uname, -1), when)
    order = sorted(range(len(running)), key=lambda i: (-latest.get(running[i], -1), i))
    return tuple(running[i] for i in order)


#: The OCF exit codes a failed action returns, by number: resapi's OCF bridge names them.
_OCF_CODES: Final = {
    code: name
    for name, code in vars(resapi.ocf).items()
    if name.startswith("OCF_") and isinstance(code, int)
}
#: ``op-status`` values other than "done" (Pacemaker's PCMK_EXEC_*), which say more than rc.
_EXEC_STATUS: Final = {"1": "was cancelled", "2": "timed out", "3": "is not supported"}


def _last_failure(ops: list[tuple[str, ET.Element]]) -> str | None:
    """The most recent ``_last_failure_0`` entry of a resource: "start on 'node1' returned
    OCF_ERR_CONFIGURED (6): parameter 'port' ..." (the text after the colon is the agent's
    ``ocf-exit-reason``)."""
    best: tuple[int, str, ET.Element] | None = None
    for uname, op in ops:
        if not op.get("id", "").endswith("_last_failure_0"):
            continue
        when = op.get("last-rc-change", "0")
        key = int(when) if when.isdigit() else 0
        if best is None or key > best[0]:
            best = (key, uname, op)
    if best is None:
        return None
    _, uname, op = best
    action = f"{op.get('operation', 'an action')} on {uname!r}"
    status = _EXEC_STATUS.get(op.get("op-status", "0"))
    rc = op.get("rc-code", "")
    code = int(rc) if rc.isdigit() else -1
    text = f"{action} {status}" if status else f"{action} returned {_OCF_CODES.get(code, rc)}"
    if not status and code in _OCF_CODES:
        text += f" ({code})"
    reason = op.get("exit-reason")
    return f"{text}: {reason}" if reason else text


def _history_key(ops: list[tuple[str, ET.Element]]) -> tuple[tuple[str, str, str, str], ...]:
    keys = [
        (uname, op.get("id", ""), op.get("call-id", ""), op.get("rc-code", ""))
        for uname, op in ops
        if op.get("id", "").endswith(("_last_0", "_last_failure_0"))
    ]
    return tuple(sorted(keys))


def _mon_resources(mon: ET.Element) -> dict[str, ET.Element]:
    return {r.get("id", ""): r for r in mon.iter("resource")}


def _fail_counts(mon: ET.Element) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    thresholds: dict[str, int] = {}
    for node in mon.iterfind("node_history/node"):
        uname = node.get("name", "")
        for res in node.iterfind("resource_history"):
            rid = res.get("id", "")
            if res.get("migration-threshold") is not None:
                thresholds[rid] = parse_score(res.get("migration-threshold"))
            count = res.get("fail-count")
            if count is not None and parse_score(count) > 0:
                counts.setdefault(rid, {})[uname] = parse_score(count)
    return counts, thresholds


def _resource_state(prim: PrimitiveView, may_run: bool) -> ResourceState:
    if prim.failed or prim.blocked:
        return ResourceState.FAILED
    if prim.role in _PENDING_ROLES:
        return _PENDING_ROLES[prim.role]
    if prim.role in _ACTIVE_ROLES or prim.nodes:
        return ResourceState.ONLINE if prim.wants_to_run else ResourceState.OFFLINE_PENDING
    if not prim.wants_to_run:
        return ResourceState.OFFLINE
    if prim.fail_counts:
        return ResourceState.FAILED
    return ResourceState.ONLINE_PENDING if may_run else ResourceState.OFFLINE


def build_view(cib: bytes, mon_xml: bytes) -> ClusterView:
    """Parse ``cibadmin --query`` and ``crm_mon -1 --output-as=xml`` of the same CIB.

    Raises:
        ClusterError: ERROR_INVALID_DATA if either is not the XML the tools write.
    """
    try:
        root = ET.fromstring(cib)
        mon = ET.fromstring(mon_xml)
    except ET.ParseError as exc:
        raise make_error(
            Win32Error.ERROR_INVALID_DATA, f"Pacemaker's tools wrote XML that is not valid: {exc}"
        ) from None
    if root.tag != "cib":
        raise make_error(
            Win32Error.ERROR_INVALID_DATA, f"the CIB's root is <{root.tag}>, not <cib>"
        )
    config = root.find("configuration")
    if config is None:
        config = ET.SubElement(root, "configuration")
    options: dict[str, str] = {}
    for block in config.iterfind("crm_config/cluster_property_set"):
        if block.find("rule") is None:
            for pair in block.iterfind("nvpair"):
                name, value = pair.get("name"), pair.get("value")
                if name is not None and value is not None:
                    options.setdefault(name, value)
    rsc_defaults = nvpairs(config.find("rsc_defaults"), "meta_attributes")
    have_quorum = root.get("have-quorum", "0").lower() in ("1", "true", "yes")

    # Nodes: the configured ones, in order, with crm_mon's reading of their state.
    mon_nodes = {n.get("name", ""): n for n in mon.iterfind("nodes/node")}
    nodes: dict[str, NodeView] = {}
    for node in config.iterfind("nodes/node"):
        name = node.get("uname") or node.get("id") or ""
        node_id = node.get("id") or name
        state, online, standby = _node_state(mon_nodes.get(name))
        attributes = nvpairs(node, "instance_attributes")
        nodes[node_id] = NodeView(node_id, name, state, online, standby, attributes)
    for name, element in mon_nodes.items():  # members that joined but are not configured yet
        if all(n.name != name for n in nodes.values()):
            state, online, standby = _node_state(element)
            nodes[element.get("id", name)] = NodeView(
                element.get("id", name), name, state, online, standby, {}
            )

    # Constraints.
    locations, orders, colocations = [], [], []
    for loc in config.iterfind("constraints/rsc_location"):
        rsc = loc.get("rsc")
        if rsc is None:
            continue  # rsc-pattern or resource sets: not an MSCS concept
        locations.append(
            Location(
                loc.get("id", ""),
                rsc,
                loc.get("node"),
                parse_score(loc.get("score")) if loc.get("score") is not None else 0,
                loc.find("rule") is not None,
                loc.get("role"),
            )
        )
    for order in config.iterfind("constraints/rsc_order"):
        first, then = order.get("first"), order.get("then")
        if first is None or then is None:
            continue
        kind = order.get("kind")
        mandatory = kind == "Mandatory" or (
            kind is None and parse_score(order.get("score", "INFINITY")) > 0
        )
        orders.append(Order(order.get("id", ""), first, then, mandatory))
    for col in config.iterfind("constraints/rsc_colocation"):
        rsc, with_rsc = col.get("rsc"), col.get("with-rsc")
        if rsc is not None and with_rsc is not None:
            colocations.append(
                Colocation(col.get("id", ""), rsc, with_rsc, parse_score(col.get("score")))
            )

    # Resources: groups and their primitives.
    mon_res = _mon_resources(mon)
    history = _history(root.find("status"))
    counts, thresholds = _fail_counts(mon)
    default_threshold = parse_score(rsc_defaults.get("migration-threshold", "INFINITY"))
    raw_groups: list[tuple[ET.Element, list[PrimitiveView]]] = []
    other: list[str] = []
    primitives: dict[str, PrimitiveView] = {}
    resources = config.find("resources")
    for element in resources if resources is not None else ():
        if element.tag != "group":
            if element.tag in ("primitive", "clone", "bundle", "master"):
                other.append(element.get("id", ""))
            continue
        gid = element.get("id", "")
        group_meta = nvpairs(element, "meta_attributes")
        members = []
        for child in element.iterfind("primitive"):
            rid = child.get("id", "")
            meta = nvpairs(child, "meta_attributes")
            status = mon_res.get(rid)
            ops = history.get(rid, [])
            listed = tuple(n.get("name", "") for n in status.iterfind("node")) if status else ()
            running = _current_first(listed, ops)
            last = running[0] if running else _last_node(ops)
            threshold = meta.get("migration-threshold")
            prim = PrimitiveView(
                id=rid,
                group=gid,
                standard=child.get("class", ""),
                provider=child.get("provider", ""),
                agent_type=child.get("type", ""),
                description=child.get("description", ""),
                meta=meta,
                params=nvpairs(child, "instance_attributes"),
                ops=_ops(child),
                placeholder=meta.get(PLACEHOLDER_META, "").lower() == "true",
                role=status.get("role", "Stopped") if status is not None else "Stopped",
                target_role=meta.get("target-role", group_meta.get("target-role")),
                failed=status is not None and _flag(status, "failed"),
                blocked=status is not None and _flag(status, "blocked"),
                nodes=running,
                fail_counts=counts.get(rid, {}),
                migration_threshold=(
                    parse_score(threshold)
                    if threshold is not None
                    else thresholds.get(rid, default_threshold)
                )
                or INFINITY,
                last_node=last,
                history=_history_key(ops),
                last_failure=_last_failure(ops),
            )
            members.append(prim)
            primitives[rid] = prim
        raw_groups.append((element, members))

    ids = frozenset(e.get("id", "") for e in root.iter() if e.get("id") is not None)
    view = ClusterView(
        version=cib_version(cib),
        root=root,
        have_quorum=have_quorum,
        options=options,
        rsc_defaults=rsc_defaults,
        nodes=nodes,
        groups={},
        primitives=primitives,
        locations=tuple(locations),
        orders=tuple(orders),
        colocations=tuple(colocations),
        ids=ids,
        other_resources=tuple(other),
    )
    # States need the whole view (which nodes may run what), so they are filled in last.
    may_run_anywhere = view.resources_may_run()
    states: dict[str, PrimitiveView] = {}
    groups: dict[str, GroupView] = {}
    for element, members in raw_groups:
        gid = element.get("id", "")
        visible = [m for m in members if not m.placeholder]
        ids_so_far: list[str] = []
        for prim in members:
            ids_so_far.append(prim.id)
            chain = [view.primitives[i] for i in ids_so_far]
            wants = all(p.wants_to_run for p in chain if not p.placeholder) and all(
                view.primitives[p].wants_to_run for p in view.depends_on(prim.id)
            )
            may_run = (
                may_run_anywhere
                and wants
                and any(view.can_host(n, ids_so_far, gid) for n in nodes.values())
            )
            states[prim.id] = attrs.evolve(prim, state=_resource_state(prim, may_run))
        running_on = next((states[m.id].nodes[0] for m in visible if states[m.id].nodes), None)
        meta = nvpairs(element, "meta_attributes")
        last = next((states[m.id].last_node for m in visible if states[m.id].last_node), None)
        groups[gid] = GroupView(
            id=gid,
            description=element.get("description", ""),
            meta=meta,
            members=tuple(m.id for m in visible),
            placeholder=next((m.id for m in members if m.placeholder), None),
            state=derive_group_state(states[m.id].state for m in visible),
            owner=running_on or last or meta.get(CREATED_ON_META),  # never ran: where created
        )
    return attrs.evolve(view, groups=groups, primitives=states)
