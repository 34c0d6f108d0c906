"""The common properties of the cluster, nodes, groups, resources and resource types, with the
MSCS defaults.

Each is a property table (the same machinery as a resource type's private properties), so the
defaults, ranges and error messages are declared once. Names are the MSCS property names in
snake_case; the table maps them to the CamelCase names of property lists and the cluster
database (research clusapi.md §4).
"""

from __future__ import annotations

from typing import Final

from ._enums import PropertyFormat
from ._properties import PropertyTable, prop, property_error

__all__ = (
    "INHERIT",
    "ClusterCommonProperties",
    "GroupCommonProperties",
    "NodeCommonProperties",
    "ResourceCommonProperties",
    "ResourceTypeCommonProperties",
)

#: 0xFFFFFFFF: "use the resource type's value" (poll intervals) / "never" (retry period) /
#: "number of nodes - 1" (failover threshold).
INHERIT: Final = 0xFFFF_FFFF


class GroupCommonProperties(PropertyTable):
    """Common properties of a group: the ``CLUSREG_NAME_GRP_*`` names, with MSCS's defaults."""

    description: str = prop(default="")
    persistent_state: bool = prop(default=False)
    failover_threshold: int = prop(default=INHERIT, description="failovers per period")
    failover_period: int = prop(default=6, maximum=1193, description="hours")
    auto_failback_type: int = prop(default=0, minimum=0, maximum=1)
    failback_window_start: int = prop(
        default=-1, format=PropertyFormat.LONG, minimum=-1, maximum=23, description="hour"
    )
    failback_window_end: int = prop(
        default=-1, format=PropertyFormat.LONG, minimum=-1, maximum=23, description="hour"
    )


class ResourceCommonProperties(PropertyTable):
    """Common properties of a resource: the ``CLUSREG_NAME_RES_*`` names, with MSCS's defaults."""

    description: str = prop(default="")
    separate_monitor: bool = prop(default=False)
    persistent_state: bool = prop(default=False)
    looks_alive_poll_interval: int = prop(default=INHERIT, minimum=10, description="ms")
    # The table says 60000, the remark says "unset = use the type's value": inherit, like
    # LooksAlive (research clusapi.md §4.2, marked u).
    is_alive_poll_interval: int = prop(default=INHERIT, minimum=10, description="ms")
    restart_action: int = prop(default=2, minimum=0, maximum=2)
    restart_threshold: int = prop(default=3)
    restart_period: int = prop(default=900_000, description="ms")
    retry_period_on_failure: int = prop(default=3_600_000, description="ms; 0xFFFFFFFF never")
    pending_timeout: int = prop(default=180_000, minimum=10, description="ms")
    deadlock_timeout: int = prop(default=300_000, minimum=1000, description="ms")
    restart_delay: int = prop(default=500, read_only=True, description="ms")

    def cross_check(self) -> None:
        """RetryPeriodOnFailure may not be shorter than RestartPeriod (0xFFFFFFFF excepted).

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER naming RetryPeriodOnFailure.
        """
        retry, period = self.retry_period_on_failure, self.restart_period
        if retry != INHERIT and retry < period:
            raise property_error(
                type(self).__qualname__,
                "RetryPeriodOnFailure",
                f"is {retry} ms, shorter than RestartPeriod ({period} ms)",
                "make it at least RestartPeriod, or 0xFFFFFFFF for never",
            )


class ResourceTypeCommonProperties(PropertyTable):
    """Common properties of a resource type: ``CLUSREG_NAME_RESTYPE_*``, with MSCS's defaults."""

    description: str = prop(default="")
    looks_alive_poll_interval: int = prop(default=5000, minimum=1, description="ms")
    is_alive_poll_interval: int = prop(default=60000, minimum=1, description="ms")
    pending_timeout: int = prop(default=180_000, minimum=10, description="ms")
    deadlock_timeout: int = prop(default=300_000, minimum=30_000, description="ms")


class NodeCommonProperties(PropertyTable):
    """The read-write common properties of a node (research clusapi.md §4.4)."""

    description: str = prop(default="")


class ClusterCommonProperties(PropertyTable):
    """The read-write common properties of the cluster (research clusapi.md §4.4)."""

    description: str = prop(default="")
