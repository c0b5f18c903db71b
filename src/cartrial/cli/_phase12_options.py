"""Options shared by the phase I/II `simulate` verbs (BOIN12, TITE-BOIN12, U-BOIN, BOIN-ET).

One name per setting across the four designs: ``--target`` (phi_T), ``--phi-e``, ``--u11`` /
``--u00`` (utilities), ``--c-t`` / ``--c-e`` (elimination cut-offs), ``--cohort-size``,
``--max-n``, ``--cap-per-dose``, ``--start-dose``, ``--gumbel-psi``, ``--trials``, ``--seed``.
Every option defaults to "not given" (None): the design's value then comes from ``--protocol``
when one is given, else from the design's default (shown in the help). An option given with a
protocol overrides it, and the override is reported as a note in the output.

Each value is checked here against its rule, so a bad one exits 2 with a message naming the
option, the value and the rule, before any design is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import typer

from cartrial.errors import InputError

Rule = tuple[Callable[[Any], bool], str]

PROBABILITY: Rule = (lambda v: 0 < v < 1, "a probability in (0, 1)")
UTILITY: Rule = (lambda v: 0 <= v <= 100, "a utility in [0, 100]")
CUTOFF: Rule = (lambda v: 0.5 < v < 1, "a posterior cut-off in (0.5, 1)")
COUNT: Rule = (lambda v: v >= 1, "a whole number >= 1")
POSITIVE: Rule = (lambda v: v > 0, "a number > 0")
NONNEG: Rule = (lambda v: v >= 0, "a number >= 0")
FINITE: Rule = (lambda v: math.isfinite(v), "a finite number")
FRACTION: Rule = (lambda v: 0 < v <= 1, "a fraction in (0, 1]")

RULES: dict[str, Rule] = {
    "--target": PROBABILITY,
    "--phi-e": PROBABILITY,
    "--delta": PROBABILITY,
    "--delta1": PROBABILITY,
    "--phi1": PROBABILITY,
    "--phi2": PROBABILITY,
    "--stage1-target": (lambda v: 0.05 <= v <= 0.6, "a DLT probability in [0.05, 0.6]"),
    "--u11": UTILITY,
    "--u00": UTILITY,
    "--c-t": CUTOFF,
    "--c-e": CUTOFF,
    "--cohort-size": COUNT,
    "--max-n": COUNT,
    "--n-star": COUNT,
    "--n-explore": COUNT,
    "--cap-per-dose": COUNT,
    "--stage1-per-dose": COUNT,
    "--trials": COUNT,
    "--seed": NONNEG,
    "--prior": POSITIVE,
    "--w1": NONNEG,
    "--w2": NONNEG,
    "--gumbel-psi": FINITE,
    "--patients-per-month": POSITIVE,
    "--assessment-days": NONNEG,
    "--tox-window": POSITIVE,
    "--eff-window": POSITIVE,
    "--max-pending": FRACTION,
}


def check(flag: str, value: Any) -> None:
    """Raise InputError naming ``flag``, ``value`` and its rule when ``value`` breaks the rule.

    Parameters
    ----------
    flag : str
        The option, e.g. ``"--c-t"`` (a key of :data:`RULES`).
    value : object
        Its value; None (not given) passes.

    Raises
    ------
    InputError
        The value breaks the option's rule.

    Examples
    --------
    >>> check("--c-t", 0.95)
    >>> check("--c-t", 1.2)
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: --c-t 1.2: must be a posterior cut-off in (0.5, 1)
    """
    if value is None or flag not in RULES:
        return
    ok, rule = RULES[flag]
    if not ok(value):
        raise InputError(f"{flag} {fmt(value)}: must be {rule}")


def fmt(value: object) -> str:
    """A value as the user would type it (``none`` for None, ``%g`` for numbers)."""
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else str(
        value)


def _help(text: str, default: object, protocol: bool) -> str:
    shown = "off" if default is None else f"{default:g}" if isinstance(default, float) else default
    return f"{text} (default {shown}" + ("; with --protocol: the protocol's)" if protocol else ")")


def opt(flag: str, text: str, default: object, *aliases: str, protocol: bool = True) -> Any:
    """A typer option that defaults to None ("not given"); its help shows the design default.

    Parameters
    ----------
    flag : str
        Option name, e.g. ``"--c-t"``.
    text : str
        What it sets.
    default : object
        The design's value when neither the option nor a protocol gives one.
    *aliases : str
        Older names still accepted (e.g. ``--cap`` for ``--cap-per-dose``).
    protocol : bool
        Whether the verb takes the value from ``--protocol`` (said in the help).

    Returns
    -------
    typer.models.OptionInfo
    """
    return typer.Option(None, flag, *aliases, help=_help(text, default, protocol),
                        show_default=False)


TEXT = {
    "--target": "phi_T: highest acceptable DLT probability.",
    "--cohort-size": "Patients per cohort.",
    "--max-n": "Maximum sample size.",
    "--cap-per-dose": "Stop once this many patients are at the dose to be given.",
}


def shared(flag: str, default: object, protocol: bool = True) -> Any:
    """The option ``flag`` (a key of :data:`TEXT`) with a design's own default.

    Parameters
    ----------
    flag : str
        ``--target``, ``--cohort-size``, ``--max-n`` or ``--cap-per-dose``.
    default : object
        The design's default.
    protocol : bool
        Whether the verb has ``--protocol``.

    Returns
    -------
    typer.models.OptionInfo
    """
    return opt(flag, TEXT[flag], default, protocol=protocol)


def target_opt(default: float) -> Any:
    return shared("--target", default)


def phi_e_opt(default: float) -> Any:
    return opt("--phi-e", "phi_E: lowest acceptable response probability.", default)


N_STAR = opt("--n-star", "N*: no escalation from a dose with n >= N* (and DLT rate above "
             "lambda_e).", 6)
U11 = opt("--u11", "Utility (0-100) of a response with DLT.", 60.0)
U00 = opt("--u00", "Utility (0-100) of neither response nor DLT.", 40.0)
C_T = opt("--c-t", "c_T: eliminate a dose when P(p_T > phi_T | data) > c_T.", 0.95)
C_E = opt("--c-e", "c_E: eliminate a dose when P(p_E < phi_E | data) > c_E.", 0.9)
COHORT = shared("--cohort-size", 3)
MAX_N = shared("--max-n", 30)
CAP = shared("--cap-per-dose", None)
START = opt("--start-dose", "Starting dose level, 1-based.", 1)
PSI = typer.Option(0.0, "--gumbel-psi", help="DLT-response association (Gumbel psi; 0 = none).")
TRIALS = typer.Option(10_000, "--trials", help="Number of simulated trials.")
SEED = typer.Option(0, "--seed", help="numpy SeedSequence seed (the same for every scenario).")


def apply(design: Any, given: dict[str, Any], fields: dict[str, str], protocol: str | None
          ) -> tuple[Any, list[str]]:
    """``design`` with the options given (not None) set, and a note per protocol override.

    Parameters
    ----------
    design : dataclass
        The design from the protocol or from the defaults.
    given : dict of str to object
        Option -> value (None: not given).
    fields : dict of str to str
        Option -> the design's field it sets.
    protocol : str or None
        The protocol the design came from (notes are written only then).

    Returns
    -------
    design, list of str
        The design with the options applied; one note per option that overrides the protocol.

    Raises
    ------
    InputError
        A value breaks its option's rule or the design's (the message names the options).

    Examples
    --------
    >>> from cartrial.design.boinet import BoinEt
    >>> d, notes = apply(BoinEt(3, 0.3, 0.6, max_sample_size=18), {"--c-t": 0.9},
    ...                  {"--c-t": "stop_t"}, "p.yaml")
    >>> d.stop_t, notes
    (0.9, ['--c-t 0.9 overrides the protocol p.yaml (stop_t 0.95)'])
    """
    changes: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    notes = []
    for flag, value in given.items():
        check(flag, value)
        if value is None or flag not in fields:
            continue
        head, _, sub = fields[flag].partition(".")
        old = getattr(getattr(design, head), sub) if sub else getattr(design, head)
        if sub:
            nested.setdefault(head, {})[sub] = value
        else:
            changes[head] = value
        if protocol is not None and old != value:
            notes.append(f"{flag} {fmt(value)} overrides the protocol {protocol} "
                         f"({fields[flag]} {fmt(old)})")
    try:
        for head, sub_changes in nested.items():
            changes[head] = replace(getattr(design, head), **sub_changes)
        return replace(design, **changes), notes
    except InputError as exc:
        named = ", ".join(f"{f} {fmt(v)}" for f, v in given.items() if v is not None)
        raise InputError(f"{named}: {exc}") from None


EXPLORE = typer.Option(
    None, "--explore/--no-explore",
    help="BOIN12 dose exploration: from a dose with >= --n-explore patients, try the untried next "
    "dose unless de-escalating (Lin et al. 2020). --no-explore switches it off (the MD Anderson "
    "web app's 'extra dose exploration' unticked). (default on; with --protocol: the protocol's)",
    show_default=False,
)
N_EXPLORE = opt("--n-explore", "Patients at a dose from which the exploration rule applies.", 9)


def apply_exploration(design: Any, explore: bool | None, n_explore: int | None,
                      protocol: str | None) -> tuple[Any, list[str]]:
    """``design`` with its dose-exploration count (``n_explore``) set from the options.

    Parameters
    ----------
    design : Boin12
        The design from the protocol or the defaults.
    explore : bool or None
        ``--explore`` (True), ``--no-explore`` (False) or neither (None).
    n_explore : int or None
        ``--n-explore``: the count (9 in Lin et al. 2020).
    protocol : str or None
        The protocol the design came from (a note when the options override it).

    Returns
    -------
    design, list of str
        The design (``n_explore`` None: rule off) and the override note, if any.

    Raises
    ------
    InputError
        ``--no-explore`` together with ``--n-explore``, or a count < 1.

    Examples
    --------
    >>> from cartrial.design.boin12 import Boin12
    >>> d = Boin12(n_doses=3, target=0.35, phi_e=0.25)
    >>> apply_exploration(d, False, None, None)[0].n_explore is None
    True
    >>> apply_exploration(d, None, 12, "p.yaml")[1]
    ['--n-explore 12 overrides the protocol p.yaml (n_explore 9)']
    """
    check("--n-explore", n_explore)
    if explore is False and n_explore is not None:
        raise InputError(f"--no-explore with --n-explore {n_explore}: the exploration rule is "
                         "either off or has a count; give one of them")
    old = design.n_explore
    if explore is False:
        new, flag = None, "--no-explore"
    elif n_explore is not None:
        new, flag = n_explore, f"--n-explore {n_explore}"
    elif explore and old is None:
        new, flag = 9, "--explore"
    else:
        return design, []
    note = [f"{flag} overrides the protocol {protocol} (n_explore {fmt(old)})"]
    return replace(design, n_explore=new), note if protocol is not None and new != old else []


def start_of(start_dose: int | None, n_doses: int, protocol: str | None,
             protocol_start: int | None) -> tuple[int, list[str]]:
    """0-based starting dose: ``--start-dose`` (1-based), else the protocol's, else dose 1.

    Parameters
    ----------
    start_dose : int or None
        ``--start-dose``.
    n_doses : int
        Dose levels.
    protocol : str or None
        The protocol (for the note).
    protocol_start : int or None
        The protocol's 0-based starting dose.

    Returns
    -------
    int, list of str
        The dose and the override note, if any.

    Raises
    ------
    InputError
        ``--start-dose`` outside 1..n_doses.

    Examples
    --------
    >>> start_of(2, 3, "p.yaml", 0)
    (1, ['--start-dose 2 overrides the protocol p.yaml (start dose 1)'])
    """
    if start_dose is None:
        return (protocol_start or 0), []
    if not 1 <= start_dose <= n_doses:
        raise InputError(f"--start-dose {start_dose}: outside 1..{n_doses}, must be one of the "
                         "dose levels")
    if protocol is None or protocol_start is None or protocol_start == start_dose - 1:
        return start_dose - 1, []
    return start_dose - 1, [f"--start-dose {start_dose} overrides the protocol {protocol} "
                            f"(start dose {protocol_start + 1})"]
