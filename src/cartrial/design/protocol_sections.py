"""The statistical section of a protocol whose design is U-BOIN or that has a randomised stage.

``cartrial design protocol-text --protocol P`` writes, from the protocol alone plus the
scenarios given: the U-BOIN section (:mod:`cartrial.design.uboin_text`) when the design is
``u-boin``, the BOIN12 section (:mod:`cartrial.design.boin12_text`) when it is ``boin12``, a
one-paragraph pointer for the other escalation designs; then, when the protocol has
``design.randomised_stage``, the ROSE section (:mod:`cartrial.design.rose_text`: design, rule,
sample-size justification with the exact PCS, operating characteristics of escalation + stage
where the escalation has a simulator, references).
"""

from __future__ import annotations

from collections.abc import Sequence

from cartrial.errors import InputError
from cartrial.protocol import Protocol

Scenario = tuple[list[float], list[float]]


def _escalation(p: Protocol, pairs: Sequence[Scenario], trials: int, seed: int) -> str:
    """The escalation design's section (U-BOIN, BOIN12, or a pointer for the others)."""
    k = len(p.dose_levels)
    if p.design.name == "u-boin":
        from cartrial.design.simulate_uboin import simulate_uboin
        from cartrial.design.uboin import uboin_from_spec
        from cartrial.design.uboin_text import uboin_protocol_text

        d = uboin_from_spec(p.design, k)
        ocs = [simulate_uboin(d, t, e, n_trials=trials, seed=seed + i, start_dose=p.start_index)
               for i, (t, e) in enumerate(pairs)]
        return uboin_protocol_text(d, ocs, start_dose=p.start_index)
    if p.design.name == "boin12":
        from cartrial.design.boin12 import boin12_from_spec
        from cartrial.design.boin12_text import protocol_text
        from cartrial.design.simulate_boin12 import simulate_boin12

        d = boin12_from_spec(p.design, k)
        ocs = [simulate_boin12(d, t, e, n_trials=trials, seed=seed + i,
                               start_dose=p.start_index) for i, (t, e) in enumerate(pairs)]
        return protocol_text(d, ocs, start_dose=p.start_index)
    return (f"# Statistical design\n\nDose escalation follows the protocol's "
            f"{p.design.name.upper()} design (target DLT probability {p.design.target:g}, "
            f"cohorts of {p.design.cohort_size}, at most {p.design.max_sample_size} patients); "
            "its decision table and operating characteristics are written by `cartrial design "
            "table` and `cartrial design simulate`. This section covers the randomised stage "
            "that follows.\n")


def protocol_sections(p: Protocol, pairs: Sequence[Scenario], trials: int, seed: int) -> str:
    """Markdown statistical section: the escalation design, then the randomised stage.

    Parameters
    ----------
    p : Protocol
        The protocol (``design.name`` u-boin, or any design with ``randomised_stage``).
    pairs : sequence of (list of float, list of float)
        Scenarios: true DLT and response probability per dose.
    trials, seed : int
        Simulated trials per scenario; scenario i uses ``seed + i``.

    Returns
    -------
    str

    Raises
    ------
    InputError
        A scenario of the wrong length, or a design the section cannot be written for.

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316. Wang S, Yuan Y, Liu S. Biometrics
    2025;81(4):ujaf124.

    Examples
    --------
    >>> from cartrial.example.trial import conducted_protocol
    >>> from cartrial.protocol import load_protocol
    >>> text = protocol_sections(conducted_protocol(load_protocol("ct071"), "rose"), [], 100, 0)
    >>> "## Randomised dose-optimisation stage (ROSE)" in text
    True
    """
    k = len(p.dose_levels)
    for t, e in pairs:
        if len(t) != k or len(e) != k:
            raise InputError(f"each --true-tox / --true-eff needs {k} values (one per dose level "
                             f"of protocol {p.study_id}), got {len(t)} and {len(e)}")
    text = _escalation(p, pairs, trials, seed)
    st = p.design.randomised_stage
    if st is None:
        return text
    from cartrial.design.rose_spec import stage_design
    from cartrial.design.rose_text import rose_protocol_text
    from cartrial.design.simulate_rose import ESCALATIONS, simulate_rose

    sims = []
    if p.design.name in ESCALATIONS:
        sims = [simulate_rose(p.design, t, e, p.dose_ids, trials, seed + i,
                              start_dose=p.start_index) for i, (t, e) in enumerate(pairs)]
    note = "" if sims or not pairs else (
        f"\nOperating characteristics of escalation + stage are not simulated: the "
        f"{p.design.name.upper()} escalation has no simulator joined to the stage yet.\n")
    return text.rstrip("\n") + "\n\n" + rose_protocol_text(
        st, stage_design(st), p.design.name.upper(), p.dose_ids, sims) + note
