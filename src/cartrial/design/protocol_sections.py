"""The statistical section of a protocol: its escalation design, then its randomised stage.

``cartrial design protocol-text --protocol P`` writes, from the protocol alone plus the
scenarios given, the escalation's section -- BOIN12 (:mod:`cartrial.design.boin12_text`),
TITE-BOIN12 (BOIN12's section with :mod:`cartrial.design.tite_boin12_text`), U-BOIN
(:mod:`cartrial.design.uboin_text`), BOIN-ET (:mod:`cartrial.design.boinet_text`), the phase I
designs (:mod:`cartrial.design.phase1_text`)
-- and, when the protocol has
``design.randomised_stage``, one document: the escalation's design sections, the ROSE stage
(:mod:`cartrial.design.rose_text`), the operating characteristics of escalation and stage
simulated together (:func:`cartrial.design.simulate_rose.simulate_rose`), the total sample
size and one reference list. The escalation writers are used unchanged; their own
operating-characteristics, sample-size and reference sections are replaced by the joint ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from cartrial.errors import InputError
from cartrial.protocol import Protocol

Scenario = tuple[list[float], list[float]]
JOINT = ("Operating characteristics", "Sample size", "References")


def _escalation(p: Protocol, pairs: Sequence[Scenario], trials: int, seed: int) -> str:
    """The escalation design's section, with its own OC for the scenarios given."""
    k, start = len(p.dose_levels), p.start_index
    name = p.design.name
    if name == "u-boin":
        from cartrial.design.simulate_uboin import simulate_uboin
        from cartrial.design.uboin import uboin_from_spec
        from cartrial.design.uboin_text import uboin_protocol_text

        d = uboin_from_spec(p.design, k)
        ocs = [simulate_uboin(d, t, e, n_trials=trials, seed=seed + i, start_dose=start)
               for i, (t, e) in enumerate(pairs)]
        return uboin_protocol_text(d, ocs, start_dose=start)
    if name in ("boin12", "tite-boin12"):
        return _boin12(p, pairs, trials, seed)
    if name == "boin-et":
        from cartrial.design.boinet_text import protocol_section

        return protocol_section(p, pairs, trials, seed)
    from cartrial.design.phase1_text import phase1_protocol_text  # BOIN, 3+3, CRM, TITE ...

    doses = [f"{d.id} ({d.label})" for d in p.dose_levels]
    return phase1_protocol_text(p.design, [], start, doses=doses)


def _boin12(p: Protocol, pairs: Sequence[Scenario], trials: int, seed: int) -> str:
    """BOIN12's section; for TITE-BOIN12 with its late-onset section and calendar-time OC."""
    from cartrial.design.boin12 import boin12_from_spec
    from cartrial.design.boin12_text import protocol_text

    k, start = len(p.dose_levels), p.start_index
    if p.design.name == "boin12":
        from cartrial.design.simulate_boin12 import simulate_boin12

        d = boin12_from_spec(p.design, k)
        ocs = [simulate_boin12(d, t, e, n_trials=trials, seed=seed + i, start_dose=start)
               for i, (t, e) in enumerate(pairs)]
        return protocol_text(d, ocs, start_dose=start)
    from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
    from cartrial.design.tite_boin12 import tite_boin12_from_spec
    from cartrial.design.tite_boin12_text import REFERENCES, tite_lines

    g = tite_boin12_from_spec(p.design, k)
    rate = p.design.accrual.patients_per_month
    ocs = [simulate_tite_boin12(g, t, e, rate, n_trials=trials, seed=seed + i, start_dose=start)
           for i, (t, e) in enumerate(pairs)]
    head, secs = split_sections(protocol_text(g.boin12, ocs, start_dose=start))
    at = next((i for i, (t, _) in enumerate(secs) if t.startswith("Stopping")), len(secs))
    secs.insert(at, ("Late-onset", tite_lines(g, rate)))
    for title, body in secs:
        if title == "References":
            body[-1:-1] = [f"- {r}" for r in REFERENCES]
    return join_sections(head, secs)


def split_sections(md: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(lines before the first ``## `` heading, [(heading text, its lines incl. heading)]).

    Examples
    --------
    >>> head, secs = split_sections("# T\\n\\n## A\\ntext\\n## B\\n")
    >>> head, [t for t, _ in secs]
    (['# T', ''], ['A', 'B'])
    """
    head: list[str] = []
    secs: list[tuple[str, list[str]]] = []
    for line in md.splitlines():
        if line.startswith("## "):
            secs.append((line[3:].strip(), [line]))
        elif secs:
            secs[-1][1].append(line)
        else:
            head.append(line)
    return head, secs


def join_sections(head: list[str], secs: Sequence[tuple[str, list[str]]]) -> str:
    """The Markdown of :func:`split_sections`' parts (a final newline)."""
    return "\n".join([*head, *[x for _, body in secs for x in body]]).rstrip("\n") + "\n"


def protocol_sections(p: Protocol, pairs: Sequence[Scenario], trials: int, seed: int) -> str:
    """Markdown statistical section: the escalation design, then the randomised stage.

    Parameters
    ----------
    p : Protocol
        The protocol (``design.name`` boin, boin12, tite-boin12, u-boin or boin-et, or any
        design with ``randomised_stage``).
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
    if p.design.randomised_stage is None:
        return _escalation(p, pairs, trials, seed)
    from cartrial.design.protocol_stage import with_stage

    return with_stage(p, split_sections(_escalation(p, (), trials, seed)), pairs, trials, seed)
