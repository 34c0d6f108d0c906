"""The outcome of one seed (:class:`SimulationReport`) and the command that replays it."""

from __future__ import annotations

from typing import Final

import attrs

#: The command that replays one seed.
_REPLAY_MODULE: Final = "clusapi.testing.faults"


@attrs.frozen
class SimulationReport:
    """The outcome of one seed.

    ``violations`` is empty when every invariant held; ``replay_command`` replays the seed.
    """

    seed: int
    steps: int
    nodes: int
    quorum: bool
    invariants_checked: int
    violations: tuple[str, ...]
    cluster_log_digest: str
    replay_command: str
    #: Expected API errors by Win32 name, sorted (see EXPECTED_ERRORS).
    expected_errors: tuple[tuple[str, int], ...] = ()
    faults: int = 0
    operations: int = 0
    #: Groups exempt from I2 because their failure policy gave up as documented.
    exempt_groups: tuple[str, ...] = ()
    cluster_time: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations

    def failure_message(self, limit: int = 20) -> str:
        """The violations (at most ``limit``) and the command that replays the seed."""
        lines = [
            f"seed {self.seed}: {len(self.violations)} violation(s) of "
            f"{self.invariants_checked} invariants checked"
        ]
        lines.extend(f"  {v}" for v in self.violations[:limit])
        if len(self.violations) > limit:
            lines.append(f"  ... and {len(self.violations) - limit} more")
        lines.append(f"replay: {self.replay_command}")
        return "\n".join(lines)

    def summary(self) -> str:
        status = "ok" if self.ok else f"{len(self.violations)} VIOLATION(S)"
        errors = ", ".join(f"{name} x{n}" for name, n in self.expected_errors) or "none"
        return (
            f"seed {self.seed}: {status}; {self.steps} steps ({self.faults} faults, "
            f"{self.operations} operations), {self.nodes} nodes, "
            f"{'quorum disk' if self.quorum else 'majority'}; {self.invariants_checked} "
            f"invariants checked; cluster time {self.cluster_time:.1f} s; expected errors: "
            f"{errors}; exempt groups: {list(self.exempt_groups)}; "
            f"log sha256 {self.cluster_log_digest[:16]}"
        )

    def raise_for_violations(self) -> None:
        """Raise AssertionError with :meth:`failure_message` if an invariant failed."""
        if self.violations:
            raise AssertionError(self.failure_message())


def replay_command(
    seed: int, steps: int, nodes: int = 4, quorum: bool | None = None, groups: int = 8
) -> str:
    """The shell command that replays a seed (options left at their defaults are omitted)."""
    cmd = f"python -m {_REPLAY_MODULE} --seed {seed} --steps {steps}"
    if nodes != 4:
        cmd += f" --nodes {nodes}"
    if groups != 8:
        cmd += f" --groups {groups}"
    if quorum is not None:
        cmd += " --quorum" if quorum else " --no-quorum"
    return cmd
