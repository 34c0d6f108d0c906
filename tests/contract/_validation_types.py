"""Resource types for the validation contract (tests/contract/test_validation.py), in a module
of their own: on Pacemaker the bridge's agent imports them, and it should not import pytest.

``Share`` validates one property (an absolute path) and the table as a whole (two ports that
must differ); ``ReservedPorts`` refuses a port through ``control()``, the way a ported DLL's
ResourceControl(VALIDATE_PRIVATE_PROPERTIES) does.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import resapi
from clusapi import ControlCode, InvalidParameterError, Win32Error
from clusapi.lowlevel import PropertyList
from resapi.testing import HealthyResource


def absolute(path: str) -> None:
    """``Path`` must be absolute: the resource serves it from any node's disk."""
    if not path.startswith("/"):
        raise ValueError(f"must be an absolute path (starting with '/'), e.g. /srv/{path}")


class ShareProperties(resapi.PropertyTable):
    path: str = resapi.prop(required=True, validate=absolute, description="directory served")
    port: int = resapi.prop(default=8080, minimum=1, maximum=65535, description="TCP port")
    admin_port: int = resapi.prop(default=8081, minimum=1, maximum=65535, description="admin")

    def validate(self) -> None:
        if self.port == self.admin_port:
            raise ValueError(
                f"Port and AdminPort are both {self.port}; give the admin listener its own port"
            )


class _Idle(HealthyResource):
    """Comes online without doing anything: these tests are about property changes."""

    Properties = ShareProperties


class Share(_Idle):
    """A share whose path must be absolute and whose two ports must differ."""

    type_name = "Validated Share"


#: The port ReservedPorts refuses, as a DLL would refuse one it finds in use.
RESERVED_PORT = 8443


class ReservedPorts(_Idle):
    """Refuses ``Port`` 8443 in its ResourceControl, as ported DLL code does."""

    type_name = "Reserved Ports"
    #: (code, instance ever online) of every property code its control() saw.
    seen: ClassVar[list[tuple[int, bool]]] = []

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.was_online = False

    async def online(self) -> None:
        self.was_online = True
        await super().online()

    async def control(
        self, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        if code in (
            ControlCode.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
            ControlCode.RESOURCE_SET_PRIVATE_PROPERTIES,
        ):
            type(self).seen.append((code, self.was_online))
            port = PropertyList.from_bytes(data).to_dict().get("Port")
            if port == RESERVED_PORT:
                raise InvalidParameterError(
                    Win32Error.ERROR_INVALID_PARAMETER,
                    f"port {port} is in use by another service on {self.node_name}",
                    fix="choose another Port",
                )
        return resapi.NOT_HANDLED
