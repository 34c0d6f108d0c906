"""Resource types for the required-dependencies contract
(tests/contract/test_required_dependencies.py), in a module of their own: on Pacemaker the
bridge's agent imports them, and it should not import pytest.
"""

from __future__ import annotations

from resapi.testing import HealthyResource


class ShareDisk(HealthyResource):
    """What a Share needs under it."""

    type_name = "Share Disk"


class Share(HealthyResource):
    """A share on a disk: its type requires a dependency on a Share Disk."""

    type_name = "Share"
    required_dependencies = ("Share Disk",)
