"""cartrial: a first-in-human CAR-T dose-finding trial from design to clinical study report."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``cartrial.__version__``, read from the installed package's metadata when first asked
    for (PEP 562): ``importlib.metadata`` costs about 45 ms of start-up, which a verb that never
    stamps its outputs (``--help``, ``design boundaries``) does not pay (issue #18)."""
    if name != "__version__":
        raise AttributeError(f"module 'cartrial' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("cartrial")
    except PackageNotFoundError:  # running from a source tree without installation
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
