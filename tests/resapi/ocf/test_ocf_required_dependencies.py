"""A resapi type's required dependencies travel in its OCF meta-data, in a
``<special tag="resapi">`` (OCF 1.1's vendor element), and ``parse_meta_data`` reads them
back: the Pacemaker backend enforces them from there (tests/contract/test_required_dependencies.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from resapi.ocf import meta_data, parse_meta_data
from resapi.testing import HealthyResource


class Share(HealthyResource):
    """A share on a disk and an address."""

    type_name = "Share"
    required_dependencies = ("Share Disk", "IP <v4> & <v6>")


def test_the_required_dependencies_round_trip() -> None:
    text = meta_data(Share)
    (special,) = ET.fromstring(text).iterfind("special")
    assert special.get("tag") == "resapi"
    assert [e.text for e in special] == ["Share Disk", "IP <v4> & <v6>"]
    assert parse_meta_data(text).required_dependencies == Share.required_dependencies


def test_a_type_without_them_writes_no_special_and_reads_none() -> None:
    text = meta_data(HealthyResource)
    assert "<special" not in text
    assert parse_meta_data(text).required_dependencies == ()


def test_other_vendors_special_elements_require_nothing() -> None:
    text = meta_data(HealthyResource).replace(
        "</resource-agent>",
        '<special tag="heartbeat"><required-dependency>X</required-dependency></special>\n'
        "</resource-agent>",
    )
    assert parse_meta_data(text).required_dependencies == ()
