"""Small helpers shared by the packages' ``__init__`` modules."""

from __future__ import annotations

import abc
import types
from typing import TYPE_CHECKING, NoReturn, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ("NoPublicConstructor", "fixup_module_metadata")

_T = TypeVar("_T")


def fixup_module_metadata(
    module_name: str, namespace: Mapping[str, object], names: Iterable[str]
) -> None:
    """Make public objects report their public module (``clusapi.Group``, not
    ``clusapi._group.Group``), as trio does, so reprs, docs and pickles use the public path.

    Only objects defined inside ``module_name``'s own private modules are touched; anything
    re-exported from elsewhere keeps its origin.
    """
    seen: set[int] = set()
    root = module_name.split(".", 1)[0]
    private_prefixes = (f"{module_name}._", f"{root}._")

    def fix(obj: object, qualname: str) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        mod = getattr(obj, "__module__", None)
        if not isinstance(mod, str) or not mod.startswith(private_prefixes):
            return
        # Pickle looks classes up by __module__ + __qualname__; a name re-exported under a
        # different public name must keep its private path to stay picklable.
        if getattr(obj, "__name__", None) != qualname.rsplit(".", 1)[-1]:
            return
        try:
            obj.__module__ = module_name
        except (AttributeError, TypeError):  # builtins and some C types refuse
            return
        if isinstance(obj, type):
            for attr_name, attr_value in vars(obj).items():
                if isinstance(attr_value, (types.FunctionType, type)):
                    fix(attr_value, f"{qualname}.{attr_name}")

    for name in names:
        fix(namespace[name], name)


class NoPublicConstructor(abc.ABCMeta):
    """Metaclass for handles that only the library creates (trio's ``NoPublicConstructor``).

    ``Group(...)`` raises ``TypeError`` naming the way to get one; the library calls
    ``Group._create(...)``.
    """

    _how_to_get: str = "it is created by the library"

    def __call__(cls, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            f"{cls.__module__}.{cls.__qualname__} has no public constructor; {cls._how_to_get}"
        )

    def _create(cls: type[_T], *args: object, **kwargs: object) -> _T:
        return super().__call__(*args, **kwargs)  # type: ignore[misc, no-any-return]
