"""What the Pacemaker backend's events carry (issue 16, item 2): the state and owner of the
newer snapshot, and the names of the properties that differ. Fed with snapshots made by hand
(a fixed CIB and crm_mon output): no cluster and no tools needed."""

from __future__ import annotations

import math

import anyio
import pytest

from clusapi import ClusterChange as C, GroupState, ResourceState
from clusapi._backends.pacemaker._cib import build_view
from clusapi._backends.pacemaker._events import EventHub, details, diff, observe

_CIB = """<cib admin_epoch="0" epoch="5" num_updates="3" have-quorum="1">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <group id="web"{group_description}>
        <primitive id="ip" class="ocf" provider="heartbeat" type="Dummy"{description}>
          <instance_attributes id="ip-ia">{params}</instance_attributes>
        </primitive>
      </group>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>"""

_MON = """<pacemaker-result api-version="2.30" request="crm_mon --output-as=xml">
  <nodes>
    <node name="node1" id="1" online="true" standby="false"/>
    <node name="node2" id="2" online="true" standby="false"/>
  </nodes>
  <resources>
    <group id="web" number_resources="1">
      <resource id="ip" resource_agent="ocf:heartbeat:Dummy" role="{role}" active="{active}"
                failed="false" blocked="false" nodes_running_on="{count}">{on}</resource>
    </group>
  </resources>
</pacemaker-result>"""


def view(
    *,
    on: str | None = None,
    fake: str = "a",
    description: str = "",
    group_description: str = "",
) -> object:
    params = f'<nvpair id="ip-ia-fake" name="fake" value="{fake}"/>'
    cib = _CIB.format(
        params=params,
        description=f' description="{description}"' if description else "",
        group_description=f' description="{group_description}"' if group_description else "",
    )
    mon = _MON.format(
        role="Started" if on else "Stopped",
        active="true" if on else "false",
        count=1 if on else 0,
        on=f'<node name="{on}" id="{on[-1]}" cached="true"/>' if on else "",
    )
    return build_view(cib.encode(), mon.encode())


def carried(old: object, new: object) -> list[tuple[C, str, object, str | None, tuple[str, ...]]]:
    before, after = observe(old), observe(new)  # type: ignore[arg-type]
    return [
        (change, name, *details(change, object_id, before, after))
        for change, name, object_id in diff(before, after)
    ]


def test_state_events_carry_the_state_and_owner_of_the_newer_snapshot() -> None:
    assert carried(view(), view(on="node2")) == [
        (C.RESOURCE_STATE, "ip", ResourceState.ONLINE, "node2", ()),
        (C.GROUP_STATE, "web", GroupState.ONLINE, "node2", ()),
    ]


def test_property_events_name_the_parameters_and_common_properties_that_differ() -> None:
    assert carried(view(), view(fake="b", description="d")) == [
        (C.RESOURCE_PROPERTY, "ip", None, None, ("Description", "fake")),
    ]
    assert carried(view(), view(group_description="d")) == [
        (C.GROUP_PROPERTY, "web", None, None, ("Description",)),
    ]


def test_a_port_gets_what_the_comparison_found() -> None:
    async def refresh() -> None:
        raise AssertionError("no poll: the test feeds the snapshots")

    hub = EventHub(refresh, poll_interval=math.inf)
    port = hub.open(C.RESOURCE_STATE | C.RESOURCE_PROPERTY, view())  # type: ignore[arg-type]
    hub.feed(view(on="node1"))  # type: ignore[arg-type]
    hub.feed(view(on="node1", fake="b"))  # type: ignore[arg-type]
    state, prop = port.receive_nowait(), port.receive_nowait()
    assert (state.change, state.state, state.owner, state.properties) == (
        C.RESOURCE_STATE,
        ResourceState.ONLINE,
        "node1",
        (),
    )
    assert (prop.change, prop.state, prop.owner, prop.properties) == (
        C.RESOURCE_PROPERTY,
        None,
        None,
        ("fake",),
    )
    with pytest.raises(anyio.WouldBlock):
        port.receive_nowait()
    port.close()
