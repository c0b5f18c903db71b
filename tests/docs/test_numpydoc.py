"""House rule (CONTRIBUTING.md, issue #19 point 3): every public function and class of the API
(the names in each package's ``__all__``) has a numpydoc docstring with its sections:
Parameters (when it takes any), Returns (functions that return something), Examples.

``KNOWN`` lists the names still short of a section; it may only shrink (the test also fails when
a listed name has become complete, so the list is kept honest). A fact about the source text.
"""

from __future__ import annotations

import importlib
import inspect

PACKAGES = ("adam", "committee", "conduct", "data", "design", "efficacy", "example", "kinetics",
            "protocol", "report", "safety", "sweep")

KNOWN: set[str] = set(
    """

    """.split()
)


def _needs(obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    need = ["Examples"]
    if inspect.isclass(obj):
        if not any(s in doc for s in ("Parameters", "Attributes")):
            need.append("Parameters")
    else:
        sig = inspect.signature(obj)
        if sig.parameters:
            need.append("Parameters")
        if sig.return_annotation not in (None, "None", inspect.Signature.empty):
            need.append("Returns")
    return [s for s in need if s not in doc and not (s == "Parameters" and s in need[:0])]


def incomplete() -> dict[str, list[str]]:
    """Every public name of the API short of a numpydoc section, with the sections missing."""
    out: dict[str, list[str]] = {}
    for pkg in PACKAGES:
        mod = importlib.import_module(f"cartrial.{pkg}")
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            miss = _needs(obj)
            if miss:
                out[f"{pkg}.{name}"] = miss
    return out


def test_no_new_public_name_without_numpydoc_sections() -> None:
    new = {k: v for k, v in incomplete().items() if k not in KNOWN}
    assert not new, f"public names without numpydoc sections: {new}"


def test_known_list_only_shrinks() -> None:
    done = sorted(KNOWN - set(incomplete()))
    assert not done, f"now documented; remove from KNOWN: {done}"
