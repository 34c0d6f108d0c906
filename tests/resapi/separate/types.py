"""Resource types that run in a separate monitor process (``tests.resapi.separate.types:Name``).

They live in an importable module, not in the test file, because the child process imports them
by path. The test switches their behaviour in the child with the private control code
:data:`SET_MODE` (data: the mode's name) or with private properties (``OnlineMode``).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Literal

import anyio

import resapi
from clusapi import Win32Error
from clusapi.lowlevel import ControlObject, user_control_code

if TYPE_CHECKING:
    from collections.abc import Callable

#: Control code: set the behaviour of LooksAlive/IsAlive (data: b"exit", b"sleep", ...).
SET_MODE = 0x0040_0001
#: Control code: answer with b"echo:" + data.
ECHO = 0x0040_0002
#: Control code: raise a ClusterError (ERROR_INVALID_DATA).
REJECT = 0x0040_0003
#: Control code: the quorum resource loses its device (calls QuorumResourceLost).
LOSE_DEVICE = 0x0040_0004
#: Control code: answer with the process ID of the monitor process.
GET_PID = 0x0040_0005

#: SET_MODE as a cluster client sends it: a resource code defined by the type
#: (CLUSCTL_USER_CODE), which the cluster routes to the resource.
USER_SET_MODE = user_control_code(1, ControlObject.RESOURCE)

REGISTRY_KEY = "SOFTWARE\\Separate"


class SteadyProperties(resapi.PropertyTable):
    online_mode: str = resapi.prop(default="")
    #: Seconds between checkpoints, and how many, for OnlineMode "progress".
    step: int = resapi.prop(default=200)
    steps: int = resapi.prop(default=8)


class Steady(resapi.Resource[SteadyProperties]):
    """Well-behaved unless told otherwise."""

    type_name = "Separate Steady"
    Properties = SteadyProperties

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.up = False
        self.mode = ""

    async def open(self) -> None:
        self.log.info("opened in process %d", os.getpid())

    async def online(self) -> None:
        mode = self.properties.online_mode
        if mode == "hang":
            await anyio.sleep_forever()  # no checkpoints: PendingTimeout ends it
        elif mode == "block":
            time.sleep(60)  # noqa: ASYNC251  (blocks its monitor's event loop: a deadlock)
        elif mode == "raise":
            raise RuntimeError("cannot start")
        elif mode == "progress":
            for _ in range(self.properties.steps):
                await anyio.sleep(self.properties.step / 1000)
                self.checkpoint()
        seed = self.local_registry.get(REGISTRY_KEY, "Seed", default=0)
        assert isinstance(seed, int)
        self.local_registry.set(REGISTRY_KEY, "Count", seed + 1)
        self.up = True
        self.log.info("online")

    async def offline(self) -> None:
        self.local_registry.set(REGISTRY_KEY, "State", "offline")
        self.up = False

    async def terminate(self) -> None:
        self.up = False

    async def looks_alive(self) -> bool:
        return await self._probe()

    async def is_alive(self) -> bool:
        return await self._probe()

    async def _probe(self) -> bool:
        if self.mode == "exit":
            os._exit(3)
        if self.mode == "sleep":
            time.sleep(60)  # noqa: ASYNC251  (blocks its monitor's event loop: a deadlock)
        if self.mode == "hang":
            await anyio.sleep_forever()
        if self.mode == "raise":
            raise ValueError("probe exploded")
        if self.mode == "leak":
            self.__dict__.setdefault("hoard", []).append(bytearray(64 * 2**20))  # never freed
        if self.mode == "down":
            return False
        return self.up

    async def control(
        self, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        if code in (SET_MODE, USER_SET_MODE):
            self.mode = data.decode()
            return b""
        if code == ECHO:
            return b"echo:" + data
        if code == REJECT:
            raise resapi.ClusterError(Win32Error.ERROR_INVALID_DATA, "rejected on purpose")
        if code == GET_PID:
            return str(os.getpid()).encode()
        return resapi.NOT_HANDLED


class Disk(Steady):
    """Quorum-capable: Arbitrate keeps the ``lost`` callback; LOSE_DEVICE calls it."""

    type_name = "Separate Disk"

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.lost: Callable[[], None] | None = None

    async def arbitrate(self, lost: Callable[[], None]) -> None:
        self.lost = lost

    async def release(self) -> None:
        self.lost = None

    async def control(
        self, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        if code == LOSE_DEVICE and self.lost is not None:
            self.lost()
            return b""
        return await super().control(code, data)


NOT_A_CLASS = 42
