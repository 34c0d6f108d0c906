"""Every row of docs/pacemaker.md's mapping is covered by a test: checked, not claimed.

:data:`COVERAGE` maps the first cell of each row of the tables under "## The mapping" and
"## States" to the tests that assert that row's behaviour on the Pacemaker backend: the saved-CIB
tests (``tests/pacemaker/test_pacemaker_backend.py``), the live ones
(``tests/pacemaker/test_pacemaker_live.py``) and the contract suite (``tests/contract/``, each test
run on both backends). The tests here read the document and the test sources only (no cluster, no
Pacemaker tools), and fail when a row is added, renamed or dropped without its entry, when a listed
test does not exist, or when one is skipped unconditionally or marked xfail.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).parents[2]
DOC: Final = ROOT / "docs" / "pacemaker.md"
#: The sections whose (first) table lists the rows to cover.
SECTIONS: Final = ("The mapping", "States")


def backend(*tests: str) -> tuple[str, ...]:
    """Node ids of saved-CIB tests (``tests/pacemaker/test_pacemaker_backend.py``)."""
    return tuple(f"tests/pacemaker/test_pacemaker_backend.py::{t}" for t in tests)


def live(*tests: str) -> tuple[str, ...]:
    """Node ids of live-cluster tests (``tests/pacemaker/test_pacemaker_live.py``, marker
    pacemaker)."""
    return tuple(f"tests/pacemaker/test_pacemaker_live.py::{t}" for t in tests)


def contract(*tests: str) -> tuple[str, ...]:
    """Node ids of contract tests (``"test_placement.py::test_possible_owners"``), each run
    on the reference and the Pacemaker backend."""
    return tuple(f"tests/contract/{t}" for t in tests)


#: Row (its first cell, exactly as the document writes it) -> the tests that assert it.
COVERAGE: dict[str, tuple[str, ...]] = {
    # -- "## The mapping" --------------------------------------------------------------------
    "Cluster name, version (`GetClusterInformation`)": (
        *backend(
            "test_information_names_the_cluster_and_pacemaker",
            "test_the_version_is_the_dc_version_else_the_tools",
        ),
        *live("test_open_and_read_a_live_cluster", "test_the_version_is_the_dcs"),
        *contract("test_cluster.py::test_information_names_the_backend"),
    ),
    # JOINING (crm_mon pending) is not covered: a pending node reads PAUSED (see the report
    # of issue 9's coverage helper; test_a_joining_node_is_joining fails on the backend).
    "Node, NodeState": (
        *backend(
            "test_nodes_and_their_states",
            "test_node_states_follow_crm_mon",
            "test_a_joining_node_is_joining_not_paused",
            "test_pause_is_standby_and_moves_groups_away",
            "test_a_down_node_cannot_be_paused_and_evict_is_not_supported",
        ),
        *contract(
            "test_cluster.py::test_nodes_are_listed_in_order_and_up",
            "test_failover.py::test_a_crashed_owner_fails_over_and_rejoins",
        ),
    ),
    "Pause / resume a node": (
        *backend(
            "test_pause_is_standby_and_moves_groups_away",
            "test_node_states_follow_crm_mon",
            "test_a_down_node_cannot_be_paused_and_evict_is_not_supported",
        ),
        *live("test_pause_moves_groups_away_and_a_crash_fails_over"),
        *contract(
            "test_failover.py::test_pause_and_resume",
            "test_bad_input.py::test_a_paused_node_takes_no_group",
            "test_cluster.py::test_resume_a_node_that_is_not_paused",
            "test_failover.py::test_a_crashed_owner_fails_over_and_rejoins",
        ),
    ),
    "Evict a node": (
        *backend("test_a_down_node_cannot_be_paused_and_evict_is_not_supported"),
        *contract("test_not_supported.py::test_evict_a_node"),
    ),
    "Group": (
        *backend(
            "test_group_members_start_in_order",
            "test_a_dependency_is_an_order_and_a_colocation_constraint",
        ),
        *live("test_states_and_waits_online_and_offline"),
        *contract("test_dependencies.py::test_resources_without_a_dependency"),
    ),
    "An empty group": (
        *backend(
            "test_an_empty_group_is_kept_with_a_hidden_placeholder",
            "test_an_empty_group_keeps_its_preferred_owners",
        ),
        *contract("test_groups.py::test_a_new_group_is_empty_offline_and_listed"),
    ),
    "Group and resource names": (
        *backend("test_group_names_and_lookup"),
        *contract(
            "test_groups.py::test_rename_a_group",
            "test_groups.py::test_rename_a_resource",
            "test_groups.py::test_a_duplicate_group_name_is_refused",
            "test_resources.py::test_a_duplicate_resource_name_is_refused",
        ),
    ),
    "Resources outside groups": backend("test_resources_outside_groups_are_not_shown"),
    "Resource": (
        *backend("test_a_new_resource_is_offline_with_the_mscs_restart_defaults"),
        *contract("test_resources.py::test_a_new_resource_is_offline_in_its_group"),
    ),
    "Resource states": (
        *backend(
            "test_the_state_mapping",
            "test_the_state_mapping_of_the_other_roles",
            "test_an_action_under_way_is_a_pending_state",
            "test_a_failed_stop_is_blocked_and_failed",
        ),
        *live("test_states_and_waits_online_and_offline"),
    ),
    "Online / offline (group, resource)": (
        *backend(
            "test_online_and_offline_of_a_group",
            "test_on_a_plain_saved_cib_online_sets_target_role_without_waiting",
            "test_an_action_under_way_is_a_pending_state",
            "test_a_failure_is_counted_and_an_online_cleans_it_up",
        ),
        *live(
            "test_states_and_waits_online_and_offline",
            "test_a_failed_start_is_reported_and_an_online_retries",
        ),
        *contract(
            "test_resources.py::test_resource_online_and_offline",
            "test_resources.py::test_group_online_and_offline_take_every_resource",
            "test_resources.py::test_online_without_waiting_gets_there",
        ),
    ),
    "Online on a given node (`online(node)`)": (
        *backend("test_online_on_a_node_leaves_no_constraint"),
        *contract("test_placement.py::test_possible_owners"),
    ),
    "Move (`MoveClusterGroup`)": (
        *backend(
            "test_move_to_a_node_and_to_the_best_other_one_leaves_no_constraint",
            "test_move_refuses_a_paused_node_and_a_node_no_resource_may_use",
            "test_move_of_an_offline_group_is_not_supported",
            "test_move_without_waiting_clears_its_constraint_once_the_group_arrived",
            "test_move_of_a_partly_online_group_brings_back_what_was_online",
        ),
        *live(
            "test_move_always_clears_its_constraint",
            "test_a_move_not_waited_for_has_a_lifetime_and_aclose_clears_it",
        ),
        *contract(
            "test_placement.py::test_move_a_group",
            "test_placement.py::test_moving_an_offline_group_keeps_it_offline",
            "test_failover.py::test_a_moved_group_leaves_no_constraint_behind",
        ),
    ),
    "Group owner": (
        *backend("test_online_and_offline_of_a_group"),
        *contract("test_placement.py::test_moving_an_offline_group_keeps_it_offline"),
    ),
    "Dependencies": (
        *backend(
            "test_a_dependency_is_an_order_and_a_colocation_constraint",
            "test_dependencies_stay_in_one_group_and_move_with_change_group",
        ),
        *contract(
            "test_dependencies.py::test_dependency_lists",
            "test_dependencies.py::test_online_brings_dependencies_up_first",
            "test_dependencies.py::test_offline_takes_dependents_down_first",
            "test_dependencies.py::test_a_removed_dependency",
            "test_dependencies.py::test_bad_dependencies_are_refused",
        ),
    ),
    "Possible owners": (
        *backend(
            "test_possible_owners_are_bans_of_the_other_nodes",
            "test_possible_owners_count_later_nodes_and_not_a_moves_ban",
            "test_a_possible_owner_the_resource_runs_on_cannot_be_removed",
        ),
        *contract("test_placement.py::test_possible_owners"),
    ),
    "Preferred owners": (
        *backend(
            "test_preferred_owners_are_location_scores",
            "test_possible_owners_count_later_nodes_and_not_a_moves_ban",
        ),
        *contract("test_placement.py::test_preferred_owners"),
    ),
    "Failback (AutoFailbackType)": (
        *backend("test_failback_is_resource_stickiness", "test_a_failback_window_is_a_date_rule"),
        *contract(
            "test_properties.py::test_group_common_properties",
            "test_failover.py::test_a_crashed_owner_fails_over_and_rejoins",
        ),
    ),
    "Failback window (FailbackWindowStart/End)": backend("test_a_failback_window_is_a_date_rule"),
    "Restart threshold / period": (
        *backend(
            "test_restart_threshold_and_period_are_migration_threshold_and_failure_timeout",
            "test_an_infinite_threshold_and_failures_that_never_expire",
            "test_a_new_resource_is_offline_with_the_mscs_restart_defaults",
            "test_a_failure_is_counted_and_an_online_cleans_it_up",
        ),
        *contract("test_properties.py::test_resource_common_properties"),
    ),
    "RetryPeriodOnFailure": (
        *backend(
            "test_restart_threshold_and_period_are_migration_threshold_and_failure_timeout",
            "test_an_infinite_threshold_and_failures_that_never_expire",
            "test_common_properties_without_a_counterpart_are_not_supported",
        ),
        *contract("test_not_supported.py::test_common_properties_without_a_counterpart"),
    ),
    "RestartAction": (
        *backend(
            "test_poll_intervals_and_timeouts_are_operations",
            "test_restart_action_0_leaves_a_failed_resource_failed",
            "test_common_properties_without_a_counterpart_are_not_supported",
        ),
        *live("test_fail_resource_restarts_it_in_place"),
        *contract(
            "test_resources.py::test_a_failed_resource_is_restarted",
            "test_not_supported.py::test_common_properties_without_a_counterpart",
        ),
    ),
    "Failover threshold / period (group)": (
        *backend("test_common_properties_without_a_counterpart_are_not_supported"),
        *contract("test_not_supported.py::test_failover_threshold"),
    ),
    "LooksAlive / IsAlive poll intervals": backend(
        "test_poll_intervals_and_timeouts_are_operations",
        "test_is_alive_is_a_deeper_monitor_and_inherit_is_the_agents",
    ),
    "PendingTimeout / DeadlockTimeout": backend("test_poll_intervals_and_timeouts_are_operations"),
    "SeparateMonitor": (
        *backend(
            "test_separate_monitor_persistent_state_and_description",
            "test_common_properties_without_a_counterpart_are_not_supported",
        ),
        *contract("test_not_supported.py::test_common_properties_without_a_counterpart"),
    ),
    "PersistentState": (
        *backend(
            "test_separate_monitor_persistent_state_and_description",
            "test_common_properties_without_a_counterpart_are_not_supported",
        ),
        *contract("test_not_supported.py::test_common_properties_without_a_counterpart"),
    ),
    "Description": (
        *backend(
            "test_separate_monitor_persistent_state_and_description",
            "test_poll_intervals_and_timeouts_are_operations",
        ),
        *contract(
            "test_properties.py::test_resource_common_properties",
            "test_properties.py::test_group_common_properties",
        ),
    ),
    "Private properties": (
        *backend(
            "test_private_properties_are_instance_attributes_checked_by_the_meta_data",
            "test_a_private_property_change_takes_effect_at_once",
        ),
        *live("test_a_resapi_type_runs_through_the_ocf_bridge"),
        *contract(
            "test_properties.py::test_private_properties_come_from_the_agent",
            "test_properties.py::test_bad_private_properties_change_nothing",
        ),
    ),
    "Resource types": (
        *backend(
            "test_resource_types_are_the_installed_ocf_agents",
            "test_a_resapi_type_must_be_installed_where_pacemaker_looks",
        ),
        *live("test_a_resapi_type_runs_through_the_ocf_bridge"),
        *contract(
            "test_cluster.py::test_the_dummy_agent_is_a_resource_type",
            "test_cluster.py::test_unknown_resource_type",
            "test_not_supported.py::test_resource_type_common_properties",
        ),
    ),
    "Fail counts, cleanup": (
        *backend("test_a_failure_is_counted_and_an_online_cleans_it_up"),
        *live(
            "test_fail_resource_restarts_it_in_place",
            "test_a_failed_start_is_reported_and_an_online_retries",
        ),
        *contract("test_resources.py::test_a_failed_resource_is_restarted"),
    ),
    "Notifications": (
        *backend(
            "test_notifications_come_from_comparing_snapshots",
            "test_a_port_filters_and_ends_with_the_backend",
        ),
        *live(
            "test_notifications_arrive_within_the_poll_interval",
            "test_a_port_reports_the_cluster_going_away",
            "test_pause_moves_groups_away_and_a_crash_fails_over",
        ),
        *contract(
            "test_notifications.py::test_events_of_one_object_come_in_order",
            "test_notifications.py::test_resource_and_group_property_events",
        ),
    ),
    "Quorum resource": (
        *backend("test_no_counterpart_is_not_supported"),
        *contract("test_not_supported.py::test_quorum_resource"),
    ),
    "Cluster database, registry keys, registry notify ports": (
        *backend(
            "test_no_counterpart_is_not_supported",
            "test_every_control_code_and_the_whole_database_are_not_supported",
        ),
        *contract("test_not_supported.py::test_cluster_database"),
    ),
    "Registry checkpoints": (
        *backend("test_no_counterpart_is_not_supported"),
        *contract("test_not_supported.py::test_registry_checkpoints"),
    ),
    "Control codes (`Cluster*Control`)": (
        *backend(
            "test_no_counterpart_is_not_supported",
            "test_every_control_code_and_the_whole_database_are_not_supported",
        ),
        *contract("test_not_supported.py::test_user_control_codes"),
    ),
    # -- "## States" -------------------------------------------------------------------------
    '`failed="true"` or `blocked="true"`': backend(
        "test_the_state_mapping", "test_a_failed_stop_is_blocked_and_failed"
    ),
    "role Starting": backend(
        "test_the_state_mapping", "test_an_action_under_way_is_a_pending_state"
    ),
    "role Stopping": backend(
        "test_the_state_mapping", "test_an_action_under_way_is_a_pending_state"
    ),
    "role Migrating, Promoting, Demoting": backend(
        "test_the_state_mapping",
        "test_the_state_mapping_of_the_other_roles",
        "test_an_action_under_way_is_a_pending_state",
    ),
    "active (Started, Promoted, Unpromoted), `target-role` Stopped": backend(
        "test_the_state_mapping",
        "test_the_state_mapping_of_the_other_roles",
        "test_active_with_target_role_stopped_is_offline_pending",
    ),
    "active": (
        *backend(
            "test_the_state_mapping",
            "test_the_state_mapping_of_the_other_roles",
            "test_online_and_offline_of_a_group",
        ),
        *contract("test_resources.py::test_resource_online_and_offline"),
    ),
    "Stopped, `target-role` Stopped": (
        *backend(
            "test_the_state_mapping",
            "test_a_new_resource_is_offline_with_the_mscs_restart_defaults",
        ),
        *contract("test_resources.py::test_a_new_resource_is_offline_in_its_group"),
    ),
    "Stopped, wants to run, has a fail count": backend(
        "test_the_state_mapping", "test_restart_action_0_leaves_a_failed_resource_failed"
    ),
    "Stopped, wants to run, and some node may run it": backend(
        "test_the_state_mapping",
        "test_on_a_plain_saved_cib_online_sets_target_role_without_waiting",
        "test_a_resource_no_node_may_run_reads_offline",
    ),
    "Stopped, wants to run, no node may run it": backend(
        "test_the_state_mapping", "test_a_resource_no_node_may_run_reads_offline"
    ),
}

#: Where a covering test may live: the files that run the Pacemaker backend.
_PACEMAKER_TESTS: Final = re.compile(
    r"tests/(pacemaker/test_pacemaker_backend\.py|pacemaker/test_pacemaker_live\.py|contract/test_\w+\.py)"
)
_SEPARATOR: Final = re.compile(r"\|[\s:|-]+\|")

Function = ast.FunctionDef | ast.AsyncFunctionDef


# -- reading the document and the tests ----------------------------------------------------


def table_rows(text: str, section: str) -> list[str]:
    """The first cell of each body row of the first table under ``## {section}``."""
    found = re.search(
        rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL
    )
    assert found is not None, f"{DOC.name} has no section '## {section}'"
    lines = found[1].splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), None)
    assert start is not None, f"'## {section}' in {DOC.name} has no table"
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line.strip())
    header, separator, *body = table
    assert _SEPARATOR.fullmatch(separator), f"'## {section}': not a table: {header!r}"
    # Cells are split at the '|' that markdown does not escape ('\|').
    return [re.split(r"(?<!\\)\|", row)[1].strip() for row in body]


def documented_rows() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [row for section in SECTIONS for row in table_rows(text, section)]


@cache
def parsed(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path)


def functions(module: ast.Module) -> dict[str, Function]:
    """The module-level functions, by name."""
    return {
        node.name: node
        for node in module.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def all_node_ids() -> list[str]:
    return sorted({node_id for tests in COVERAGE.values() for node_id in tests})


def mark_name(node: ast.expr) -> str | None:
    """``"skip"`` for ``pytest.mark.skip`` or ``pytest.mark.skip(...)``; None if not a mark."""
    if isinstance(node, ast.Call):
        node = node.func
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "mark"
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "pytest"
    ):
        return node.attr
    return None


def disabling_marks(expression: ast.expr) -> list[str]:
    """The marks in ``expression`` (a decorator, or a ``pytestmark`` value) that skip a test
    unconditionally or expect it to fail."""
    found = []
    called: set[int] = set()  # the ``pytest.mark.x`` of a ``pytest.mark.x(...)`` seen already
    for node in ast.walk(expression):  # breadth first: a call before its function
        if not isinstance(node, ast.expr) or id(node) in called:
            continue
        if isinstance(node, ast.Call):
            called.add(id(node.func))
        name = mark_name(node)
        if name in ("skip", "xfail"):
            found.append(f"pytest.mark.{name}")
        elif name == "skipif" and isinstance(node, ast.Call) and node.args:
            condition = node.args[0]
            if isinstance(condition, ast.Constant) and condition.value:
                found.append("pytest.mark.skipif(<always true>)")
    return found


def pytest_call(node: ast.AST, name: str) -> bool:
    """Whether ``node`` is a call of ``pytest.<name>(...)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "pytest"
    )


def module_marks(module: ast.Module) -> list[ast.expr]:
    """The values assigned to the module's ``pytestmark``."""
    values = []
    for node in module.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets)
        if named and value is not None:
            values.append(value)
    return values


def existence_problem(node_id: str) -> str | None:
    """Why ``node_id`` is not a test that runs the Pacemaker backend, or None."""
    path, _, name = node_id.partition("::")
    if not _PACEMAKER_TESTS.fullmatch(path):
        return "not in a file that runs the Pacemaker backend"
    if not (ROOT / path).is_file():
        return f"no file {path}"
    if not name.startswith("test_"):
        return "not a test function (test_...)"
    found = functions(parsed(path)).get(name)
    if found is None:
        return f"{path} defines no function {name}"
    if path.startswith("tests/contract/") and not isinstance(found, ast.AsyncFunctionDef):
        # Only the async contract tests are parametrized over the backends (the conftest's
        # loop factories); a sync one runs on neither.
        return "a sync contract test, which runs on no backend"
    return None


def disabled_problem(function: Function, module: ast.Module) -> str | None:
    """How ``function`` (a test of ``module``) is skipped unconditionally or expected to
    fail, or None."""
    marks = [m for d in function.decorator_list for m in disabling_marks(d)]
    marks += [f"{m} (module)" for v in module_marks(module) for m in disabling_marks(v)]
    if marks:
        return ", ".join(marks)
    for statement in function.body:  # pytest.skip() in the body, outside any condition
        if isinstance(statement, ast.Expr) and pytest_call(statement.value, "skip"):
            return "calls pytest.skip() unconditionally"
    if any(pytest_call(node, "xfail") for node in ast.walk(function)):
        return "calls pytest.xfail()"
    return None


# -- the checks ----------------------------------------------------------------------------


def test_every_documented_row_has_its_tests() -> None:
    rows = documented_rows()
    duplicates = sorted({row for row in rows if rows.count(row) > 1})
    assert not duplicates, f"rows whose first cell appears twice in {DOC.name}: {duplicates}"
    missing = [row for row in rows if row not in COVERAGE]
    stale = [row for row in COVERAGE if row not in rows]
    assert not missing, f"rows of {DOC.name} without an entry in COVERAGE: {missing}"
    assert not stale, f"COVERAGE entries that are no row of {DOC.name} (renamed?): {stale}"
    empty = [row for row, tests in COVERAGE.items() if not tests]
    assert not empty, f"rows that no test covers: {empty}"


def test_every_listed_test_exists() -> None:
    problems = {n: p for n in all_node_ids() if (p := existence_problem(n)) is not None}
    assert not problems, f"COVERAGE lists tests that do not run the Pacemaker backend: {problems}"


def test_no_listed_test_is_skipped_or_xfail() -> None:
    problems = {}
    for node_id in all_node_ids():
        if existence_problem(node_id) is None:
            path, _, name = node_id.partition("::")
            module = parsed(path)
            problem = disabled_problem(functions(module)[name], module)
            if problem is not None:
                problems[node_id] = problem
    assert not problems, f"tests that cover rows of {DOC.name} but are disabled: {problems}"


def test_the_checks_find_what_they_look_for() -> None:
    # On the real files the checks above find nothing; here, that they would find it.
    module = ast.parse(
        "import pytest\n"
        "@pytest.mark.skip\n"
        "def test_a(): pass\n"
        "@pytest.mark.skipif(True, reason='x')\n"
        "def test_b(): pass\n"
        "@pytest.mark.skipif(sys.platform == 'win32', reason='x')\n"
        "@pytest.mark.asyncio\n"
        "async def test_c(): pass\n"
        "def test_d():\n"
        "    pytest.skip('later')\n"
        "def test_e():\n"
        "    if sys.platform == 'win32':\n"
        "        pytest.skip('x')\n"
        "    pytest.xfail('flaky')\n"
    )
    found = {name: disabled_problem(f, module) for name, f in functions(module).items()}
    assert found == {
        "test_a": "pytest.mark.skip",
        "test_b": "pytest.mark.skipif(<always true>)",
        "test_c": None,
        "test_d": "calls pytest.skip() unconditionally",
        "test_e": "calls pytest.xfail()",
    }
    marked = ast.parse("pytestmark = [pytest.mark.asyncio, pytest.mark.xfail(reason='x')]")
    assert [m for v in module_marks(marked) for m in disabling_marks(v)] == ["pytest.mark.xfail"]
    assert existence_problem("tests/pacemaker/test_pacemaker_backend.py::test_nothing_like_it") == (
        "tests/pacemaker/test_pacemaker_backend.py defines no function test_nothing_like_it"
    )
    assert existence_problem("tests/clusapi/test_enums.py::test_x") is not None
    table = "## States\n\nText.\n\n| a | b |\n|---|---|\n| `x` \\| y | 1 |\n| z | 2 |\n\n## Next\n"
    assert table_rows(table, "States") == ["`x` \\| y", "z"]
