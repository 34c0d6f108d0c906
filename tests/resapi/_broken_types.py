"""Resource types for tests/resapi/test_check_command.py, importable by path as
``tests.resapi._broken_types:Name`` (the command imports the type it checks)."""

from __future__ import annotations

import resapi
from resapi.testing import HealthyResource


class Sticky(HealthyResource):
    """Offline returns but leaves the resource running: a breach of the contract."""

    type_name = "Sticky"

    async def offline(self) -> None:
        pass


class OnlineRaises(HealthyResource):
    """Online always fails: the check stops there (the later steps need an online resource)."""

    type_name = "Online Raises"

    async def online(self) -> None:
        raise RuntimeError("cannot bind")


class SignalsFailure(HealthyResource):
    """Signals a failure while nothing is wrong: only a warning."""

    type_name = "Signals Failure"

    async def looks_alive(self) -> bool:
        self.signal_failure()
        return self.running


class TargetProperties(resapi.PropertyTable):
    target: str = resapi.prop(required=True, description="what to serve")
    verbose: bool = resapi.prop(default=False)
    retries: int = resapi.prop(default=1, minimum=0, maximum=10)
    tags: tuple[str, ...] = resapi.prop(default=("a",))
    blob: bytes = resapi.prop(default=b"")


class NeedsTarget(HealthyResource):
    """Passes the check once its required property is given."""

    type_name = "Needs Target"
    Properties = TargetProperties


#: Not a resource type at all.
NOT_A_TYPE = 42
