"""Checks the Pacemaker handlers share, and the error for what has no counterpart.

See ``docs/pacemaker.md`` ("The mapping") for what each operation maps to.
"""

from __future__ import annotations

from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

__all__ = ("not_supported",)


def not_supported(
    what: str, fix: str = "see docs/pacemaker.md for what Pacemaker offers"
) -> ClusterError:
    """ERROR_NOT_SUPPORTED for what has no counterpart on Pacemaker."""
    return make_error(
        Win32Error.ERROR_NOT_SUPPORTED, f"{what} (no counterpart on Pacemaker)", fix=fix
    )
