"""cartrial: a first-in-human CAR-T dose-finding trial from design to clinical study report."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cartrial")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
