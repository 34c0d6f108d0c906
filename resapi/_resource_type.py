"""What every path that takes a resource type shares: finding it by import path, and the
checks a type must pass before it is registered.

A type reaches the SDK by several doors: ``cluster.create_resource_type`` on the reference
and Pacemaker backends, ``resapi.testing.run_resource``/``check_resource``, ``python -m
resapi check``, the OCF bridge's installer, and a separate monitor process that imports it by
path. Each door words a failure its own way (a usage error for a command, a Win32 error for a
cluster call), so :func:`resolve_import_path` raises a neutral :class:`ImportPathError` with
the parts of the reason, and :func:`check_entry_points` raises the one
``InvalidParameterError`` every registration gives for an entry point that is not ``async``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Final, Literal

from clusapi._errors import make_error
from clusapi._win32 import Win32Error

from ._resource import Resource

__all__ = ("ENTRY_POINTS", "ImportPathError", "check_entry_points", "resolve_import_path")


def _coroutine_function(attribute: object) -> bool:
    # A classmethod (type_control) or staticmethod wraps the function; a decorator that keeps
    # __wrapped__ (functools.wraps) may hide an `async def` behind a plain wrapper that
    # returns its coroutine, which awaits the same.
    if isinstance(attribute, (classmethod, staticmethod)):
        attribute = attribute.__func__
    if not callable(attribute):
        return False
    return inspect.iscoroutinefunction(attribute) or inspect.iscoroutinefunction(
        inspect.unwrap(attribute)
    )


#: The entry points the monitor awaits: every ``async def`` of :class:`resapi.Resource`
#: (open, close, online, offline, terminate, looks_alive, is_alive, arbitrate, release,
#: control, type_control), read from the class so the list cannot drift from it.
ENTRY_POINTS: Final[tuple[str, ...]] = tuple(
    name for name, value in vars(Resource).items() if _coroutine_function(value)
)


def check_entry_points(cls: type[Resource]) -> None:
    """Refuse a resource type whose entry point is a plain ``def``.

    The monitor awaits every entry point; a plain ``def online`` would fail only at the
    first Online, on whichever node ran it, as a ``TypeError`` in the monitor's log. Every
    door that registers a type calls this first, so the mistake is reported where it is made.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER, naming the class and the entry point.
    """
    for name in ENTRY_POINTS:
        attribute = inspect.getattr_static(cls, name)
        if not _coroutine_function(attribute):
            where = f"{cls.__module__}.{cls.__qualname__}.{name}"
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"entry point {where} of resource type {cls.type_name!r} is a plain `def`, "
                "not a coroutine function: the monitor awaits every entry point",
                fix=f"declare it `async def {name}(...)`",
            )


class ImportPathError(Exception):
    """``path`` (``"package.module:Class"``) does not name an object that can be imported.

    ``problem`` says which part failed: ``"form"`` (not ``module:qualname``), ``"module"``
    (importing ``module`` raised ``cause``) or ``"attribute"`` (``module`` has no
    ``qualname``). ``str()`` is a neutral phrase; each caller words its own message.
    """

    def __init__(
        self,
        path: str,
        problem: Literal["form", "module", "attribute"],
        *,
        module: str = "",
        qualname: str = "",
        cause: BaseException | None = None,
    ) -> None:
        self.path = path
        self.problem = problem
        self.module = module
        self.qualname = qualname
        self.cause = cause
        if problem == "form":
            reason = f"{path!r} is not an import path: expected 'package.module:Class'"
        elif problem == "module":
            reason = f"cannot import module {module!r} of {path!r}: {cause!r}"
        else:
            reason = f"module {module!r} has no attribute {qualname!r}"
        super().__init__(reason)


def resolve_import_path(path: str) -> object:
    """The object ``"package.module:Class"`` names (the class may be dotted: ``"mod:A.B"``).

    Raises:
        ImportPathError: a malformed path, a module whose import raises (whatever it
            raises: a user's module may fail any way), or a missing attribute.
    """
    module_name, colon, qualname = path.partition(":")
    if not colon or not module_name or not qualname:
        raise ImportPathError(path, "form")
    try:
        target: object = importlib.import_module(module_name)
    except Exception as exc:
        raise ImportPathError(path, "module", module=module_name, cause=exc) from None
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ImportPathError(
                path, "attribute", module=module_name, qualname=qualname
            ) from None
    return target
