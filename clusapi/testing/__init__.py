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

import importlib as _importlib
import typing as _typing

from .._util import fixup_module_metadata as _fixup_module_metadata

if _typing.TYPE_CHECKING:
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

#: Where each public name lives. pytest imports this package in every session of a project
#: that has clusapi installed (the plugin is ``clusapi.testing.pytest_plugin``), so the
#: package imports a part only when one of its names is first used (PEP 562), instead of
#: loading the fault simulation, the lab and the timeline into every test run.
_WHERE: dict[str, str] = {
    "FaultKind": "_faults",
    "FaultSchedule": "_faults",
    "FaultSimulation": "_faults",
    "FaultStep": "_faults",
    "PacemakerLab": "_lab",
    "ReferenceClusterFactory": "_fixtures",
    "ReferenceEnvironment": "_env",
    "SimulationReport": "_faults",
    "SimulationTimings": "_faults",
    "TypeUnderTest": "_faults",
    "VirtualClock": "_clock",
    "assert_fault_tolerant": "_faults",
    "open_reference_cluster": "_env",
    "run_fault_schedule": "_faults",
}


def __getattr__(name: str) -> object:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    _fixup_module_metadata(__name__, {name: value}, (name,))
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
