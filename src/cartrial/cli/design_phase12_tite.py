"""`cartrial design boin12 simulate --tite`: TITE-BOIN12 operating characteristics.

Thin layer over :func:`cartrial.design.simulate_tite_boin12.simulate_tite_boin12` (Zhou Y et al.,
Stat Med 2022;41:1918-31): the same BOIN12 settings, plus the DLT and response windows and the
accrual rate (patients arrive while outcomes are pending), each
overriding a tite-boin12 protocol's.
"""

from __future__ import annotations

from dataclasses import replace

from cartrial.cli._phase12_options import apply
from cartrial.design.boin12 import Boin12
from cartrial.design.simulate_boin12 import Boin12Oc
from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
from cartrial.design.tite_boin12 import TiteBoin12, tite_boin12_from_spec
from cartrial.errors import InputError
from cartrial.protocol import Protocol

TITE_FIELDS = {"--tox-window": "tox_window", "--eff-window": "eff_window",
               "--max-pending": "max_pending"}


def run_tite(d: Boin12, scenarios: list, p: Protocol | None, protocol: str | None,
             windows: dict[str, float | None], per_month: float | None,
             run: tuple[int, int, int], gumbel_psi: float
             ) -> tuple[dict[str, Boin12Oc], list[str]]:
    """TITE-BOIN12 OC per scenario: windows from a tite-boin12 protocol, else the defaults;
    the options given override either.

    Parameters
    ----------
    d : Boin12
        The BOIN12 settings (options already applied).
    scenarios : list of (name, true_tox, true_eff)
        Scenarios.
    p, protocol : Protocol or None, str or None
        The loaded protocol and its name (``design.name: tite-boin12`` gives the windows and the
        pending fraction; ``design.accrual.patients_per_month`` the accrual rate).
    windows : dict of str to float or None
        ``--tox-window``, ``--eff-window`` (days) and ``--max-pending`` (None: not given;
        defaults 28, 84 and 0.5 without such a protocol).
    per_month : float or None
        ``--patients-per-month``.
    run : (int, int, int)
        Simulated trials, SeedSequence seed, 0-based starting dose.
    gumbel_psi : float
        DLT-response association.

    Returns
    -------
    dict of str to Boin12Oc, list of str
        OC per scenario; notes on options overriding the protocol.

    Raises
    ------
    InputError
        No accrual rate, bad windows or scenarios.

    Examples
    --------
    >>> runs, notes = run_tite(Boin12(3, 0.35, 0.25, max_sample_size=18),
    ...                        [("1", [.1, .2, .5], [.3, .5, .6])], None, None, {}, 2.0,
    ...                        (200, 0, 0), 0.0)
    >>> runs["1"].settings["design"], runs["1"].settings["eff_window"], notes
    ('tite-boin12', 84.0, [])
    """
    tite_protocol = p is not None and p.design.name == "tite-boin12"
    if tite_protocol:
        base = replace(tite_boin12_from_spec(p.design, len(p.dose_levels)), boin12=d)
    else:
        base = TiteBoin12(d, 28.0, 84.0)
    g, notes = apply(base, {k: None if v is None else float(v) for k, v in windows.items()},
                     TITE_FIELDS, protocol if tite_protocol else None)
    rate = per_month if per_month is not None else (
        p.design.accrual.patients_per_month if p is not None else None)
    if rate is None:
        raise InputError("--tite needs --patients-per-month (TITE designs run in calendar time)")
    if p is not None and per_month is not None and per_month != p.design.accrual.patients_per_month:
        notes.append(f"--patients-per-month {per_month:g} overrides the protocol {protocol} "
                     f"(accrual {p.design.accrual.patients_per_month:g} a month)")
    trials, seed, start = run
    return {name: simulate_tite_boin12(g, t, e, rate, n_trials=trials, seed=seed,
                                       start_dose=start, gumbel_psi=gumbel_psi)
            for name, t, e in scenarios}, notes
