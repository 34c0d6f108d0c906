"""Resource types with a plain ``def`` entry point, importable by path as
``tests.resapi._plain_def_types:Name`` (for tests/resapi/test_entry_points_async.py)."""

from __future__ import annotations

from resapi.testing import HealthyResource


class PlainOnline(HealthyResource):
    """Online is a plain ``def``: it returns None where the monitor awaits a coroutine."""

    type_name = "Plain Online"

    def online(self) -> None:  # type: ignore[override]
        pass
