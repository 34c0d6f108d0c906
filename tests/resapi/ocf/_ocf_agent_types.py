"""Resource types that misbehave on purpose, installed as OCF agents by ``test_ocf_agent.py``.

They live in a module of their own because the agent imports them in its own processes.
"""

from __future__ import annotations

import anyio

import resapi


class HangingOffline(resapi.Resource):
    """Online works; Offline never returns, so only Terminate (or a kill) stops it."""

    type_name = "Hanging Offline"

    async def online(self) -> None:
        pass

    async def offline(self) -> None:
        await anyio.sleep_forever()

    async def terminate(self) -> None:
        self.log.warning("Terminate called")

    async def looks_alive(self) -> bool:
        return True

    async def is_alive(self) -> bool:
        return True


class FailingOnline(resapi.Resource):
    """Online raises: the start fails with the reason."""

    type_name = "Failing Online"

    async def online(self) -> None:
        raise RuntimeError("no disk behind this resource")

    async def offline(self) -> None:
        pass

    async def terminate(self) -> None:
        pass

    async def looks_alive(self) -> bool:
        return True

    async def is_alive(self) -> bool:
        return True


class FileHealthProperties(resapi.PropertyTable):
    """Private properties of the File Health type."""

    path: str = resapi.prop(required=True, description="file whose existence is the health")
    verbose: bool = resapi.prop(default=False, description="log every health check")


class FileHealth(resapi.Resource[FileHealthProperties]):
    """Healthy while a file exists: LooksAlive always says yes, IsAlive looks at the file,
    so OCF_CHECK_LEVEL 0 and 10 give different answers once the file is gone."""

    type_name = "File Health"
    Properties = FileHealthProperties
    version = "2.5"

    async def online(self) -> None:
        if not await anyio.Path(self.properties.path).exists():
            raise FileNotFoundError(self.properties.path)

    async def offline(self) -> None:
        pass

    async def terminate(self) -> None:
        pass

    async def looks_alive(self) -> bool:
        return True

    async def is_alive(self) -> bool:
        alive = await anyio.Path(self.properties.path).exists()
        if self.properties.verbose or not alive:
            self.log.info("IsAlive: %s %s", self.properties.path, "exists" if alive else "is gone")
        return alive


class CannotHere(FailingOnline):
    """Online says this node lacks something another node may have."""

    type_name = "Cannot Here"

    async def online(self) -> None:
        raise resapi.CannotComeOnlineOnThisNode(
            resapi.Win32Error.ERROR_NODE_CANT_HOST_RESOURCE,
            "no license on this node",
            fix="install the license file",
        )


class CannotAnywhere(FailingOnline):
    """Online says its configuration is wrong wherever it runs."""

    type_name = "Cannot Anywhere"

    async def online(self) -> None:
        raise resapi.CannotComeOnlineOnAnyNode(
            resapi.Win32Error.ERROR_RESOURCE_FAILED,
            "the configured volume does not exist",
            fix="correct the Volume property",
        )


class CannotHereSaidPlainly(FailingOnline):
    """Online raises CannotComeOnlineOnThisNode with a message only (issue 16, item 5)."""

    type_name = "Cannot Here Plainly"

    async def online(self) -> None:
        raise resapi.CannotComeOnlineOnThisNode("no license on this node")


class CannotAnywhereSaidPlainly(FailingOnline):
    """Online raises CannotComeOnlineOnAnyNode with a message only (issue 16, item 5)."""

    type_name = "Cannot Anywhere Plainly"

    async def online(self) -> None:
        raise resapi.CannotComeOnlineOnAnyNode("the configured volume does not exist")
