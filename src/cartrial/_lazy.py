"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists its public names once, as ordinary ``from cartrial.x.y import Name`` lines inside
an ``if TYPE_CHECKING:`` block (what type checkers and readers see); :func:`attach` reads that block
and returns the module-level ``__getattr__`` and ``__dir__`` that import a submodule the first time
one of its names is used. ``import cartrial.design`` then costs nothing, and a command that needs
only BOIN boundaries never imports scipy.stats, pandas or matplotlib.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType
from typing import Any


class _Package(ModuleType):
    """A package whose function may share its submodule's name (``design.exact_oc``).

    Importing a submodule binds it on its package; where the package exports a function of the
    same name, the function is bound instead, as the eager ``from .exact_oc import exact_oc``
    in ``__init__`` did.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        table = self.__dict__.get("_lazy_exports", {})
        if isinstance(value, ModuleType) and table.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


def _exports(init_file: str) -> dict[str, str]:
    """Map each name imported under ``if TYPE_CHECKING:`` in ``init_file`` to its module."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"), filename=init_file)
    found: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for alias in stmt.names:
                    found[alias.asname or alias.name] = stmt.module
    return found


def attach(
    package: str, init_file: str, public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's lazy ``__getattr__`` and ``__dir__``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    init_file : str
        The package's ``__file__``; its ``if TYPE_CHECKING:`` imports are the export table.
    public : list of str
        The package's ``__all__``; every name in it must be in the export table.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)`` to assign at module level.

    Raises
    ------
    ImportError
        If a name of ``public`` is missing from the export table (caught when the package is
        first imported, not when the name is first used).

    References
    ----------
    PEP 562, "Module __getattr__ and __dir__" (Levkivskyi, 2017).

    Examples
    --------
    >>> from cartrial._lazy import attach
    >>> import cartrial.design as d
    >>> getattr_, dir_ = attach(d.__name__, d.__file__, d.__all__)
    >>> getattr_("boin_boundaries").__module__
    'cartrial.design.boundaries'
    """
    table = _exports(init_file)
    module = sys.modules[package]
    module._lazy_exports = table  # type: ignore[attr-defined]
    module.__class__ = _Package
    missing = sorted(set(public) - set(table))
    if missing:
        raise ImportError(f"{package}: __all__ names without an import under TYPE_CHECKING: "
                          f"{', '.join(missing)}")

    def __getattr__(name: str) -> Any:
        if name in table:
            value = getattr(import_module(table[name]), name)
        elif not name.startswith("__") and find_spec(f"{package}.{name}") is not None:
            # a submodule by attribute, as `cartrial.design.boin` worked with eager imports
            value = import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import_module(package).__dict__[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(import_module(package).__dict__) | set(table))

    return __getattr__, __dir__
