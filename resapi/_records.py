"""Frozen records of what a resource tells its Resource Monitor.

A monitor (the reference runtime's, or the test harness) turns each callback into one of these,
so tests read what happened as plain values ("record, don't mock").
"""

from __future__ import annotations

import attrs

from clusapi._enums import FailureType, LogLevel, ResourceState

__all__ = ("FailureReport", "LogEntry", "ResourceStatus")

#: LogEvent entries are cut to this many characters, as the cluster log does.
LOG_ENTRY_MAX_CHARS = 500


@attrs.frozen
class ResourceStatus:
    """One status report (mirrors ``RESOURCE_STATUS`` passed to ``SetResourceStatus``).

    ``checkpoint`` rises by one with every progress report while the resource is pending.
    ``state`` is CANNOT_COME_ONLINE_ON_THIS_NODE or _ON_ANY_NODE when Online raised
    :class:`~resapi.CannotComeOnline`: a report of where the resource cannot come online,
    followed at once by its Failed report (the instance never stays in those states).
    """

    resource: str
    state: ResourceState
    checkpoint: int
    #: Monitor time, in seconds, when the report was made.
    time: float


@attrs.frozen
class LogEntry:
    """One cluster-log entry written through ``LogEvent`` (``self.log`` in a resource)."""

    resource: str
    type_name: str
    level: LogLevel
    message: str
    time: float

    def format(self) -> str:
        """The entry as the cluster log shows it: ``Type\\nName: message``, at most 500 chars."""
        return f"{self.type_name}\n{self.resource}: {self.message}"[:LOG_ENTRY_MAX_CHARS]


@attrs.frozen
class FailureReport:
    """An asynchronous failure report (mirrors the ``SignalFailure`` callback)."""

    resource: str
    failure_type: FailureType
    application_error: int
    time: float
