"""Control codes in the reference runtime (being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi import _operations as ops
from clusapi._errors import make_error
from clusapi._win32 import Win32Error

from ._runtime import _handles

if TYPE_CHECKING:
    from clusapi._values import ControlResult

    from ._runtime import ReferenceRuntime

__all__ = ()


@_handles(ops.Control)
async def _control(rt: ReferenceRuntime, op: ops.Control) -> ControlResult:
    raise make_error(Win32Error.ERROR_INVALID_FUNCTION, f"control code {op.code:#010x}")
