"""Deterministic fault simulation: a seeded schedule of faults and application work, run on a
reference cluster on virtual time, and an invariant checker fed by what the resources saw.

Example::

    report = run_fault_schedule(123, steps=200)
    assert report.ok, report.failure_message()
    # replay one seed, with the cluster log: python -m clusapi.testing.faults --seed 123 --log

The schedule (``_schedule``), the simulated resource types (``_resources``), the user's own
types under test (``_user_types``), the checker's
parts (``_checks``), the simulation (``_simulation``), its report (``_report``) and the entry
points (``_runner``) live in their own modules and are re-exported here. How a run goes, the
invariants exactly, quorum both ways and determinism: docs/testing.md, "Seeded fault
simulation".
"""

from __future__ import annotations

from ._checks import TimelineEvent as TimelineEvent, check_timeline as check_timeline
from ._report import SimulationReport as SimulationReport, replay_command as replay_command
from ._runner import (
    assert_fault_tolerant as assert_fault_tolerant,
    main as main,
    run_fault_schedule as run_fault_schedule,
)
from ._schedule import (
    FaultKind as FaultKind,
    FaultSchedule as FaultSchedule,
    FaultStep as FaultStep,
    GroupSpec as GroupSpec,
    ResourceSpec as ResourceSpec,
    SimulationTimings as SimulationTimings,
    WorkloadSpec as WorkloadSpec,
)
from ._simulation import EXPECTED_ERRORS as EXPECTED_ERRORS, FaultSimulation as FaultSimulation
from ._user_types import TypeUnderTest as TypeUnderTest

__all__ = (
    "EXPECTED_ERRORS",
    "FaultKind",
    "FaultSchedule",
    "FaultSimulation",
    "FaultStep",
    "GroupSpec",
    "ResourceSpec",
    "SimulationReport",
    "SimulationTimings",
    "TimelineEvent",
    "TypeUnderTest",
    "WorkloadSpec",
    "assert_fault_tolerant",
    "check_timeline",
    "main",
    "replay_command",
    "run_fault_schedule",
)
