"""create_resource_type by import path on the reference cluster: each way a path can be wrong
is an InvalidParameterError naming the path and the fix (the resolver is shared with the
monitor and ``python -m resapi check``: resapi._resource_type.resolve_import_path)."""

from __future__ import annotations

import pytest

from clusapi import InvalidParameterError
from clusapi.testing import open_reference_cluster

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param(
            "examples.echo_server",
            "'examples.echo_server' is not an import path (ERROR_INVALID_PARAMETER, 87); "
            "write it as 'package.module:ClassName'",
            id="form",
        ),
        pytest.param(
            "examples.no_such_module:X",
            "cannot load resource type 'examples.no_such_module:X': No module named "
            "'examples.no_such_module' (ERROR_INVALID_PARAMETER, 87); check the module and "
            "class name",
            id="module",
        ),
        pytest.param(
            # Any error of the module's own import, not only ImportError, is the path's fault.
            "tests.reference._raises_on_import:X",
            "cannot load resource type 'tests.reference._raises_on_import:X': boom at import",
            id="module-raises",
        ),
        pytest.param(
            "examples.echo_server:Nope",
            "cannot load resource type 'examples.echo_server:Nope': module "
            "'examples.echo_server' has no attribute 'Nope'",
            id="attribute",
        ),
    ],
)
async def test_a_bad_import_path_is_refused_with_the_fix(path: str, message: str) -> None:
    async with open_reference_cluster(("N1",)) as env:
        with pytest.raises(InvalidParameterError) as caught:
            await env.cluster.create_resource_type(path)
        assert str(caught.value).startswith(message), str(caught.value)
        assert await env.cluster.resource_types() == []
