"""Load a protocol from a bundled name or a YAML path; errors name the key path."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cartrial._yaml import safe_load
from cartrial.errors import InputError
from cartrial.protocol.model import Protocol

BUNDLED_PACKAGE = "cartrial.protocol.bundled"


class ProtocolError(InputError):
    """The protocol file is not valid; one line per problem, each with its key path.

    Parameters
    ----------
    source : str
        Where the text came from (a path, ``bundled:NAME`` or ``<string>``).
    problems : list of str
        One line per problem: key path, the value found and what was expected.

    Examples
    --------
    >>> ProtocolError("p.yaml", ["design.target: found 1.5; expected <= 0.5"]).problems
    ['design.target: found 1.5; expected <= 0.5']
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            f"protocol {source}: {len(problems)} problem(s)\n  " + "\n  ".join(problems)
        )


def bundled_names() -> list[str]:
    """Names of the protocols shipped with cartrial (e.g. ``ct071``).

    Returns
    -------
    list of str
        Sorted names, each loadable by :func:`load_protocol`.

    Examples
    --------
    >>> "ct071" in bundled_names()
    True
    """
    files = resources.files(BUNDLED_PACKAGE).iterdir()
    return sorted(p.name[:-5] for p in files if p.name.endswith(".yaml"))


def protocol_text(name_or_path: str | Path) -> tuple[str, str]:
    """(source label, YAML text) of a bundled name or a path.

    Parameters
    ----------
    name_or_path : str or Path
        A bundled protocol's name (``ct071``) or a YAML file's path.

    Returns
    -------
    tuple of str
        ``("bundled:NAME" or the path, the file's text)``.

    Raises
    ------
    InputError
        Neither a readable file nor a bundled name (the bundled names are listed).

    Examples
    --------
    >>> protocol_text("ct071")[0]
    'bundled:ct071'
    """
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise InputError(f"protocol file not found: {p}")
        return str(p), p.read_text(encoding="utf-8")
    name = str(name_or_path)
    if name in bundled_names():
        res = resources.files(BUNDLED_PACKAGE).joinpath(f"{name}.yaml")
        return f"bundled:{name}", res.read_text(encoding="utf-8")
    raise InputError(
        f"protocol {name!r} is neither a file nor a bundled protocol ({', '.join(bundled_names())})"
    )


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _lookup(data: Any, loc: tuple[Any, ...]) -> tuple[bool, Any]:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, cur


def parse_protocol(text: str, source: str = "<string>") -> Protocol:
    """Validate YAML text into a :class:`Protocol`; errors name key path, value, expectation.

    Parameters
    ----------
    text : str
        The protocol's YAML.
    source : str
        Named in error messages.

    Returns
    -------
    Protocol
        The validated protocol (unknown keys are refused).

    Raises
    ------
    ProtocolError
        Every problem at once, one line each: key path, the value found, what was expected.

    Examples
    --------
    >>> try:
    ...     parse_protocol("study_id: X", "p.yaml")
    ... except ProtocolError as exc:
    ...     print(exc.problems[0].split(":")[0])
    title
    """
    try:
        data = safe_load(text)  # libyaml when present (cartrial._yaml)
    except yaml.YAMLError as exc:
        raise ProtocolError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ProtocolError(
            source, [f"(top level): expected a mapping, found {type(data).__name__}"]
        )
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))
            )
            found, value = _lookup(data, loc)
            shown = repr(value) if found else "(missing)"
            if err["type"] == "extra_forbidden":
                expected = "no such key (unknown keys are refused)"
            elif err["type"] == "missing":
                expected = "a value (required)"
            else:
                expected = err["msg"].removeprefix("Value error, ")
            problems.append(f"{_key_path(loc)}: found {shown}; expected {expected}")
        raise ProtocolError(source, problems) from None


def load_protocol(name_or_path: str | Path) -> Protocol:
    """Load a bundled protocol by name (``ct071``) or a YAML file by path.

    Parameters
    ----------
    name_or_path : str or Path
        A bundled name or a YAML path (see :func:`protocol_text`).

    Returns
    -------
    Protocol
        The validated protocol.

    Raises
    ------
    InputError
        The file cannot be found; :class:`ProtocolError` when it is not valid.

    Examples
    --------
    >>> load_protocol("ct071").study_id
    'CT071'
    """
    source, text = protocol_text(name_or_path)
    return parse_protocol(text, source)


def protocol_hash(name_or_path: str | Path) -> str:
    """SHA-256 of the protocol file's bytes (provenance for outputs and committee records).

    Parameters
    ----------
    name_or_path : str or Path
        A bundled name or a YAML path.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> len(protocol_hash("ct071"))
    64
    """
    _, text = protocol_text(name_or_path)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
