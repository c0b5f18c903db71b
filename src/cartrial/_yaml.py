"""YAML read with libyaml's C parser when PyYAML has it (``yaml.CSafeLoader``), else the pure
Python ``yaml.SafeLoader``.

Both build the same Python objects through the same safe constructor; only scanning and parsing
differ, and PyYAML's pure-Python scanner takes about a second for the bundled data model on this
machine, the C one a tenth of that. Used where a bundled YAML file is read on a verb's path.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)`` through libyaml when available.

    Parameters
    ----------
    text : str
        A YAML document.

    Returns
    -------
    Any
        The document as plain Python objects (dict, list, str, int, float, bool, None, date).

    Raises
    ------
    yaml.YAMLError
        The text is not valid YAML: the error of the pure-Python parser, which quotes the line
        with a caret under the fault (libyaml's message does not), so a user's file is read
        again by it only when it is wrong.

    Examples
    --------
    >>> safe_load("a: [1, 2]")
    {'a': [1, 2]}
    """
    try:
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises with the quoted line
