"""The reason a failed action leaves in the CIB's status section, as a failed online reports
it (issue 16, item 3): the action, the node, the OCF exit code and the agent's exit reason; and
when an online waits for a group Pacemaker is already starting (item 8). Parsed from a fixed
CIB and crm_mon output: no cluster needed."""

from __future__ import annotations

import pytest

from clusapi._backends.pacemaker._cib import build_view
from clusapi._backends.pacemaker._ops_groups import _heading_online

_CIB = """<cib admin_epoch="0" epoch="5" num_updates="3" have-quorum="1">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <group id="web">
        <primitive id="echo" class="ocf" provider="resapi" type="echo-server"/>
        <primitive id="ip" class="ocf" provider="heartbeat" type="Dummy"/>
      </group>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1"><lrm><lrm_resources>
      <lrm_resource id="echo" class="ocf" provider="resapi" type="echo-server">
        <lrm_rsc_op id="echo_last_failure_0" operation="start" call-id="9" rc-code="6"
                    op-status="0" last-rc-change="1000"
                    exit-reason="parameter 'port' is 99999, outside 1..65535"/>
        <lrm_rsc_op id="echo_last_0" operation="stop" call-id="10" rc-code="0"
                    last-rc-change="1001"/>
      </lrm_resource>
      <lrm_resource id="ip" class="ocf" provider="heartbeat" type="Dummy">
        <lrm_rsc_op id="ip_last_failure_0" operation="monitor" call-id="3" rc-code="1"
                    op-status="2" last-rc-change="500"/>
      </lrm_resource>
    </lrm_resources></lrm></node_state>
    <node_state id="2" uname="node2"><lrm><lrm_resources>
      <lrm_resource id="ip" class="ocf" provider="heartbeat" type="Dummy">
        <lrm_rsc_op id="ip_last_failure_0" operation="start" call-id="4" rc-code="5"
                    op-status="0" last-rc-change="900"/>
      </lrm_resource>
    </lrm_resources></lrm></node_state>
  </status>
</cib>"""

_MON = """<pacemaker-result api-version="2.30" request="crm_mon --output-as=xml">
  <nodes>
    <node name="node1" id="1" online="true" standby="false"/>
    <node name="node2" id="2" online="true" standby="false"/>
  </nodes>
  <resources>
    <group id="web" number_resources="2">
      <resource id="echo" resource_agent="ocf:resapi:echo-server" role="Stopped"
                active="false" failed="false" blocked="false" nodes_running_on="0"/>
      <resource id="ip" resource_agent="ocf:heartbeat:Dummy" role="Stopped"
                active="false" failed="false" blocked="false" nodes_running_on="0"/>
    </group>
  </resources>
  <node_history>
    <node name="node1">
      <resource_history id="echo" orphan="false" migration-threshold="1000000"
                        fail-count="1000000"/>
    </node>
  </node_history>
</pacemaker-result>"""


def test_a_failed_start_names_the_action_the_node_the_code_and_the_exit_reason() -> None:
    view = build_view(_CIB.encode(), _MON.encode())
    assert view.primitives["echo"].last_failure == (
        "start on 'node1' returned OCF_ERR_CONFIGURED (6): "
        "parameter 'port' is 99999, outside 1..65535"
    )
    assert view.failure_detail(["echo"]) == (
        " (resource 'echo': start on 'node1' returned OCF_ERR_CONFIGURED (6): "
        "parameter 'port' is 99999, outside 1..65535)"
    )


def test_the_latest_failure_counts_and_a_timeout_says_so() -> None:
    view = build_view(_CIB.encode(), _MON.encode())
    # node2's start (at 900) is later than node1's monitor timeout (at 500).
    assert view.primitives["ip"].last_failure == "start on 'node2' returned OCF_ERR_INSTALLED (5)"
    assert view.failure_detail(["echo", "ip"]).count("resource '") == 2


def test_a_resource_without_failures_adds_nothing() -> None:
    cib = _CIB.replace("_last_failure_0", "_last_0")
    view = build_view(cib.encode(), _MON.encode())
    assert view.primitives["echo"].last_failure is None
    assert view.failure_detail(["echo", "ip"]) == ""


def test_a_timed_out_action_says_it_timed_out() -> None:
    cib = _CIB.replace('last-rc-change="900"', 'last-rc-change="100"')
    view = build_view(cib.encode(), _MON.encode())
    assert view.primitives["ip"].last_failure == "monitor on 'node1' timed out"


# -- an online while the group is already on its way (issue 16, item 8) ---------------------


def _with_roles(echo: str, ip: str) -> bytes:
    return (
        _MON.replace(
            'id="echo" resource_agent="ocf:resapi:echo-server" role="Stopped"',
            f'id="echo" resource_agent="ocf:resapi:echo-server" role="{echo}"',
        )
        .replace(
            'id="ip" resource_agent="ocf:heartbeat:Dummy" role="Stopped"',
            f'id="ip" resource_agent="ocf:heartbeat:Dummy" role="{ip}"',
        )
        .encode()
    )


@pytest.mark.parametrize(
    ("echo", "ip", "heading"),
    [
        ("Starting", "Stopped", True),  # the first member starts, the next one waits its turn
        ("Started", "Starting", True),
        ("Started", "Stopping", False),  # a stop (or a move) under way: still refused as busy
        ("Stopped", "Stopped", False),  # nothing under way: the online starts it itself
    ],
)
def test_a_group_whose_members_are_starting_is_heading_online(
    echo: str, ip: str, *, heading: bool
) -> None:
    view = build_view(_CIB.encode(), _with_roles(echo, ip))
    assert _heading_online(view, view.groups["web"], None) is heading
