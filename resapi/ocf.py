"""``python -m resapi.ocf``: run a resapi resource type as an OCF resource agent.

Install an agent, then let Pacemaker (or ``ocf-tester``) run it::

    python -m resapi.ocf install examples.echo_server:EchoServer --ocf-root /usr/lib/ocf
    OCF_RESOURCE_INSTANCE=echo OCF_RESKEY_port=7100 \\
        /usr/lib/ocf/resource.d/resapi/echo-server start

See docs/ocf.md for the actions, the host daemon and the exit codes.

The other direction, an installed OCF agent as a resource type, is :func:`agent_type` (and
``await cluster.create_resource_type("ocf:heartbeat:Dummy")``).
"""

from __future__ import annotations

import sys
import typing

from ._ocf._agent import (
    OCF_ERR_ARGS,
    OCF_ERR_CONFIGURED,
    OCF_ERR_GENERIC,
    OCF_ERR_INSTALLED,
    OCF_ERR_UNIMPLEMENTED,
    OCF_NOT_RUNNING,
    OCF_SUCCESS,
    AgentError,
    UnsafeInstallError,
    main,
    run_action,
)
from ._ocf._install import install
from ._ocf._parameters import agent_name, meta_data, parameters_from_env

if typing.TYPE_CHECKING:  # (typing.X keeps this module's public names exactly __all__)
    from clusapi._properties import PropertyTable

    from ._ocf._type import MetaData as MetaData
    from ._resource import Resource


def agent_type(
    spec: str, *, ocf_root: str = "/usr/lib/ocf", type_name: str | None = None
) -> type[Resource]:
    """The :class:`resapi.Resource` subclass that runs the installed OCF agent ``spec``.

    What ``await cluster.create_resource_type("ocf:heartbeat:Dummy")`` registers; use it to
    test an agent with :mod:`resapi.testing` (``check_resource(agent_type(...))``) or to
    register it under another name. Its private properties come from the agent's meta-data;
    its entry points run the agent's actions (see :mod:`resapi._ocf._type`). Built once per
    agent and process.

    Example::

        Dummy = resapi.ocf.agent_type("ocf:heartbeat:Dummy")
        report = await resapi.testing.check_resource(Dummy, properties={"state": "/tmp/d"})

    Args:
        spec: ``"ocf:PROVIDER:TYPE"`` (the agent ``OCF_ROOT/resource.d/PROVIDER/TYPE``) or
            the path of an agent executable.
        ocf_root: the OCF root directory (``OCF_ROOT``).
        type_name: the resource type name; default ``"ocf:PROVIDER:TYPE"``.

    Raises:
        ClusterError: ERROR_FILE_NOT_FOUND when there is no such executable agent,
            ERROR_INVALID_PARAMETER when ``spec`` is malformed or the agent's ``meta-data``
            fails or is not valid.
    """
    # Imported here, not at the top: an installed resapi agent imports this module for every
    # action, and must not pay for the other direction's imports.
    from ._ocf._type import ocf_resource_type

    return ocf_resource_type(spec, ocf_root=ocf_root, type_name=type_name)


def parse_meta_data(text: str | bytes) -> MetaData:
    """Read an OCF agent's ``meta-data`` XML: its parameters, action timeouts, monitors and
    (in a resapi type's ``<special tag="resapi">``) required dependencies.

    What :func:`agent_type` builds a resource type from, public so that a backend (the
    Pacemaker backend reads the meta-data ``crm_resource --show-metadata`` prints) reads it the
    same way.

    Raises:
        ValueError: the text is not OCF meta-data, or is larger or deeper than the limits in
            :mod:`resapi._ocf._type`.
    """
    from ._ocf._type import parse_meta_data as parse

    return parse(text)


def meta_data_properties(meta: MetaData, qualname: str) -> type[PropertyTable]:
    """The private-property table of an agent with meta-data ``meta``: one property per OCF
    parameter (required ones required, ``unique`` ones unique), named ``QUALNAME.Properties``.
    """
    from ._ocf._type import meta_data_properties as build

    return build(meta, qualname)


def agent_spec(cls: object) -> str | None:
    """``"ocf:PROVIDER:TYPE"`` when ``cls`` is a type made by :func:`agent_type`, else None."""
    from ._ocf._type import OcfAgentResource

    if isinstance(cls, type) and issubclass(cls, OcfAgentResource):
        return f"ocf:{cls.agent_provider}:{cls.agent_type}"
    return None


__all__ = (
    "OCF_ERR_ARGS",
    "OCF_ERR_CONFIGURED",
    "OCF_ERR_GENERIC",
    "OCF_ERR_INSTALLED",
    "OCF_ERR_UNIMPLEMENTED",
    "OCF_NOT_RUNNING",
    "OCF_SUCCESS",
    "AgentError",
    "UnsafeInstallError",
    "agent_name",
    "agent_spec",
    "agent_type",
    "install",
    "main",
    "meta_data",
    "meta_data_properties",
    "parameters_from_env",
    "parse_meta_data",
    "run_action",
)

# The public home for pickle, docs and tracebacks (what clusapi._util.fixup_module_metadata
# does for the packages; not imported here, to keep this module's imports small).
AgentError.__module__ = "resapi.ocf"  # also under `python -m resapi.ocf`
UnsafeInstallError.__module__ = "resapi.ocf"

if __name__ == "__main__":
    sys.exit(main())
