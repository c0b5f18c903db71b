"""The randomised ROSE stage on the data: per arm randomised, responders, pending; the selection.

Patients randomised in the stage (protocol ``design.randomised_stage``) are recorded as study
part ``RANDOMISED`` (``SUPPDM`` ``QNAM = PART``) with the arm they were randomised to in
``DM.ARMCD`` (one of the stage's two dose levels; intention to treat). Their response is the
protocol's dose-decision efficacy outcome (``design.efficacy``; pending until assessable, see
``conduct.dose_efficacy``). Once every planned patient has been randomised and assessed, the ROSE
rule selects the higher dose when its observed response rate exceeds the lower dose's by more
than the boundary lambda, else the lower dose (Wang S, Yuan Y, Liu S, Biometrics
2025;81(4):ujaf124); a two-stage design first checks the interim rule (lambda_1) on the first
patients of each arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from cartrial.data import Study
from cartrial.errors import InputError
from cartrial.protocol import Protocol

PART = "RANDOMISED"
#: the part in words, wherever people read it (decide, the committee workspace, the report)
PART_LABEL = "Randomised dose-optimisation stage"
REF = "ROSE, Wang, Yuan & Liu, Biometrics 2025"


@dataclass(frozen=True)
class RoseStageState:
    """The randomised stage at a cut-off.

    ``arms`` has one row per arm (ARM low / high, DOSE_ID, PLANNED, RANDOMISED, COMPLETE,
    RESPONDERS, PENDING, RATE); ``status`` is ``not started``, ``open``, ``interim``
    (two-stage: the interim look is due or done without early selection) or ``complete``;
    ``selected`` the selected dose id (None until decided) and ``reason`` the rule in words;
    ``patients`` the randomised patients in randomisation order (USUBJID, ARMCD the arm,
    RESPONSE yes / no / pending).
    """

    doses: tuple[str | None, str | None]
    arms: pd.DataFrame
    status: str
    selected: str | None
    reason: str
    boundary: float
    patients: pd.DataFrame | None = None

    def summary(self) -> dict[str, object]:
        """The state as JSON-ready values (``cartrial decide --json``)."""
        return {"doses": list(self.doses), "status": self.status, "boundary": self.boundary,
                "arms": self.arms, "selected_dose": self.selected, "reason": self.reason,
                "patients": self.patients if self.patients is not None else []}


def stage_doses(protocol: Protocol, selected: str | None) -> tuple[str | None, str | None]:
    """The stage's (lower, higher) dose ids: named in the protocol, or by its rule from the
    escalation's selection (``selected-and-next-lower``); (None, None) while unknown.

    Parameters
    ----------
    protocol : Protocol
        With ``design.randomised_stage``.
    selected : str or None
        The dose the escalation selected.

    Returns
    -------
    tuple
        (lower, higher) dose level ids or (None, None).

    Examples
    --------
    >>> stage_doses(proto, "DL2")  # doctest: +SKIP
    ('DL1', 'DL2')
    """
    spec = protocol.design.randomised_stage
    if spec.doses is not None:
        return spec.doses[0], spec.doses[1]
    ids = protocol.dose_ids
    if selected is None or selected not in ids or ids.index(selected) == 0:
        return None, None
    return ids[ids.index(selected) - 1], selected


def rose_arms(patients: pd.DataFrame, doses: tuple[str, str], planned: tuple[int, int]
              ) -> pd.DataFrame:
    """Per arm: planned, randomised, complete, responders, pending and the response rate.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per randomised patient: USUBJID, ARMCD (the arm's dose id), RESPONSE (yes / no
        / pending).
    doses : tuple of str
        (lower, higher) dose ids.
    planned : tuple of int
        Planned patients (lower, higher).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputError
        A patient randomised to another dose, or a RESPONSE other than yes / no / pending.

    Examples
    --------
    >>> pt = pd.DataFrame({"USUBJID": ["a"], "ARMCD": ["DL1"], "RESPONSE": ["yes"]})
    >>> rose_arms(pt, ("DL1", "DL2"), (2, 2))["RESPONDERS"].tolist()
    [1, 0]
    """
    bad = ~patients["ARMCD"].isin(doses)
    if bad.any():
        r = patients.loc[bad].iloc[0]
        raise InputError(f"DM USUBJID={r['USUBJID']} ARMCD={r['ARMCD']!r}: a patient of the "
                         f"randomised stage (SUPPDM PART = {PART}) must be randomised to one of "
                         f"its doses {list(doses)}")
    bad = ~patients["RESPONSE"].isin(["yes", "no", "pending"])
    if bad.any():
        r = patients.loc[bad].iloc[0]
        raise InputError(f"USUBJID={r['USUBJID']} RESPONSE={r['RESPONSE']!r}: must be yes, no "
                         "or pending")
    rows = []
    for arm, dose, n in zip(("low", "high"), doses, planned, strict=True):
        at = patients[patients["ARMCD"] == dose]
        done = at[at["RESPONSE"] != "pending"]
        x = int((done["RESPONSE"] == "yes").sum())
        rows.append({"ARM": arm, "DOSE_ID": dose, "PLANNED": n, "RANDOMISED": len(at),
                     "COMPLETE": len(done), "RESPONDERS": x,
                     "PENDING": len(at) - len(done),
                     "RATE": x / len(done) if len(done) else float("nan")})
    return pd.DataFrame(rows)


def rose_decision(arms: pd.DataFrame, patients: pd.DataFrame, design) -> tuple[str, str | None,
                                                                               str]:
    """(status, selected dose id or None, reason) of the ROSE rule on the arms.

    Parameters
    ----------
    arms : pandas.DataFrame
        :func:`rose_arms` output.
    patients : pandas.DataFrame
        The randomised patients in randomisation order (for the interim look: the first
        ``interim_low`` / ``interim_high`` of each arm).
    design : cartrial.design.rose.RoseDesign
        The stage's design (planned n per arm, lambda, interim).

    Returns
    -------
    tuple

    Examples
    --------
    >>> rose_decision(arms, patients, stage_design(spec))  # doctest: +SKIP
    ('complete', 'DL2', 'DL2 selected: ...')
    """
    from cartrial.design.rose_rules import select_high

    low, high = arms.iloc[0], arms.iloc[1]
    if not (low["RANDOMISED"] or high["RANDOMISED"]):
        return "not started", None, "no patient randomised yet"
    if design.interim_low and design.interim_boundary is not None:
        first = [patients[patients["ARMCD"] == a["DOSE_ID"]].head(m)
                 for a, m in ((low, design.interim_low), (high, design.interim_high))]
        if all(len(f) == m and (f["RESPONSE"] != "pending").all()
               for f, m in zip(first, (design.interim_low, design.interim_high), strict=True)):
            xl, xh = (int((f["RESPONSE"] == "yes").sum()) for f in first)
            words = _words(low["DOSE_ID"], high["DOSE_ID"], xl, design.interim_low, xh,
                           design.interim_high, design.interim_boundary)
            if bool(select_high(xl, xh, design.interim_low, design.interim_high,
                                design.interim_boundary)):
                return "complete", high["DOSE_ID"], f"interim: {words}: {high['DOSE_ID']} " \
                    f"selected early ({REF})"
            if low["COMPLETE"] < low["PLANNED"] or high["COMPLETE"] < high["PLANNED"]:
                return "interim", None, f"interim: {words}: continue to the final analysis"
    if (low["COMPLETE"] < low["PLANNED"] or high["COMPLETE"] < high["PLANNED"]
            or low["PENDING"] or high["PENDING"]):
        return "open", None, (f"{int(low['COMPLETE'])} of {int(low['PLANNED'])} on "
                              f"{low['DOSE_ID']} and {int(high['COMPLETE'])} of "
                              f"{int(high['PLANNED'])} on {high['DOSE_ID']} assessed: selection "
                              "when all are")
    nl, nh = int(low["COMPLETE"]), int(high["COMPLETE"])
    xl, xh = int(low["RESPONDERS"]), int(high["RESPONDERS"])
    words = _words(low["DOSE_ID"], high["DOSE_ID"], xl, nl, xh, nh, design.boundary)
    pick = high["DOSE_ID"] if bool(select_high(xl, xh, nl, nh, design.boundary)) \
        else low["DOSE_ID"]
    return "complete", pick, f"{words}: {pick} selected ({REF})"


def _words(lo: str, hi: str, xl: int, nl: int, xh: int, nh: int, lam: float) -> str:
    diff = xh / nh - xl / nl
    verb = "exceeds" if diff > lam else "does not exceed"
    return (f"response {xh}/{nh} ({xh / nh:.3f}) on {hi} vs {xl}/{nl} ({xl / nl:.3f}) on {lo}: "
            f"the difference {diff:.3f} {verb} lambda {lam:g}")


def rose_stage_at(study: Study, protocol: Protocol, selected: str | None,
                  as_of: date | str | None = None, *,
                  escalation_stopped: bool = True) -> RoseStageState | None:
    """The randomised stage's state on the data at ``as_of`` (None without a stage, or while
    the escalation goes on and nobody has been randomised).

    Parameters
    ----------
    study : Study
        The study (validated).
    protocol : Protocol
        With ``design.randomised_stage`` and ``design.efficacy``.
    selected : str or None
        The escalation's selected dose (for ``rule: selected-and-next-lower``).
    as_of : date or str, optional
        Data cut-off.
    escalation_stopped : bool
        Whether the escalation has stopped (``StudyDecision.phase == "expansion"``); before
        that the stage is shown only once a patient has been randomised.

    Returns
    -------
    RoseStageState or None

    Raises
    ------
    InputError
        A randomised patient's arm outside the stage's doses; no ``design.efficacy``.

    References
    ----------
    Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124.

    Examples
    --------
    >>> rose_stage_at(study, proto, "DL2", "2025-06-01").status  # doctest: +SKIP
    'open'
    """
    spec = protocol.design.randomised_stage
    if spec is None:
        return None
    from cartrial.conduct.dose_efficacy import efficacy_outcomes
    from cartrial.data.study_parts import study_parts
    from cartrial.design.rose_spec import stage_design

    sp = study_parts(study)
    sp = sp[(sp["PART"] == PART) & sp["INFUSION_DATE"].notna()]
    if as_of is not None:
        sp = sp[sp["INFUSION_DATE"] <= pd.Timestamp(as_of).normalize()]
    if sp.empty and not escalation_stopped:
        return None
    doses = stage_doses(protocol, selected)
    if doses[0] is None and len(sp):  # the rule's pair, read from the arms randomised
        ids = protocol.dose_ids
        arms = sorted(set(sp["ARMCD"]), key=lambda a: ids.index(a) if a in ids else -1)
        doses = (arms[0], arms[-1]) if len(arms) == 2 else doses
    design = stage_design(spec)
    if doses[0] is None:
        empty = pd.DataFrame(columns=["ARM", "DOSE_ID", "PLANNED", "RANDOMISED", "COMPLETE",
                                      "RESPONDERS", "PENDING", "RATE"])
        return RoseStageState(doses, empty, "not started", None, "the stage's doses are not "
                              "known yet (the escalation has selected no dose with one below)",
                              design.boundary)
    pt = sp.sort_values(["INFUSION_DATE", "USUBJID"], kind="stable")[["USUBJID", "ARMCD"]]
    if len(pt):
        out = efficacy_outcomes(study, protocol, as_of, subjects=sp)
        pt = pt.merge(out[["USUBJID", "RESPONSE"]], on="USUBJID", how="left")
    else:
        pt = pt.assign(RESPONSE=pd.Series(dtype=object))
    arms = rose_arms(pt, doses, (design.n_low, design.n_high))  # type: ignore[arg-type]
    status, pick, reason = rose_decision(arms, pt, design)
    return RoseStageState(doses, arms, status, pick, reason, design.boundary,
                          pt.reset_index(drop=True))
