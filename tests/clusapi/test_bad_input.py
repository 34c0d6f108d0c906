"""Bad input: every mistake gets the right ClusterError subclass and Win32 code, a message that
names the object, the code's name and number and what to do, and changes nothing.

DESIGN.md §4 (last bullet); the codes follow research clusapi.md §6 and §7, and MS-CMRP where
the research leaves a code open. Each case runs on a fresh reference cluster built by
:func:`build`, takes a snapshot of everything the public API can observe before and after the
call (names, states, owners, preferred and possible owners, dependencies both ways, common and
private properties, node states, resource types, and the number of change events emitted) and
compares the two.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import anyio
import pytest

import clusapi
import resapi
from clusapi import Win32Error as W
from clusapi.testing import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from clusapi.testing import ReferenceEnvironment

NODES = ("N1", "N2", "N3")


# -- resource types ------------------------------------------------------------------------


class Props(resapi.PropertyTable):
    port: int = resapi.prop(default=7007, minimum=1, maximum=65535)
    banner: str = resapi.prop(default="hello")
    tags: tuple[str, ...] = resapi.prop(default=())
    serial: int = resapi.prop(default=1, read_only=True)


class Dummy(resapi.Resource):
    """Does nothing, successfully."""

    type_name = "Dummy"
    Properties = Props

    async def online(self) -> None:
        pass

    async def offline(self) -> None:
        pass

    async def terminate(self) -> None:
        pass

    async def looks_alive(self) -> bool:
        return True

    async def is_alive(self) -> bool:
        return True


class Temp(Dummy):
    """Registered, then unregistered by the setup (a deleted type)."""

    type_name = "Temp"


class Spare(Dummy):
    """Never registered by the setup: a valid class to register under bad arguments."""

    type_name = "Spare"


class Abstract(resapi.Resource):
    """Misses offline, terminate, looks_alive and is_alive."""

    type_name = "Abstract"

    async def online(self) -> None:
        pass


class NotAResource:
    type_name = "NotAResource"


# -- the prepared cluster ------------------------------------------------------------------


@dataclasses.dataclass
class Ctx:
    env: ReferenceEnvironment
    cluster: clusapi.Cluster
    n1: clusapi.Node
    n2: clusapi.Node
    n3: clusapi.Node
    dummy: clusapi.ResourceType
    g1: clusapi.Group
    g2: clusapi.Group
    empty: clusapi.Group
    a: clusapi.Resource
    b: clusapi.Resource
    c: clusapi.Resource
    d: clusapi.Resource
    #: Handles whose objects the setup deleted.
    gone: clusapi.Group
    gone_r: clusapi.Resource
    temp: clusapi.ResourceType


async def build(env: ReferenceEnvironment, *, n2_down: bool = False) -> Ctx:
    """The prepared cluster.

    * nodes N1, N2 up, N3 paused (with ``n2_down``: N2 crashed and declared down);
    * resource types ``Dummy`` (private table: Port 1..65535, Banner, Tags, read-only Serial);
      ``Temp`` registered and deleted again;
    * ``g1``: a <- b (b depends on a), preferred owners N1, N2, online on N1;
    * ``g2``: c <- d (d depends on c; d's possible owners N1, N3), was online on N3 and is
      offline, still owned by N3 (now paused); c has Port 8080, Tags ("x",),
      RestartThreshold 5; g2 has FailoverThreshold 2 and a description;
    * ``empty``: no resources, never online; created through N1 (its first owner, MS-CMRP
      ApiCreateGroup), then moved to N3 while offline, so it is hosted on another node than g1;
    * ``gone`` with ``gone_r``: created, then deleted (their handles are kept).
    """
    cluster = env.cluster
    dummy = await cluster.create_resource_type(Dummy)
    temp = await cluster.create_resource_type(Temp)
    g1 = await cluster.create_group("g1")
    a = await g1.create_resource("a", "Dummy")
    b = await g1.create_resource("b", "Dummy")
    await b.add_dependency(a)
    await g1.set_preferred_owners(["N1", "N2"])
    await g1.online("N1")
    g2 = await cluster.create_group("g2")
    c = await g2.create_resource("c", "Dummy")
    d = await g2.create_resource("d", "Dummy")
    await d.add_dependency(c)
    await d.remove_possible_owner("N2")
    await c.set_private_properties(port=8080, tags=["x"])
    await c.set_common_properties(restart_threshold=5)
    await g2.set_common_properties(failover_threshold=2, description="second group")
    await g2.online("N3")
    await g2.offline()
    empty = await cluster.create_group("empty")
    await empty.move("N3")
    gone = await cluster.create_group("gone")
    gone_r = await gone.create_resource("gone_r", "Dummy")
    await gone_r.delete()
    await gone.delete()
    await temp.delete()
    n1, n2, n3 = [await cluster.open_node(n) for n in NODES]
    await n3.pause()
    if n2_down:
        env.crash_node("N2")
        await env.advance(10)
    await env.settle()
    return Ctx(env, cluster, n1, n2, n3, dummy, g1, g2, empty, a, b, c, d, gone, gone_r, temp)


async def snapshot(ctx: Ctx) -> dict[str, Any]:
    """Everything the public API shows about the cluster's objects."""
    cluster = ctx.cluster
    nodes = {n.name: await n.state() for n in await cluster.nodes()}
    groups = {}
    for g in await cluster.groups():
        info = await g.state_info()
        groups[g.name] = {
            "state": info.state,
            "owner": info.owner,
            "preferred": [n.name for n in await g.preferred_owners()],
            "resources": [r.name for r in await g.resources()],
            "common": (await g.common_properties()).to_dict(),
        }
    resources = {}
    for r in await cluster.resources():
        r_info = await r.state_info()
        resources[r.name] = {
            "state": r_info.state,
            "owner": r_info.owner,
            "group": r_info.group,
            "dependencies": [x.name for x in await r.dependencies()],
            "dependents": [x.name for x in await r.dependents()],
            "possible_owners": [n.name for n in await r.possible_owners()],
            "common": (await r.common_properties()).to_dict(),
            "private": dict(await r.private_properties()),
        }
    types = {}
    for t in await cluster.resource_types():
        types[t.name] = {
            "info": await t.info(),
            "resources": [r.name for r in await t.resources()],
        }
    return {
        "nodes": nodes,
        "groups": groups,
        "resources": resources,
        "types": types,
        "events": ctx.env.events_emitted,
    }


# -- the cases -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    """One mistake: what to do on the prepared cluster, and what must come back."""

    id: str
    action: Callable[[Ctx], Awaitable[object]]
    error: type[clusapi.ClusterError]
    code: W
    #: Text the message must contain (object names, quoted as the messages quote them).
    names: tuple[str, ...] = ()
    #: "n2_down": the prepared cluster with N2 crashed and declared down.
    variant: str = "standard"
    #: More names the message must contain (test_message_names_the_object).
    unnamed: tuple[str, ...] = ()


CASES: list[Case] = []


def expect(
    error: type[clusapi.ClusterError], code: W, *, variant: str = "standard"
) -> Callable[..., None]:
    """A row adder for cases that expect ``error`` with ``code``."""

    def add(
        id_: str,
        action: Callable[[Ctx], Awaitable[object]],
        *names: str,
        variant: str = variant,
        unnamed: tuple[str, ...] = (),
    ) -> None:
        CASES.append(Case(id_, action, error, code, names, variant, unnamed))

    return add


def common(obj: str, **changes: object) -> Callable[[Ctx], Awaitable[object]]:
    """``x.<obj>.set_common_properties(**changes)``."""
    return lambda x: getattr(x, obj).set_common_properties(**changes)


def private(obj: str, **changes: object) -> Callable[[Ctx], Awaitable[object]]:
    """``x.<obj>.set_private_properties(**changes)``."""
    return lambda x: getattr(x, obj).set_private_properties(**changes)


PE = clusapi.PropertyError

# unknown names --------------------------------------------------------------------------------

node_nf = expect(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND)
node_nf("open_node-unknown", lambda x: x.cluster.open_node("N9"), "'N9'")
node_nf("online-on-unknown-node", lambda x: x.empty.online("N9"), "'N9'")
node_nf("move-to-unknown-node", lambda x: x.g1.move("N9"), "'N9'")
node_nf("add_possible_owner-unknown-node", lambda x: x.d.add_possible_owner("N9"), "'N9'")
node_nf("remove_possible_owner-unknown-node", lambda x: x.c.remove_possible_owner("N9"), "'N9'")
node_nf("set_preferred_owners-unknown", lambda x: x.g1.set_preferred_owners(["N1", "N9"]), "'N9'")
node_nf("open_node-by-id", lambda x: x.cluster.open_node(x.n2.id))

group_nf = expect(clusapi.GroupNotFoundError, W.ERROR_GROUP_NOT_FOUND)
group_nf("open_group-unknown", lambda x: x.cluster.open_group("nope"), "'nope'")
group_nf("open_group-deleted", lambda x: x.cluster.open_group("gone"), "'gone'")
group_nf("change_group-unknown", lambda x: x.c.change_group("nope"), "'nope'")

res_nf = expect(clusapi.ResourceNotFoundError, W.ERROR_RESOURCE_NOT_FOUND)
res_nf("open_resource-unknown", lambda x: x.cluster.open_resource("nope"), "'nope'")
res_nf("open_resource-deleted", lambda x: x.cluster.open_resource("gone_r"), "'gone_r'")

type_nf = expect(clusapi.ResourceTypeNotFoundError, W.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND)
type_nf("open_resource_type-unknown", lambda x: x.cluster.open_resource_type("Nope"), "'Nope'")
type_nf("open_resource_type-deleted", lambda x: x.cluster.open_resource_type("Temp"), "'Temp'")
type_nf("create_resource-unknown-type", lambda x: x.empty.create_resource("x", "Nope"), "'Nope'")
type_nf("create_resource-deleted-type", lambda x: x.empty.create_resource("x", "Temp"), "'Temp'")
type_nf("deleted-type-info", lambda x: x.temp.info(), "'Temp'")
type_nf("deleted-type-resources", lambda x: x.temp.resources(), "'Temp'")
type_nf("deleted-type-delete", lambda x: x.temp.delete(), "'Temp'")

# wrong types and empty names ----------------------------------------------------------------

bad = expect(clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER)
bad("open_node-int", lambda x: x.cluster.open_node(5), "node name", "5")
bad("open_node-empty", lambda x: x.cluster.open_node(""), "node name")
bad("open_group-none", lambda x: x.cluster.open_group(None), "group name", "None")
bad("open_group-blank", lambda x: x.cluster.open_group("   "), "group name")
bad("open_resource-bytes", lambda x: x.cluster.open_resource(b"a"), "resource name")
bad("open_resource_type-list", lambda x: x.cluster.open_resource_type(["Dummy"]), "type name")
bad("open_resource_type-empty", lambda x: x.cluster.open_resource_type(""), "type name")
bad("create_group-int", lambda x: x.cluster.create_group(5), "group name")
bad("create_group-empty", lambda x: x.cluster.create_group(""), "group name")
bad("create_group-backslash", lambda x: x.cluster.create_group("x\\y"), "'x\\\\y'")
bad("group-rename-empty", lambda x: x.g1.rename(""), "group name")
bad("group-rename-int", lambda x: x.g1.rename(7), "group name")
bad("resource-rename-empty", lambda x: x.a.rename(""), "resource name")
bad("resource-rename-backslash", lambda x: x.a.rename("a\\b"), "'a\\\\b'")
bad("create_resource-int-name", lambda x: x.empty.create_resource(5, "Dummy"), "resource name")
bad("create_resource-empty-name", lambda x: x.empty.create_resource("", "Dummy"), "resource name")
bad("create_resource-int-type", lambda x: x.empty.create_resource("x", 5))
bad("create_resource-empty-type", lambda x: x.empty.create_resource("x", ""))
bad(
    "create_resource-separate_monitor-str",
    lambda x: x.empty.create_resource("x", "Dummy", separate_monitor="yes"),
)
bad("move-int-node", lambda x: x.g1.move(5))
bad("move-empty-node-name", lambda x: x.g1.move(""))
bad("add_possible_owner-int", lambda x: x.d.add_possible_owner(2))
bad("set_preferred_owners-int", lambda x: x.g1.set_preferred_owners([5]))
bad("set_preferred_owners-empty", lambda x: x.g1.set_preferred_owners([""]))
bad("set_preferred_owners-str", lambda x: x.g1.set_preferred_owners("N1"))
bad("add_dependency-str", lambda x: x.c.add_dependency("d"))

# names no backend takes, and checkpoint paths no registry holds (issue 13 finding 8: these
# were refused only after the runtime had changed its model; tests/reference/
# test_validation_before_change.py also compares the cluster database)
bad("create_group-nul", lambda x: x.cluster.create_group("a\0b"), "group name", "'\\x00'")
bad("create_group-256-chars", lambda x: x.cluster.create_group("n" * 256), "group name", "256")
bad("create_group-newline", lambda x: x.cluster.create_group("a\nb"), "group name", "'\\n'")
bad("group-rename-nul", lambda x: x.g1.rename("a\0b"), "group name")
bad("resource-rename-control", lambda x: x.a.rename("a\x01"), "resource name")
bad(
    "create_resource-nul-name",
    lambda x: x.empty.create_resource("a\0b", "Dummy"),
    "resource name",
)
bad(
    "add_registry_checkpoint-nul",
    lambda x: x.c.add_registry_checkpoint("SOFTWARE\\a\0b"),
    "registry checkpoint",
    "'c'",
)
bad(
    "add_registry_checkpoint-doubled-backslash",
    lambda x: x.c.add_registry_checkpoint("SOFTWARE\\\\App"),
    "registry checkpoint",
    "'c'",
)


async def _notify(x: Ctx, change_filter: object) -> None:
    async with x.cluster.notifications(change_filter):  # type: ignore[arg-type]
        pass


bad("notifications-str", lambda x: _notify(x, "GROUP_STATE"), "'GROUP_STATE'", "ClusterChange")
bad("notifications-none", lambda x: _notify(x, None), "None", "ClusterChange")
bad("notifications-bool", lambda x: _notify(x, True), "True", "ClusterChange")
bad("notifications-float", lambda x: _notify(x, 1.5), "1.5", "ClusterChange")
bad("notifications-beyond-dword", lambda x: _notify(x, 1 << 40))


async def _key_notify(x: Ctx, change_filter: object) -> None:
    root = await x.cluster.root_key()
    async with root.notifications(change_filter):  # type: ignore[arg-type]
        pass


async def _receive_within(x: Ctx, seconds: object) -> None:
    # Bounded (virtual time): receive_within(None) used to wait forever.
    with anyio.fail_after(3600):
        async with x.cluster.notifications() as port:
            await port.receive_within(seconds)  # type: ignore[arg-type]


bad("key-notifications-list", lambda x: _key_notify(x, [1]), "[1]", "ClusterChange")
bad("receive_within-none", lambda x: _receive_within(x, None), "None")
bad("receive_within-str", lambda x: _receive_within(x, "1"), "'1'")
bad("receive_within-nan", lambda x: _receive_within(x, float("nan")), "nan")
bad("receive_within-negative", lambda x: _receive_within(x, -1), "-1")

# invalid property values (PropertyError names the property; nothing is written) --------------

G1 = {"unnamed": ("'g1'",)}
C = {"unnamed": ("'c'",)}
prop = expect(PE, W.ERROR_INVALID_PARAMETER)
prop(
    "group-failover_period-2000",
    common("g1", failover_period=2000),
    "'FailoverPeriod'",
    "2000",
    **G1,
)
prop(
    "group-failback_window_start-24",
    common("g1", failback_window_start=24),
    "'FailbackWindowStart'",
    "24",
)
prop("group-failback_window_end--2", common("g1", failback_window_end=-2), "'FailbackWindowEnd'")
prop("group-failover_threshold--1", common("g1", failover_threshold=-1), "'FailoverThreshold'")
prop("group-failover_threshold-str", common("g1", failover_threshold="2"), "'FailoverThreshold'")
prop("group-auto_failback_type-2", common("g1", auto_failback_type=2), "'AutoFailbackType'")
prop("group-persistent_state-2", common("g1", persistent_state=2), "'PersistentState'")
prop("group-description-int", common("g1", description=5), "'Description'")
prop("group-unknown-property", common("g1", bogus=1), "'bogus'", **G1)
prop(
    "group-property-given-twice",
    common("g1", failover_period=1, FailoverPeriod=2),
    "'FailoverPeriod'",
)
prop(
    "group-good-and-bad-together",
    common("g2", description="new", failover_period=2000),
    "'FailoverPeriod'",
)
prop("resource-restart_action-3", common("c", restart_action=3), "'RestartAction'", "3", **C)
prop("resource-restart_action-bool", common("c", restart_action=True), "'RestartAction'")
prop("resource-pending_timeout-5", common("c", pending_timeout=5), "'PendingTimeout'", "5")
prop("resource-looks_alive-9", common("c", looks_alive_poll_interval=9), "'LooksAlivePollInterval'")
prop("resource-is_alive-0", common("c", is_alive_poll_interval=0), "'IsAlivePollInterval'")
prop("resource-deadlock_timeout-999", common("c", deadlock_timeout=999), "'DeadlockTimeout'")
prop("resource-restart_threshold-2**32", common("c", restart_threshold=2**32), "'RestartThreshold'")
prop("resource-restart_threshold-float", common("c", restart_threshold=1.5), "'RestartThreshold'")
prop("resource-separate_monitor-str", common("c", separate_monitor="yes"), "'SeparateMonitor'")
prop("resource-unknown-property", common("c", Type="Other"), "'Type'")
prop(
    "resource-read-only-restart_delay",
    common("c", restart_delay=100),
    "'RestartDelay'",
    "read-only",
)
prop(
    "resource-retry-shorter-than-restart-period",
    common("c", retry_period_on_failure=1000),
    "'RetryPeriodOnFailure'",
    "RestartPeriod",
    **C,
)
prop(
    "resource-restart-period-longer-than-retry",
    common("a", restart_period=7_200_000),
    "'RetryPeriodOnFailure'",
)
prop(
    "resource-both-periods-inconsistent",
    common("c", restart_period=1000, retry_period_on_failure=500),
    "'RetryPeriodOnFailure'",
)
prop("private-port-0", private("c", port=0), "'Port'", "1..65535", **C)
prop("private-port-65536", private("c", port=65536), "'Port'")
prop("private-port-str", private("c", port="80"), "'Port'")
prop("private-port-bool", private("c", port=True), "'Port'")
prop("private-banner-int", private("c", banner=5), "'Banner'")
prop("private-banner-nul", private("c", banner="a\0b"), "'Banner'")
prop("private-banner-control", private("c", banner="a\x01secret"), "'Banner'", "'\\x01'")
prop("private-tags-escape", private("c", tags=["ok", "\x1b[0m"]), "'Tags'", "'\\x1b'")
prop("group-description-bell", common("g1", description="\x07"), "'Description'")
prop("private-tags-str", private("c", tags="x"), "'Tags'")
prop("private-tags-empty-entry", private("c", tags=["ok", ""]), "'Tags'")
prop("private-read-only", private("c", serial=2), "'Serial'", "read-only")
prop("private-unknown", private("c", bogus=1), "'bogus'", **C)
prop("private-good-and-bad-together", private("a", banner="changed", port=0), "'Port'")

# duplicate names --------------------------------------------------------------------------------

exists = expect(clusapi.ObjectExistsError, W.ERROR_OBJECT_ALREADY_EXISTS)
exists("create_group-duplicate", lambda x: x.cluster.create_group("g1"), "'g1'")
exists("create_group-duplicate-other-case", lambda x: x.cluster.create_group("EMPTY"), "'EMPTY'")
exists("create_resource-duplicate", lambda x: x.empty.create_resource("a", "Dummy"), "'a'")
exists("create_resource-duplicate-case", lambda x: x.g1.create_resource("C", "Dummy"), "'C'")
exists("group-rename-to-existing", lambda x: x.g1.rename("g2"), "'g2'")
exists("resource-rename-to-existing", lambda x: x.a.rename("B"), "'B'")
exists("create_resource_type-duplicate", lambda x: x.cluster.create_resource_type(Dummy), "'Dummy'")
exists(
    "create_resource_type-duplicate-name",
    lambda x: x.cluster.create_resource_type(Spare, name="dummy"),
    "'dummy'",
)
exists(
    "create_resource_type-duplicate-path",
    lambda x: x.cluster.create_resource_type(f"{Dummy.__module__}:Dummy"),
    "'Dummy'",
)

# dependencies ---------------------------------------------------------------------------------

bad("dependency-on-itself", lambda x: x.a.add_dependency(x.a), "'a'", "itself")
bad("dependency-across-groups", lambda x: x.c.add_dependency(x.a), "'c'", "'a'", "groups")
cycle = expect(clusapi.DependencyCycleError, W.ERROR_CIRCULAR_DEPENDENCY)
cycle("dependency-cycle-a-b-a", lambda x: x.a.add_dependency(x.b), "'a'", "'b'")
cycle("dependency-cycle-c-d-c", lambda x: x.c.add_dependency(x.d), "'c'", "'d'")
dep_dup = expect(clusapi.DependencyError, W.ERROR_DEPENDENCY_ALREADY_EXISTS)
dep_dup("dependency-duplicate", lambda x: x.b.add_dependency(x.a), "'b'", "'a'")
dep_nf = expect(clusapi.DependencyError, W.ERROR_DEPENDENCY_NOT_FOUND)
dep_nf("remove-missing-dependency", lambda x: x.a.remove_dependency(x.b), "'a'", "'b'")
dep_nf("remove-dependency-across-groups", lambda x: x.c.remove_dependency(x.a), "'c'", "'a'")

# deletes that must be refused -------------------------------------------------------------------

not_empty = expect(clusapi.InvalidStateError, W.ERROR_DIR_NOT_EMPTY)
not_empty("delete-group-with-online-resources", lambda x: x.g1.delete(), "'g1'")
not_empty("delete-group-with-offline-resources", lambda x: x.g2.delete(), "'g2'")
not_empty("delete-resource-type-in-use", lambda x: x.dummy.delete(), "'Dummy'")
online = expect(clusapi.InvalidStateError, W.ERROR_RESOURCE_ONLINE)
online("delete-online-resource", lambda x: x.a.delete(), "'a'")
online("delete-online-dependent", lambda x: x.b.delete(), "'b'")
in_use = expect(clusapi.DependencyError, W.ERROR_DEPENDENT_RESOURCE_EXISTS)
in_use("delete-resource-others-depend-on", lambda x: x.c.delete(), "'c'", "'d'")

# old handles to deleted objects ---------------------------------------------------------------

GONE = {"unnamed": ("'gone'",)}
GONE_R = {"unnamed": ("'gone_r'",)}
g_gone = expect(clusapi.ObjectUnavailableError, W.ERROR_GROUP_NOT_AVAILABLE)
g_gone("deleted-group-online", lambda x: x.gone.online(), **GONE)
g_gone("deleted-group-offline", lambda x: x.gone.offline())
g_gone("deleted-group-move", lambda x: x.gone.move("N1"))
g_gone("deleted-group-delete", lambda x: x.gone.delete(), **GONE)
g_gone("deleted-group-rename", lambda x: x.gone.rename("reborn"))
g_gone("deleted-group-state", lambda x: x.gone.state())
g_gone("deleted-group-set_preferred_owners", lambda x: x.gone.set_preferred_owners(["N1"]))
g_gone("deleted-group-create_resource", lambda x: x.gone.create_resource("x", "Dummy"))
g_gone("deleted-group-set_common", common("gone", description="x"))
g_gone("deleted-group-resources", lambda x: x.gone.resources())
g_gone("change_group-to-deleted-group", lambda x: x.c.change_group(x.gone))
r_gone = expect(clusapi.ObjectUnavailableError, W.ERROR_RESOURCE_NOT_AVAILABLE)
r_gone("deleted-resource-online", lambda x: x.gone_r.online(), **GONE_R)
r_gone("deleted-resource-offline", lambda x: x.gone_r.offline())
r_gone("deleted-resource-delete", lambda x: x.gone_r.delete(), **GONE_R)
r_gone("deleted-resource-fail", lambda x: x.gone_r.fail())
r_gone("deleted-resource-rename", lambda x: x.gone_r.rename("reborn"))
r_gone("deleted-resource-set_common", common("gone_r", description="x"))
r_gone("deleted-resource-set_private", private("gone_r", port=1))
r_gone("deleted-resource-add_possible_owner", lambda x: x.gone_r.add_possible_owner("N1"))
r_gone("deleted-resource-dependencies", lambda x: x.gone_r.dependencies())
r_gone("deleted-resource-change_group", lambda x: x.gone_r.change_group("g2"))
r_gone("dependency-on-deleted-resource", lambda x: x.b.add_dependency(x.gone_r), **GONE_R)
r_gone("can_be_dependent-deleted-resource", lambda x: x.a.can_be_dependent(x.gone_r))

# closed handles -------------------------------------------------------------------------------


async def _closed_group(x: Ctx) -> object:
    group = await x.cluster.open_group("g1")
    await group.aclose()
    return await group.offline()


async def _closed_resource(x: Ctx) -> None:
    res = await x.cluster.open_resource("a")
    await res.aclose()
    await res.delete()


async def _closed_node(x: Ctx) -> None:
    node = await x.cluster.open_node("N3")
    await node.aclose()
    await node.resume()


async def _closed_type(x: Ctx) -> object:
    rtype = await x.cluster.open_resource_type("Dummy")
    await rtype.aclose()
    return await rtype.info()


async def _closed_by_async_with(x: Ctx) -> object:
    async with await x.cluster.open_group("g2") as group:
        pass
    return await group.set_common_properties(description="x")


async def _closed_port(x: Ctx) -> object:
    port = await x.cluster.notifications()
    await port.aclose()
    return await port.receive()


async def _closed_port_nowait(x: Ctx) -> object:
    async with x.cluster.notifications() as port:
        pass
    return port.receive_nowait()


closed = expect(clusapi.HandleClosedError, W.ERROR_INVALID_HANDLE)
closed("closed-group-handle", _closed_group, "group 'g1'")
closed("closed-resource-handle", _closed_resource, "resource 'a'")
closed("closed-node-handle", _closed_node, "node 'N3'")
closed("closed-resource-type-handle", _closed_type, "resource type 'Dummy'")
closed("closed-by-async-with", _closed_by_async_with, "group 'g2'")
closed("closed-notify-port-receive", _closed_port, "notify port")
closed("closed-notify-port-receive_nowait", _closed_port_nowait, "notify port")

# nodes ----------------------------------------------------------------------------------------

not_paused = expect(clusapi.InvalidStateError, W.ERROR_CLUSTER_NODE_NOT_PAUSED)
not_paused("resume-up-node", lambda x: x.n1.resume(), "'N1'")
not_paused("resume-down-node", lambda x: x.n2.resume(), "'N2'", variant="n2_down")
evict = expect(clusapi.InvalidStateError, W.ERROR_CANT_EVICT_ACTIVE_NODE)
evict("evict-up-node", lambda x: x.n1.evict(), "'N1'")
evict("evict-paused-node", lambda x: x.n3.evict(), "'N3'")
node_down = expect(clusapi.ClusterUnavailableError, W.ERROR_CLUSTER_NODE_DOWN, variant="n2_down")
node_down("pause-down-node", lambda x: x.n2.pause(), "'N2'")

# placement ------------------------------------------------------------------------------------

paused = expect(clusapi.InvalidStateError, W.ERROR_SHARING_PAUSED)
paused("online-on-paused-node", lambda x: x.empty.online("N3"), "'N3'")
paused("online-on-paused-node-handle", lambda x: x.g2.online(x.n3), "'N3'")
paused("move-to-paused-node", lambda x: x.g1.move("N3"), "'N3'")
paused("online-group-owned-by-paused", lambda x: x.g2.online(), "'N3'")
paused("online-resource-owned-by-paused", lambda x: x.c.online(), "'N3'")
not_owner = expect(clusapi.HostNodeError, W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER)
not_owner("move-to-non-possible-owner", lambda x: x.g2.move("N2"), "'N2'", "'d'")
not_owner("online-on-non-possible-owner", lambda x: x.g2.online("N2"), "'N2'", "'d'")
no_host = expect(clusapi.HostNodeError, W.ERROR_HOST_NODE_NOT_AVAILABLE, variant="n2_down")
no_host("move-no-node-can-host", lambda x: x.g1.move(), "'g1'")
no_host("move-to-down-node", lambda x: x.g1.move("N2"), "'N2'")
no_host("online-on-down-node", lambda x: x.empty.online("N2"), "'N2'")
other_owner = expect(clusapi.HostNodeError, W.ERROR_HOST_NODE_NOT_GROUP_OWNER)
other_owner("change_group-online-to-other-owner", lambda x: x.a.change_group("g2"), "'g1'", "'g2'")
other_owner("change_group-online-to-empty-on-n3", lambda x: x.b.change_group(x.empty), "'empty'")

# resource state ---------------------------------------------------------------------------------

resmon = expect(clusapi.InvalidStateError, W.ERROR_RESMON_INVALID_STATE)
resmon("fail-offline-resource", lambda x: x.c.fail(), "'c'")
resmon("fail-offline-dependent", lambda x: x.d.fail(), "'d'")

# possible and preferred owners ------------------------------------------------------------------

in_list = expect(clusapi.ObjectExistsError, W.ERROR_OBJECT_IN_LIST)
in_list("add-existing-possible-owner", lambda x: x.d.add_possible_owner("N1"), "'N1'", "'d'")
in_list("add-possible-owner-all-by-default", lambda x: x.a.add_possible_owner(x.n2), "'N2'", "'a'")
node_nf(
    "remove-non-owner",
    lambda x: x.d.remove_possible_owner("N2"),
    "'N2'",
    "'d'",
)
busy = expect(clusapi.InvalidStateError, W.ERROR_INVALID_STATE)
busy("remove-hosting-possible-owner", lambda x: x.a.remove_possible_owner("N1"), "'a'", "'N1'")
bad("set_preferred_owners-duplicate", lambda x: x.g1.set_preferred_owners(["N1", "N1"]), "'g1'")
bad(
    "set_preferred_owners-duplicate-case", lambda x: x.g1.set_preferred_owners([x.n2, "n2"]), "'g1'"
)

# resource types -------------------------------------------------------------------------------


def _register(implementation: object, **kwargs: Any) -> Callable[[Ctx], Awaitable[object]]:
    return lambda x: x.cluster.create_resource_type(implementation, **kwargs)


bad("create_resource_type-no-colon", _register("no_colon_here"), "'no_colon_here'")
bad("create_resource_type-empty-module", _register(":Dummy"), "':Dummy'")
bad("create_resource_type-empty-class", _register("os:"), "'os:'")
bad("create_resource_type-missing-module", _register("no_such_mod_xyz:T"), "'no_such_mod_xyz:T'")
bad("create_resource_type-missing-class", _register("os:NoSuchThing"), "'os:NoSuchThing'")
bad("create_resource_type-path-to-module", _register("os:path"), "module")
bad(
    "create_resource_type-path-to-non-resource", _register("collections:OrderedDict"), "OrderedDict"
)
bad("create_resource_type-path-to-abstract", _register("resapi:Resource"), "Resource", "abstract")
bad("create_resource_type-non-resource-class", _register(NotAResource), "NotAResource")
bad("create_resource_type-int", _register(42), "42")
bad("create_resource_type-none", _register(None), "None")
bad("create_resource_type-abstract", _register(Abstract), "Abstract", "abstract", "is_alive")
bad("create_resource_type-resapi.Resource", _register(resapi.Resource), "Resource", "abstract")
bad("create_resource_type-int-name", _register(Spare, name=5), "resource type name")
bad("create_resource_type-backslash-name", _register(Spare, name="a\\b"), "'a\\\\b'")
bad("create_resource_type-nul-name", _register(Spare, name="a\0b"), "resource type name")
bad("create_resource_type-empty-name", _register(Spare, name=""))
bad("create_resource_type-display_name-int", _register(Spare, display_name=5))
prop(
    "create_resource_type-looks_alive-0",
    _register(Spare, looks_alive_poll_interval=0),
    "'LooksAlivePollInterval'",
)
prop(
    "create_resource_type-looks_alive--1",
    _register(Spare, looks_alive_poll_interval=-1),
    "'LooksAlivePollInterval'",
    unnamed=("'Spare'",),
)
prop(
    "create_resource_type-is_alive-str",
    _register(Spare, is_alive_poll_interval="x"),
    "'IsAlivePollInterval'",
)

# the environment's test controls ------------------------------------------------------------


async def _crash(x: Ctx, name: str) -> None:
    x.env.crash_node(name)


node_nf("env-crash-unknown-node", lambda x: _crash(x, "N9"), "'N9'")
already_down = expect(clusapi.InvalidStateError, W.ERROR_CLUSTER_NODE_ALREADY_DOWN)
already_down("env-crash-down-node", lambda x: _crash(x, "N2"), "'N2'", variant="n2_down")
already_up = expect(clusapi.InvalidStateError, W.ERROR_CLUSTER_NODE_ALREADY_UP)
already_up("env-restart-running-node", lambda x: x.env.restart_node("N1"), "'N1'")

# no backend -------------------------------------------------------------------------------------

no_backend = expect(clusapi.ClusterUnavailableError, W.ERROR_CLUSTER_NODE_DOWN)
no_backend("open_cluster-no-backend", lambda x: clusapi.open_cluster(), "backend")
no_backend("open_cluster-named", lambda x: clusapi.open_cluster("FAR"), "'FAR'", "backend")


# -- the tests -----------------------------------------------------------------------------


def _params(cases: list[Case]) -> list[Any]:
    ids = [c.id for c in cases]
    assert len(set(ids)) == len(ids), "case ids must be unique"
    return [pytest.param(c, id=c.id) for c in cases]


async def _run(case_: Case) -> tuple[BaseException | None, dict[str, Any], dict[str, Any]]:
    """Build the cluster, run the action, return what it raised and the snapshots around it."""
    raised: BaseException | None = None
    async with open_reference_cluster(NODES) as env:
        ctx = await build(env, n2_down=case_.variant == "n2_down")
        before = await snapshot(ctx)
        try:
            await case_.action(ctx)
        except Exception as exc:  # checked below, outside the cluster's task group
            raised = exc
        await env.settle()
        after = await snapshot(ctx)
    return raised, before, after


def _diff(before: object, after: object, path: str = "") -> list[str]:
    """Where two snapshots differ, as ``path: before -> after`` lines."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            line
            for key in sorted({*before, *after}, key=str)
            for line in _diff(before.get(key), after.get(key), f"{path}/{key}")
        ]
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


def _problems(case_: Case, exc: BaseException | None, changed: list[str]) -> list[str]:
    """Everything wrong with how the call failed; empty if it failed as it should."""
    changes = ["the call changed the cluster:", *changed] if changed else []
    if exc is None:
        return ["did not raise", *changes]
    if not isinstance(exc, clusapi.ClusterError):
        return [f"raised {type(exc).__name__}: {exc} (not a ClusterError)", *changes]
    text = str(exc)
    wanted = f"{case_.error.__name__} with {case_.code.name}"
    problems = []
    if type(exc) is not case_.error:
        problems.append(f"raised {type(exc).__name__}, expected {wanted}")
    if exc.winerror is not case_.code:
        problems.append(f"winerror is {exc.winerror!r}, expected {wanted}")
    if f"({case_.code.name}, {int(case_.code)})" not in text:
        problems.append(f"the message lacks ({case_.code.name}, {int(case_.code)})")
    problems += [f"the message does not name {name}" for name in case_.names if name not in text]
    if not exc.fix:
        problems.append("the message does not say what to do")
    problems += changes
    return [*problems, f"message: {text}"] if problems else []


@pytest.mark.asyncio
@pytest.mark.virtual_time
@pytest.mark.parametrize("case_", _params(CASES))
async def test_bad_input_is_refused_and_changes_nothing(case_: Case) -> None:
    exc, before, after = await _run(case_)
    if problems := _problems(case_, exc, _diff(before, after)):
        # pytrace=False: the problems say it all.
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.asyncio
@pytest.mark.virtual_time
@pytest.mark.parametrize("case_", _params([c for c in CASES if c.unnamed]))
async def test_message_names_the_object(case_: Case) -> None:
    exc, _, _ = await _run(case_)
    assert isinstance(exc, clusapi.ClusterError)
    if missing := [name for name in case_.unnamed if name not in str(exc)]:
        pytest.fail(f"{', '.join(missing)} not named in: {exc}", pytrace=False)


@pytest.mark.asyncio
@pytest.mark.virtual_time
@pytest.mark.parametrize("n2_down", [False, True], ids=["standard", "n2_down"])
async def test_the_prepared_cluster_is_as_documented(n2_down: bool) -> None:
    # The cases rely on this layout; a silently different setup would make them vacuous.
    async with open_reference_cluster(NODES) as env:
        snap = await snapshot(await build(env, n2_down=n2_down))
    n2 = clusapi.NodeState.DOWN if n2_down else clusapi.NodeState.UP
    assert snap["nodes"] == {"N1": clusapi.NodeState.UP, "N2": n2, "N3": clusapi.NodeState.PAUSED}
    groups, resources = snap["groups"], snap["resources"]
    assert list(groups) == ["g1", "g2", "empty"]
    assert (groups["g1"]["state"], groups["g1"]["owner"]) == (clusapi.GroupState.ONLINE, "N1")
    assert groups["g1"]["preferred"] == ["N1", "N2"]
    assert (groups["g2"]["state"], groups["g2"]["owner"]) == (clusapi.GroupState.OFFLINE, "N3")
    assert (groups["empty"]["resources"], groups["empty"]["owner"]) == ([], "N3")
    assert resources["b"]["dependencies"] == ["a"]
    assert resources["d"]["dependencies"] == ["c"]
    assert resources["d"]["possible_owners"] == ["N1", "N3"]
    assert resources["c"]["private"]["Port"] == 8080
    assert list(snap["types"]) == ["Dummy"]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 100


# -- a closed cluster -----------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.virtual_time
@pytest.mark.parametrize(
    "action",
    [
        pytest.param(lambda x: x.cluster.groups(), id="groups"),
        pytest.param(lambda x: x.cluster.open_group("g1"), id="open_group"),
        pytest.param(lambda x: x.cluster.create_group("new"), id="create_group"),
        pytest.param(lambda x: x.cluster.information(), id="information"),
        pytest.param(lambda x: x.cluster.create_resource_type(Spare), id="create_resource_type"),
        pytest.param(lambda x: x.g1.offline(), id="group-handle"),
        pytest.param(lambda x: x.a.delete(), id="resource-handle"),
        pytest.param(lambda x: x.n1.pause(), id="node-handle"),
        pytest.param(lambda x: x.dummy.info(), id="type-handle"),
        pytest.param(lambda x: _notify(x, clusapi.ClusterChange.ALL), id="notifications"),
    ],
)
async def test_closed_cluster(action: Callable[[Ctx], Awaitable[object]]) -> None:
    # The state cannot be compared afterwards: closing the Cluster closes its backend, so no
    # public call can read it any more. That the call fails at the handle is what matters.
    async with open_reference_cluster(NODES) as env:
        ctx = await build(env)
        await ctx.cluster.aclose()
        await ctx.cluster.aclose()  # idempotent
        with pytest.raises(clusapi.HandleClosedError) as info:
            await action(ctx)
    exc = info.value
    assert exc.winerror is W.ERROR_INVALID_HANDLE
    assert "cluster handle" in str(exc)
    assert "(ERROR_INVALID_HANDLE, 6)" in str(exc)
    assert exc.fix


# -- handles cannot be constructed --------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "factory"),
    [
        (clusapi.Cluster, "clusapi.open_cluster()"),
        (clusapi.Node, "Cluster.open_node()"),
        (clusapi.Group, "Cluster.open_group()"),
        (clusapi.Resource, "Cluster.open_resource()"),
        (clusapi.ResourceType, "Cluster.open_resource_type()"),
        (clusapi.NotifyPort, "Cluster.notifications()"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
@pytest.mark.parametrize("with_args", [False, True], ids=["no-args", "args"])
def test_handles_have_no_public_constructor(cls: type, factory: str, with_args: bool) -> None:
    args = {"cluster": None, "id": "x", "name": "x"} if with_args else {}
    with pytest.raises(TypeError) as info:
        cls(**args)
    text = str(info.value)
    assert f"clusapi.{cls.__name__} has no public constructor" in text
    assert factory in text
