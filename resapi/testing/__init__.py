"""resapi.testing: run and check a resource type without a cluster.

- :func:`run_resource` runs one instance by itself and records every status report, log entry
  and failure signal (record, don't mock).
- :func:`check_resource` is a conformance kit in the spirit of Pacemaker's ``ocf-tester``: it
  drives the instance through its whole life and reports every breach of the contract.
- :class:`HealthyResource` and :class:`ScriptedResource` are ready-made types for tests: one
  that always works, one whose entry points succeed, fail, raise or hang as scripted.
"""

from __future__ import annotations

from clusapi._util import fixup_module_metadata as _fixup_module_metadata

from ._conformance import (
    Breach as Breach,
    ConformanceReport as ConformanceReport,
    StepResult as StepResult,
    check_resource as check_resource,
)
from ._harness import ResourceHarness as ResourceHarness, run_resource as run_resource
from ._types import (
    EntryPoint as EntryPoint,
    HealthyResource as HealthyResource,
    Outcome as Outcome,
    ScriptedResource as ScriptedResource,
)

__all__ = (
    "Breach",
    "ConformanceReport",
    "EntryPoint",
    "HealthyResource",
    "Outcome",
    "ResourceHarness",
    "ScriptedResource",
    "StepResult",
    "check_resource",
    "run_resource",
)

_fixup_module_metadata(__name__, globals(), __all__)
