"""``python -m resapi.ocf``: run a resapi resource type as an OCF resource agent.

Install an agent, then let Pacemaker (or ``ocf-tester``) run it::

    python -m resapi.ocf install examples.echo_server:EchoServer --ocf-root /usr/lib/ocf
    OCF_RESOURCE_INSTANCE=echo OCF_RESKEY_port=7100 \\
        /usr/lib/ocf/resource.d/resapi/echo-server start

See :mod:`resapi._ocf` for the actions, the host daemon and the exit codes.
"""

from __future__ import annotations

import sys

from ._ocf import (
    OCF_ERR_ARGS,
    OCF_ERR_CONFIGURED,
    OCF_ERR_GENERIC,
    OCF_ERR_INSTALLED,
    OCF_ERR_UNIMPLEMENTED,
    OCF_NOT_RUNNING,
    OCF_SUCCESS,
    AgentError,
    agent_name,
    install,
    main,
    meta_data,
    parameters_from_env,
    run_action,
)

__all__ = (
    "OCF_ERR_ARGS",
    "OCF_ERR_CONFIGURED",
    "OCF_ERR_GENERIC",
    "OCF_ERR_INSTALLED",
    "OCF_ERR_UNIMPLEMENTED",
    "OCF_NOT_RUNNING",
    "OCF_SUCCESS",
    "AgentError",
    "agent_name",
    "install",
    "main",
    "meta_data",
    "parameters_from_env",
    "run_action",
)

if __name__ == "__main__":
    sys.exit(main())
