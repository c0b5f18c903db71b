"""`cartrial design boin12 simulate --tite`: TITE-BOIN12 operating characteristics.

Thin layer over :func:`cartrial.design.simulate_tite_boin12.simulate_tite_boin12` (Zhou Y et al.,
Stat Med 2022;41:1918-31): the same BOIN12 settings, plus the DLT and response windows and the
accrual rate (patients arrive while outcomes are pending).
"""

from __future__ import annotations

from cartrial.design.boin12 import Boin12
from cartrial.design.simulate_boin12 import Boin12Oc
from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
from cartrial.design.tite_boin12 import TiteBoin12, tite_boin12_from_spec
from cartrial.errors import InputError
from cartrial.protocol import load_protocol


def run_tite(d: Boin12, scenarios: list, protocol: str | None, tox_window: float,
             eff_window: float, per_month: float | None, trials: int, seed: int, start: int,
             gumbel_psi: float) -> dict[str, Boin12Oc]:
    """TITE-BOIN12 OC per scenario: windows from a tite-boin12 protocol, else the options.

    Parameters
    ----------
    d : Boin12
        The BOIN12 settings.
    scenarios : list of (name, true_tox, true_eff)
        Scenarios.
    protocol : str or None
        A protocol (``design.name: tite-boin12`` gives the windows and the pending fraction;
        ``design.accrual.patients_per_month`` the accrual rate when not given).
    tox_window, eff_window : float
        DLT and response windows (days) without such a protocol.
    per_month : float or None
        Accrual rate (patients per month).
    trials, seed, start : int
        Simulated trials, SeedSequence seed, 0-based starting dose.
    gumbel_psi : float
        DLT-response association.

    Returns
    -------
    dict of str to Boin12Oc

    Raises
    ------
    InputError
        No accrual rate, bad windows or scenarios.

    Examples
    --------
    >>> run_tite(Boin12(3, 0.35, 0.25, max_sample_size=18), [("1", [.1, .2, .5], [.3, .5, .6])],
    ...          None, 28, 84, 2.0, 200, 0, 0, 0.0)["1"].settings["design"]
    'tite-boin12'
    """
    p = load_protocol(protocol) if protocol else None
    if p is not None and p.design.name == "tite-boin12":
        g = tite_boin12_from_spec(p.design, len(p.dose_levels))
    else:
        g = TiteBoin12(d, float(tox_window), float(eff_window))
    rate = per_month if per_month is not None else (
        p.design.accrual.patients_per_month if p is not None else None)
    if rate is None:
        raise InputError("--tite needs --patients-per-month (TITE designs run in calendar time)")
    return {name: simulate_tite_boin12(g, t, e, rate, n_trials=trials, seed=seed,
                                       start_dose=start, gumbel_psi=gumbel_psi)
            for name, t, e in scenarios}
