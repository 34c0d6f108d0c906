"""clusapi.testing: tools for testing cluster-aware code without a cluster.

:class:`VirtualClock` runs asyncio on virtual time, so that hours of cluster time, including
``anyio.sleep`` inside resource code, pass in milliseconds. The pytest plugin
(``clusapi.testing.pytest_plugin``, loaded by pytest wherever the package is installed) adds
the ``virtual_time`` marker and the ``reference_cluster`` fixture (a
:class:`ReferenceClusterFactory`).
:class:`PacemakerLab` starts a real Pacemaker + Corosync cluster on this machine, one network
namespace per node, for tests against the real thing (root and the packages required).
"""

from __future__ import annotations

from .._util import fixup_module_metadata as _fixup_module_metadata
from ._clock import VirtualClock as VirtualClock
from ._env import (
    ReferenceEnvironment as ReferenceEnvironment,
    open_reference_cluster as open_reference_cluster,
)
from ._faults import (
    FaultKind as FaultKind,
    FaultSchedule as FaultSchedule,
    FaultSimulation as FaultSimulation,
    FaultStep as FaultStep,
    SimulationReport as SimulationReport,
    SimulationTimings as SimulationTimings,
    TypeUnderTest as TypeUnderTest,
    assert_fault_tolerant as assert_fault_tolerant,
    run_fault_schedule as run_fault_schedule,
)
from ._fixtures import ReferenceClusterFactory as ReferenceClusterFactory
from ._lab import PacemakerLab as PacemakerLab

__all__ = (
    "FaultKind",
    "FaultSchedule",
    "FaultSimulation",
    "FaultStep",
    "PacemakerLab",
    "ReferenceClusterFactory",
    "ReferenceEnvironment",
    "SimulationReport",
    "SimulationTimings",
    "TypeUnderTest",
    "VirtualClock",
    "assert_fault_tolerant",
    "open_reference_cluster",
    "run_fault_schedule",
)

_fixup_module_metadata(__name__, globals(), __all__)
