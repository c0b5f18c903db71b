"""Errors and findings shared by every layer.

Bad input never reaches a user as a traceback: engines raise :class:`RecordError` (one record at
fault) or :class:`InputError` (input that is wrong as a whole); validation collects
:class:`Finding` rows instead of stopping at the first. The CLI turns both into exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem in one record: where it is, what was found and which rule it breaks."""

    domain: str
    usubjid: str | None
    seq: int | float | str | None
    variable: str | None
    value: Any
    rule: str
    severity: Severity = "error"
    hint: str | None = None
    rule_id: str | None = None  # the rule's identifier as data (e.g. "FILE_EMPTY")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = _plain(self.value)
        d["seq"] = _plain(self.seq)
        return d

    def __str__(self) -> str:
        parts = [self.severity.upper(), self.domain]
        if self.usubjid is not None:
            parts.append(f"USUBJID={self.usubjid}")
        if self.seq is not None and self.seq == self.seq:  # NaN-safe
            parts.append(f"{self.domain}SEQ={_plain(self.seq)}")
        if self.variable is not None:
            parts.append(f"{self.variable}={_plain(self.value)!r}")
        text = " ".join(parts) + f": {self.rule}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def _plain(v: Any) -> Any:
    """Numpy/pandas scalars to plain Python so findings serialise to JSON."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, int | float | str | bool):
        return v
    return str(v)


class InputError(ValueError):
    """Input that cannot be used, with a message meant for the user (CLI exit code 2)."""


class RecordError(InputError):
    """One record at fault: names domain, subject, record, variable, value and rule."""

    def __init__(
        self,
        *,
        domain: str,
        usubjid: str | None = None,
        seq: Any = None,
        variable: str | None = None,
        value: Any = None,
        rule: str,
        hint: str | None = None,
    ) -> None:
        self.finding = Finding(domain, usubjid, seq, variable, value, rule, "error", hint)
        super().__init__(str(self.finding))

    def __reduce__(self):
        """Pickled as its finding (``__init__`` takes keywords only): the error crosses from a
        forked writer to the main process as itself, so the CLI still exits 2 with its text."""
        return _record_error, (self.finding,)


def _record_error(f: Finding) -> RecordError:
    return RecordError(domain=f.domain, usubjid=f.usubjid, seq=f.seq, variable=f.variable,
                       value=f.value, rule=f.rule, hint=f.hint)


def require_columns(df: Any, columns: Iterable[str], *, where: str,
                    noun: str = "column") -> None:
    """Raise :class:`InputError` naming every required column the frame lacks.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame to check (anything else is an error too).
    columns : iterable of str
        The columns the caller needs.
    where : str
        What the frame is, as the user knows it (``"ADSL"``, ``"IMWG input"``).
    noun : str, default "column"
        ``"variable"`` for CDISC datasets.

    Raises
    ------
    InputError
        ``"<where>: missing column(s) [...]; present: [...]"``, every missing name at once.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"USUBJID": []}), ["USUBJID", "ADT"], where="ADRS",
    ...                 noun="variable")
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: ADRS: missing variable(s) ['ADT']; present: ['USUBJID']
    """
    if not hasattr(df, "columns"):
        raise InputError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{where}: missing {noun}(s) {missing}; present: {sorted(map(str, df.columns))}"
        )


@dataclass
class FindingsError(InputError):
    """Several findings at once (raised after a lazy, collect-everything pass)."""

    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{len(self.findings)} problem(s):\n" + "\n".join(map(str, self.findings)))

    def __reduce__(self):
        """Pickled as its findings (see :meth:`RecordError.__reduce__`)."""
        return FindingsError, (self.findings,)
