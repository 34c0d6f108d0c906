"""The failover manager's rules: pure policy that both backends use (the reference runtime's
Failover Manager, and the Pacemaker backend's group states and dependency checks).

Placement, the restart threshold in a sliding period, the failover threshold per period, retry
after failure, the nodes a resource cannot come online on, failback windows, derived group state
and dependency ordering, as plain functions over plain data with no I/O, no event loop and no
clock (DESIGN.md, "Policy is pure"). One module per subject; this package re-exports them, so
callers write ``from clusapi import _policy as policy`` and ``policy.best_node(...)``. The
conventions (canonical names, DWORD sentinels, half-open windows in whole microseconds,
``ValueError`` for caller bugs) are in docs/architecture.md, "Failover Manager and the pure
policy".
"""

from __future__ import annotations

from ._dependencies import (
    can_be_dependent as can_be_dependent,
    dependency_closure as dependency_closure,
    invert_dependencies as invert_dependencies,
    offline_layers as offline_layers,
    online_layers as online_layers,
    transitive_dependencies as transitive_dependencies,
    transitive_dependents as transitive_dependents,
    would_create_cycle as would_create_cycle,
)
from ._failback import (
    failback_window_open as failback_window_open,
    hour_of_day as hour_of_day,
    seconds_until_failback_window as seconds_until_failback_window,
    should_fail_back as should_fail_back,
)
from ._failure import (
    CANNOT_COME_ONLINE_STATES as CANNOT_COME_ONLINE_STATES,
    RestartDecision as RestartDecision,
    effective_failover_threshold as effective_failover_threshold,
    failover_allowed as failover_allowed,
    failure_decision as failure_decision,
    restart_decision as restart_decision,
    retry_due as retry_due,
    retry_time as retry_time,
)
from ._group_state import PENDING_STATES as PENDING_STATES, derive_group_state as derive_group_state
from ._placement import (
    NodeExclusions as NodeExclusions,
    best_node as best_node,
    candidate_nodes as candidate_nodes,
)
from ._windows import (
    FailureHistory as FailureHistory,
    count_in_window as count_in_window,
    prune_window as prune_window,
)

__all__ = (
    "CANNOT_COME_ONLINE_STATES",
    "PENDING_STATES",
    "FailureHistory",
    "NodeExclusions",
    "RestartDecision",
    "best_node",
    "can_be_dependent",
    "candidate_nodes",
    "count_in_window",
    "dependency_closure",
    "derive_group_state",
    "effective_failover_threshold",
    "failback_window_open",
    "failover_allowed",
    "failure_decision",
    "hour_of_day",
    "invert_dependencies",
    "offline_layers",
    "online_layers",
    "prune_window",
    "restart_decision",
    "retry_due",
    "retry_time",
    "seconds_until_failback_window",
    "should_fail_back",
    "transitive_dependencies",
    "transitive_dependents",
    "would_create_cycle",
)
