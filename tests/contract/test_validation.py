"""Contract: a resource type's own checks of its private properties (issue 16, point 1).

A type refuses a value with ``prop(validate=...)`` (one value) or ``PropertyTable.validate()``
(values together). Every change is checked before anything is stored, whether the resource is
offline or online: the refusal is a PropertyError (ERROR_INVALID_PARAMETER) with the type's own
message, naming the resource and the property, and nothing is written. On the reference runtime
the change also passes through the type's ``control()`` (VALIDATE_PRIVATE_PROPERTIES, then
SET_PRIVATE_PROPERTIES), as the Resource Monitor routes it to a DLL; on Pacemaker the resapi
agent's ``validate-all`` runs the same table checks before the CIB is written (Pacemaker has no
control codes: see ``Capabilities.user_control_codes``).
"""

from __future__ import annotations

import pytest

import clusapi
from clusapi import Win32Error as W
from tests.contract._driver import Driver, refused
from tests.contract._validation_types import RESERVED_PORT, ReservedPorts, Share

pytestmark = pytest.mark.anyio

PE = clusapi.PropertyError
INVALID = W.ERROR_INVALID_PARAMETER
RELATIVE = "must be an absolute path (starting with '/')"
SAME_PORTS = "Port and AdminPort are both 8080; give the admin listener its own port"


async def share(cluster: clusapi.Cluster, name: str = "share1") -> clusapi.Resource:
    rtype = await cluster.create_resource_type(Share)
    group = await cluster.create_group("g")
    return await group.create_resource(name, rtype.name)


def stored(values: dict[str, object], name: str) -> object:
    """A property as read back, whichever spelling the backend lists it under (the
    reference runtime's property names, Pacemaker's OCF parameter names)."""
    for key, value in values.items():
        if key.casefold() == name.casefold():
            return value
    return None


async def test_a_per_property_check_refuses_a_relative_path(cluster: clusapi.Cluster) -> None:
    res = await share(cluster)
    with refused(PE, INVALID, "'share1'", "'www'", RELATIVE, "e.g. /srv/www") as info:
        await res.set_private_properties(path="www")
    assert info.value.property_name is not None
    assert info.value.property_name.casefold() == "path"
    assert stored(await res.private_properties(), "Path") is None  # nothing stored

    assert (await res.set_private_properties(path="/srv/www")).written != ()
    assert stored(await res.private_properties(), "Path") == "/srv/www"


async def test_a_refused_change_writes_none_of_its_values(cluster: clusapi.Cluster) -> None:
    res = await share(cluster)
    await res.set_private_properties(path="/srv/www", port=9000)
    before = await res.private_properties()
    with refused(PE, INVALID, "'share1'", RELATIVE):
        await res.set_private_properties(port=9100, path="relative/dir")
    assert await res.private_properties() == before


async def test_a_whole_table_check_refuses_values_that_do_not_go_together(
    cluster: clusapi.Cluster,
) -> None:
    res = await share(cluster)
    await res.set_private_properties(path="/srv/www")
    before = await res.private_properties()
    with refused(PE, INVALID, "'share1'", SAME_PORTS):
        await res.set_private_properties(admin_port=8080)  # Port is 8080 by default
    with refused(PE, INVALID, SAME_PORTS.replace("8080", "9000")):
        await res.set_private_properties(port=9000, admin_port=9000)
    assert await res.private_properties() == before
    # Each value is fine alone; the rule is about the pair.
    await res.set_private_properties(port=9000)
    assert stored(await res.private_properties(), "Port") == 9000


async def test_an_online_resource_is_checked_the_same(driver: Driver) -> None:
    res = await share(driver.cluster)
    await res.set_private_properties(path="/srv/www")
    group = await res.group()
    await group.online()
    await driver.wait_until(res.state, lambda s: s is clusapi.ResourceState.ONLINE, "online")
    before = await res.private_properties()
    with refused(PE, INVALID, "'share1'", RELATIVE):
        await res.set_private_properties(path="www")
    with refused(PE, INVALID, "'share1'", SAME_PORTS):
        await res.set_private_properties(admin_port=8080)
    assert await res.private_properties() == before
    assert await res.state() is clusapi.ResourceState.ONLINE  # a refusal changes nothing
    await group.offline()


async def test_a_refusal_sends_no_property_event(driver: Driver) -> None:
    res = await share(driver.cluster)
    async with driver.cluster.notifications(clusapi.ClusterChange.RESOURCE_PROPERTY) as port:
        with refused(PE, INVALID, RELATIVE):
            await res.set_private_properties(path="www")
        await res.set_private_properties(path="/srv/www")  # the event to wait for
        event = await port.receive()
    # The first event is the accepted change's: the refused one sent none.
    assert event.name == "share1"
    assert stored(await res.private_properties(), "Path") == "/srv/www"


async def test_control_refuses_a_change_even_while_offline(driver: Driver) -> None:
    """The route a ported DLL uses: its ResourceControl sees VALIDATE_PRIVATE_PROPERTIES and
    SET_PRIVATE_PROPERTIES before the change is stored, with or without an open instance."""
    if not driver.caps.user_control_codes:
        # Pacemaker has no control codes, so no ResourceControl to route a change through;
        # the table's own checks above are what a type has there.
        pytest.skip("no control codes on this backend (Capabilities.user_control_codes)")
    cluster = driver.cluster
    rtype = await cluster.create_resource_type(ReservedPorts)
    group = await cluster.create_group("g")
    res = await group.create_resource("ports1", rtype.name)
    ReservedPorts.seen.clear()

    message = f"port {RESERVED_PORT} is in use by another service on node1"
    with refused(clusapi.InvalidParameterError, INVALID, "'ports1'", message):
        await res.set_private_properties(path="/srv", port=RESERVED_PORT)
    assert stored(await res.private_properties(), "Port") == 8080  # nothing stored
    assert ReservedPorts.seen == [(clusapi.ControlCode.RESOURCE_VALIDATE_PRIVATE_PROPERTIES, False)]

    ReservedPorts.seen.clear()
    await res.set_private_properties(path="/srv", port=9000)
    assert [code for code, _ in ReservedPorts.seen] == [
        clusapi.ControlCode.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
        clusapi.ControlCode.RESOURCE_SET_PRIVATE_PROPERTIES,
    ]

    # Online, the change goes to the running instance (the one that was brought online).
    await group.online()
    ReservedPorts.seen.clear()
    with refused(clusapi.InvalidParameterError, INVALID, message):
        await res.set_private_properties(port=RESERVED_PORT)
    assert ReservedPorts.seen == [(clusapi.ControlCode.RESOURCE_VALIDATE_PRIVATE_PROPERTIES, True)]
    assert stored(await res.private_properties(), "Port") == 9000
    await group.offline()
