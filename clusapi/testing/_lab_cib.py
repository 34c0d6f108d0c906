"""The Pacemaker lab's CIB: the seeded configuration (cluster properties, the fence device,
resource defaults), the configuration :meth:`PacemakerLab.reset` restores, and what
``crm_mon`` must show for a reset to be done (docs/pacemaker.md, "The lab")."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Final

from . import _fence_agent

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = (
    "FENCE_AGENT",
    "FENCE_DEVICE",
    "active_resources",
    "crm_config",
    "fence_resources",
    "reset_configuration",
    "seed_cib",
    "settled_empty",
)

#: The stonith device of a lab with fencing: its id, and the agent it runs.
FENCE_DEVICE: Final = "lab-fence"
FENCE_AGENT: Final = _fence_agent.AGENT
_SEED_RSC_DEFAULTS: Final = """\
<rsc_defaults>
  <meta_attributes id="rsc-options">
    <nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/>
  </meta_attributes>
</rsc_defaults>"""
#: cluster properties the DC maintains itself; reset() keeps them.
_DC_PROPERTIES: Final = frozenset(
    {"have-watchdog", "dc-version", "cluster-infrastructure", "cluster-name", "last-lrm-refresh"}
)


def fence_resources(fencing: bool, hosts: Iterable[str], socket: Path) -> str:
    """The seeded ``<resources>``: empty, or with fencing the lab's one stonith device."""
    if not fencing:
        return "<resources/>"
    d = FENCE_DEVICE
    return (
        f'<resources>\n  <primitive id="{d}" class="stonith" type="{FENCE_AGENT}">\n'
        f'    <instance_attributes id="{d}-params">\n'
        f'      <nvpair id="{d}-socket" name="socket" value="{socket}"/>\n'
        f'      <nvpair id="{d}-hosts" name="pcmk_host_list" value="{" ".join(hosts)}"/>\n'
        f'      <nvpair id="{d}-check" name="pcmk_host_check" value="static-list"/>\n'
        "    </instance_attributes>\n"
        f'    <operations><op id="{d}-monitor" name="monitor" interval="60s"/></operations>\n'
        "  </primitive>\n</resources>"
    )


def crm_config(fencing: bool) -> str:
    """The seeded cluster properties (docs/pacemaker.md: dc-deadtime, fencing)."""
    fence = (
        '    <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="true"/>\n'
        '    <nvpair id="opt-stonith-action" name="stonith-action" value="off"/>\n'
        '    <nvpair id="opt-startup-fencing" name="startup-fencing" value="false"/>\n'
        if fencing
        else '    <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/>\n'
    )
    return (
        '<crm_config>\n  <cluster_property_set id="cib-bootstrap-options">\n'
        f'{fence}    <nvpair id="opt-dc-deadtime" name="dc-deadtime" value="2s"/>\n'
        "  </cluster_property_set>\n</crm_config>"
    )


def seed_cib(crm_config: str, resources: str) -> str:
    return f"""\
<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" \
admin_epoch="0">
  <configuration>
{crm_config}
    <nodes/>
{resources}
    <constraints/>
{_SEED_RSC_DEFAULTS}
  </configuration>
  <status/>
</cib>
"""


def reset_configuration(current: ET.Element, crm_config_xml: str, resources_xml: str) -> str:
    """The seeded configuration, keeping the node entries and the DC's own properties."""
    config = ET.Element("configuration")
    crm_config = ET.fromstring(crm_config_xml)
    seeded = crm_config.find("cluster_property_set")
    assert seeded is not None
    for nvpair in current.iterfind("crm_config/cluster_property_set/nvpair"):
        if nvpair.get("name") in _DC_PROPERTIES:
            seeded.append(nvpair)
    config.append(crm_config)
    nodes = ET.SubElement(config, "nodes")
    for node in current.iterfind("nodes/node"):
        # Only the identity: standby, maintenance and other node attributes go.
        nodes.append(ET.Element("node", dict(node.attrib)))
    config.append(ET.fromstring(resources_xml))
    ET.SubElement(config, "constraints")
    config.append(ET.fromstring(_SEED_RSC_DEFAULTS))
    return ET.tostring(config, encoding="unicode")


def active_resources(status: ET.Element) -> list[str]:
    return [
        r.get("id", "?")
        for r in status.iter("resource")
        if (r.get("active") == "true" or r.get("orphaned") == "true")
        and r.get("id") != FENCE_DEVICE
    ]


def settled_empty(status: ET.Element) -> bool:
    """No resource, failure or operation history left, but the lab's own fence device."""

    def others(elements: Iterable[ET.Element], key: str) -> list[ET.Element]:
        # A failure's op_key is "<resource>_<operation>_<interval>".
        return [e for e in elements if e.get(key, "").partition("_")[0] != FENCE_DEVICE]

    return (
        not others(status.iter("resource"), "id")
        and not others(status.iterfind("failures/failure"), "op_key")
        and not others(status.iterfind("node_history/node/resource_history"), "id")
    )
