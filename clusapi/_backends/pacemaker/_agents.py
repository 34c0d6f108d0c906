"""Resource types on Pacemaker: the installed OCF resource agents.

A type is named ``ocf:PROVIDER:TYPE``; its property table and defaults come from its
meta-data (``crm_resource --show-metadata``), parsed by resapi's OCF bridge
(:func:`resapi.ocf.parse_meta_data`). A resapi resource type registered with
``create_resource_type`` becomes an agent of provider ``resapi`` (:func:`resapi.ocf.install`),
named either ``ocf:resapi:<agent>`` or by its resapi type name. See ``docs/pacemaker.md``
("Resource types" in "The mapping").
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from clusapi import _rules as rules
from clusapi._errors import ClusterError, make_error
from clusapi._properties import PropertyTable
from clusapi._win32 import Win32Error
from resapi.ocf import meta_data_properties, parse_meta_data

if TYPE_CHECKING:
    # attrs keeps annotations as strings (future annotations), so this stays type-only.
    from resapi.ocf import MetaData  # noqa: TC004

    from ._runner import Runner

__all__ = ("AgentInfo", "Agents")

#: The provider under which resapi types are installed.
RESAPI_PROVIDER: Final = "resapi"
#: The line resapi.ocf.install writes into each agent it generates.
_BRIDGE_MARK: Final = b"Written by `python -m resapi.ocf install`"
#: The class path in the comment the bridge writes: "... resource type 'X' (pkg.mod:Class)."
_BRIDGE_PATH: Final = re.compile(rb"resapi resource type .*? \(([\w.]+:[\w.]+)\)\.\n")
_DEFAULT_LOOKS_ALIVE_MS: Final = 5000
_DEFAULT_IS_ALIVE_MS: Final = 60000


@attrs.frozen
class AgentInfo:
    """An installed agent as a resource type."""

    name: str
    provider: str
    agent_type: str
    display_name: str
    description: str
    meta: MetaData = attrs.field(eq=False, repr=False)
    #: The private property table built from the meta-data.
    table: type[PropertyTable] = attrs.field(eq=False, repr=False)

    @property
    def looks_alive_ms(self) -> int:
        interval = self.meta.looks_alive_interval
        return round(interval * 1000) if interval else _DEFAULT_LOOKS_ALIVE_MS

    @property
    def is_alive_ms(self) -> int:
        interval = self.meta.is_alive_interval
        return round(interval * 1000) if interval else _DEFAULT_IS_ALIVE_MS

    def timeout_ms(self, action: str) -> int:
        """The timeout the agent advertises for ``action`` (20 s when it gives none)."""
        return round(self.meta.timeouts.get(action, 20.0) * 1000)


def split_agent(name: str) -> tuple[str, str] | None:
    """(provider, type) of ``ocf:PROVIDER:TYPE``, else None."""
    parts = name.split(":")
    if len(parts) == 3 and parts[0] == "ocf" and parts[1] and parts[2] and "/" not in name:
        return parts[1], parts[2]
    return None


class Agents:
    """The agents of one backend, with their meta-data cached."""

    def __init__(self, runner: Runner, ocf_root: str, ttl: float = 30.0) -> None:
        self._runner = runner
        self.ocf_root = ocf_root
        self._ttl = ttl
        self._names: tuple[str, ...] | None = None
        self._listed_at = 0.0
        self._info: dict[str, AgentInfo] = {}

    def forget(self) -> None:
        """Drop what is cached (a type was installed or removed)."""
        self._names = None
        self._info.clear()

    async def names(self) -> tuple[str, ...]:
        """Every installed OCF agent as ``ocf:P:T``, sorted by provider and type."""
        # Real time: the list changes when packages are installed, not on the loop's clock.
        if self._names is not None and time.monotonic() - self._listed_at < self._ttl:
            return self._names
        out = await self._runner.run(["crm_resource", "--list-ocf-providers", "--output-as=xml"])
        providers = sorted(_texts(out.stdout, "provider"))
        names: list[str] = []
        for provider in providers:
            result = await self._runner.run(
                ["crm_resource", "--list-agents", f"ocf:{provider}", "--output-as=xml"],
                check=False,
            )
            names += [f"ocf:{provider}:{a}" for a in sorted(_texts(result.stdout, "agent"))]
        self._names = tuple(names)
        self._listed_at = time.monotonic()
        return self._names

    async def resolve(self, name: object) -> str:
        """The agent a type name means: ``ocf:P:T``, or a resapi type name (``"Echo Server"``,
        installed as ``ocf:resapi:echo-server``), matched exactly, else case-insensitively.

        Raises:
            ResourceTypeNotFoundError: ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND.
        """
        if not isinstance(name, str) or not name.strip():
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"resource type name must be a non-empty string, not {name!r}",
                fix="name an installed OCF agent, e.g. 'ocf:heartbeat:Dummy'",
            )
        names = await self.names()
        candidates = [name]
        if split_agent(name) is None:
            from resapi.ocf import agent_name

            candidates.append(f"ocf:{RESAPI_PROVIDER}:{agent_name(name)}")
        for candidate in candidates:
            if candidate in names:
                return candidate
            folded = [n for n in names if n.casefold() == candidate.casefold()]
            if len(folded) == 1:
                return folded[0]
        raise rules.no_such_type(name)

    async def info(self, agent: str) -> AgentInfo:
        """The type behind ``agent`` (``ocf:P:T``, already resolved), from its meta-data."""
        cached = self._info.get(agent)
        if cached is not None:
            return cached
        split = split_agent(agent)
        if split is None:
            raise make_error(
                Win32Error.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND, f"{agent!r} is no OCF agent"
            )
        result = await self._runner.run(["crm_resource", "--show-metadata", agent], check=False)
        if result.code != 0:
            raise make_error(
                Win32Error.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND,
                f"the meta-data of OCF agent {agent!r} could not be read (crm_resource exit "
                f"{result.code}: {result.stderr.decode(errors='replace').strip()})",
                fix="check that the agent is installed and runs `meta-data` on this node",
            )
        try:
            meta = parse_meta_data(result.stdout)
            root = ET.fromstring(result.stdout)
        except (ValueError, ET.ParseError) as exc:
            raise make_error(
                Win32Error.ERROR_INVALID_DATA,
                f"OCF agent {agent!r} wrote meta-data that is not valid: {exc}",
            ) from None
        qualname = re.sub(r"\W", "_", agent.replace(":", "__"), flags=re.ASCII)
        info = AgentInfo(
            name=agent,
            provider=split[0],
            agent_type=split[1],
            display_name=_text(root.find("shortdesc")) or agent,
            description=_text(root.find("longdesc")) or _text(root.find("shortdesc")),
            meta=meta,
            table=meta_data_properties(meta, qualname),
        )
        self._info[agent] = info
        return info

    # -- registering resapi types ---------------------------------------------------------------

    def install(self, implementation: object) -> str:
        """Install a resapi type as an agent under this backend's OCF root; its agent name.

        Raises:
            InvalidParameterError: for something that is not a resapi type (or its path).
            ClusterError: ERROR_ACCESS_DENIED when the agent cannot be written, or when
                root would run it from a place someone else can change (docs/security.md).
        """
        from resapi._resource import Resource
        from resapi.ocf import AgentError, UnsafeInstallError, install

        if isinstance(implementation, type) and issubclass(implementation, Resource):
            path = f"{implementation.__module__}:{implementation.__qualname__}"
        elif isinstance(implementation, str):
            path = implementation
        else:
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"{implementation!r} is not a resapi.Resource subclass, its import path or an "
                "OCF agent name",
                fix="pass a resapi.Resource subclass, 'package.module:Class' or "
                "'ocf:PROVIDER:TYPE'",
            )
        try:
            target = install(path, provider=RESAPI_PROVIDER, ocf_root=self.ocf_root)
        except UnsafeInstallError as exc:
            # Not the type's fault: root would run code or an agent someone else can change.
            raise make_error(
                Win32Error.ERROR_ACCESS_DENIED,
                f"cannot install resource type {path!r} as an OCF agent: {exc.reason}",
                fix="see docs/security.md for what root's agents and code may live in",
            ) from None
        except AgentError as exc:
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"cannot install resource type {path!r} as an OCF agent: {exc}",
                fix="pass a complete resapi.Resource subclass or 'package.module:Class'",
            ) from None
        except OSError as exc:
            raise make_error(
                Win32Error.ERROR_ACCESS_DENIED,
                f"cannot write the OCF agent for {path!r} under {self.ocf_root}: {exc}",
                fix="run as root, or pass PacemakerBackend(ocf_root=...) a writable OCF root",
            ) from None
        self.forget()
        return f"ocf:{RESAPI_PROVIDER}:{target.name}"

    async def install_visible(self, implementation: object) -> str:
        """:meth:`install`, then check that Pacemaker's tools list the agent; if they do not
        (``ocf_root`` is not the OCF root the nodes read), the file is removed again.

        Raises:
            ResourceTypeNotFoundError: ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND in that case.
        """
        agent = self.install(implementation)
        try:
            return await self.resolve(agent)
        except ClusterError as exc:
            path = self.bridge_file(agent)
            if path is not None:
                path.unlink(missing_ok=True)
                self.forget()
            raise make_error(
                Win32Error.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND,
                f"resource type {agent!r} was written under {self.ocf_root}, but Pacemaker "
                f"does not see it there ({exc.description})",
                fix="pass PacemakerBackend(ocf_root=...) the OCF root the cluster nodes read "
                "(/usr/lib/ocf, or a PacemakerLab's lab.ocf_root)",
            ) from None

    def bridge_file(self, agent: str) -> Path | None:
        """The agent's file if resapi's bridge wrote it under this OCF root, else None."""
        split = split_agent(agent)
        if split is None or split[0] != RESAPI_PROVIDER:
            return None
        path = Path(self.ocf_root, "resource.d", split[0], split[1])
        try:
            head = path.read_bytes()[:400]
        except OSError:
            return None
        return path if _BRIDGE_MARK in head else None

    def implementation(self, agent: str) -> str:
        """What implements the type: ``"package.module:Class"`` for a resapi type installed
        here through the bridge (its agent names the class), else the agent's own name."""
        path = self.bridge_file(agent)
        if path is not None:
            match = _BRIDGE_PATH.search(path.read_bytes()[:400])
            if match:
                return match[1].decode()
        return agent

    def uninstall(self, agent: str) -> None:
        """Remove an agent resapi's bridge installed.

        Raises:
            NotSupportedError: ERROR_NOT_SUPPORTED for an agent a package installed.
        """
        path = self.bridge_file(agent)
        if path is None:
            raise make_error(
                Win32Error.ERROR_NOT_SUPPORTED,
                f"resource type {agent!r} is an OCF agent installed on the nodes, not one "
                "registered through clusapi; Pacemaker cannot unregister it",
                fix="remove the agent with the package manager on every node",
            )
        try:
            path.unlink()
        except OSError as exc:
            raise make_error(
                Win32Error.ERROR_ACCESS_DENIED, f"cannot remove {path}: {exc}"
            ) from None
        self.forget()


def _texts(xml_text: bytes, tag: str) -> list[str]:
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return []
    return [e.text.strip() for e in root.iter(tag) if e.text and e.text.strip()]


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""
