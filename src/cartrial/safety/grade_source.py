"""One grade per CRS / ICANS event: the protocol's primary grade source, and the reconciliation.

A CRS or ICANS event has two grades: the investigator's (AE ``AETOXGR``) and the one derived
from the daily observations by the ASTCT 2019 consensus (Lee DW et al., Biol Blood Marrow
Transplant 2019;25:625-38). The protocol names which one is primary
(``safety.crs_icans_grade_source``): every table, figure and ADaM grade uses it, and
:func:`reconcile_syndrome_grades` lists every event on which the two differ.

Matching: a derived episode belongs to an AE record of the same syndrome and subject when its
onset lies from one day before the record's start day to one day after its end day (open end:
no upper limit). An AE record of a patient with graded observations but no matching episode has
derived grade 0 (the criteria were not met); a patient without observations has none (the
derived source then falls back to the investigator's grade, and says so in ``GRADE_SOURCE``).
An episode matching no AE record is an event of its own (``SEQ`` missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.safety._frames import require_columns

SOURCES = ("derived", "reported")
SYNDROMES = {"CRS": ("Cytokine release syndrome", "Immune system disorders"),
             "ICANS": ("Immune effector cell-associated neurotoxicity syndrome",
                       "Nervous system disorders")}
EVENT_COLUMNS = ["USUBJID", "EVENT", "SEQ", "ONSET_DAY", "REPORTED_GRADE", "DERIVED_GRADE",
                 "GRADE", "GRADE_SOURCE", "DRIVER", "EPISODE"]
_DRIVERS = {"FEVER": "fever", "MASKED_THERAPY": "after antipyretic/anti-cytokine therapy",
            "HYPOTENSION": "hypotension", "HYPOXIA": "hypoxia",
            "HYPOTENSION+HYPOXIA": "hypotension and hypoxia", "DEATH": "death",
            "ICE": "ICE score", "CONSCIOUSNESS": "depressed consciousness", "SEIZURE": "seizure",
            "MOTOR": "motor findings", "ICP": "raised intracranial pressure/cerebral oedema"}


def source_label(source: str) -> str:
    """The footnote naming the primary grade of CRS and ICANS events.

    Parameters
    ----------
    source : str
        ``"derived"`` or ``"reported"`` (protocol ``safety.crs_icans_grade_source``).

    Returns
    -------
    str
        One sentence for a table or figure footnote.

    Raises
    ------
    InputError
        When ``source`` is not one of :data:`SOURCES`.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ASTCT consensus grading).

    Examples
    --------
    >>> source_label("reported")[:40]
    'CRS and ICANS grades: as reported by the'
    """
    if source == "derived":
        return ("CRS and ICANS grades: derived from the daily observations by the ASTCT 2019 "
                "consensus (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38), the "
                "protocol's primary grade source; the investigator's grade where a patient has "
                "no graded observations.")
    if source == "reported":
        return ("CRS and ICANS grades: as reported by the investigator (ASTCT 2019, Lee DW et "
                "al., Biol Blood Marrow Transplant 2019;25:625-38), the protocol's primary "
                "grade source.")
    raise InputError(f"safety.crs_icans_grade_source must be one of {SOURCES}, got {source!r}")


def _driver_text(tp: pd.DataFrame) -> pd.Series:
    """'day 3.3: grade 2 by hypotension' for each episode's first time point at its worst."""
    tp = tp[tp["EPISODE"] > 0].sort_values(["USUBJID", "EPISODE", "GRADE", "DAY"],
                                           ascending=[True, True, False, True], kind="stable")
    first = tp.drop_duplicates(["USUBJID", "EPISODE"])
    what = first["DRIVER"].astype(str).map(
        lambda d: " and ".join(_DRIVERS.get(p, p.lower()) for p in d.split("+")))
    text = ("day " + first["DAY"].astype(float).map("{:.1f}".format) + ": grade "
            + first["GRADE"].astype(int).astype(str) + " by " + what)
    return pd.Series(text.to_numpy(), index=pd.MultiIndex.from_frame(
        first[["USUBJID", "EPISODE"]].astype({"USUBJID": str})))


def _one_syndrome(event: str, ae: pd.DataFrame, timepoints: pd.DataFrame,
                  episodes: pd.DataFrame) -> pd.DataFrame:
    term = SYNDROMES[event][0]
    a = ae[ae["AEDECOD"].astype(str).str.strip().str.casefold() == term.casefold()]
    rec = pd.DataFrame({"USUBJID": a["USUBJID"].astype(str).to_numpy(),
                        "SEQ": a["SEQ"].to_numpy(dtype=float),
                        "ONSET_DAY": a["START_DAY"].to_numpy(dtype=float),
                        "REPORTED_GRADE": a["GRADE"].to_numpy(dtype=float),
                        "_S": np.floor(a["START_DAY"].to_numpy(dtype=float)) - 1.0,
                        "_E": a["END_DAY"].fillna(np.inf).to_numpy(dtype=float) + 1.0})
    ep = episodes[["USUBJID", "EPISODE", "ONSET_DAY", "MAX_GRADE"]].astype({"USUBJID": str})
    drv = _driver_text(timepoints) if len(ep) else pd.Series(dtype=object)
    ep = ep.assign(DRIVER=drv.reindex(pd.MultiIndex.from_frame(ep[["USUBJID", "EPISODE"]]))
                   .to_numpy())
    m = rec.merge(ep.rename(columns={"ONSET_DAY": "_ON"}), on="USUBJID")
    m = m[(m["_ON"] >= m["_S"]) & (m["_ON"] <= m["_E"])]
    m = m.sort_values(["USUBJID", "SEQ", "MAX_GRADE", "_ON"], ascending=[True, True, False, True],
                      kind="stable").drop_duplicates(["USUBJID", "SEQ"])
    observed = set(timepoints["USUBJID"].astype(str))
    key = m.set_index(["USUBJID", "SEQ"])
    idx = pd.MultiIndex.from_frame(rec[["USUBJID", "SEQ"]])
    rec["DERIVED_GRADE"] = key["MAX_GRADE"].reindex(idx).to_numpy(dtype=float)
    rec["DRIVER"] = key["DRIVER"].reindex(idx).to_numpy()
    rec["EPISODE"] = key["EPISODE"].reindex(idx).to_numpy(dtype=float)  # the derived episode
    none = rec["DERIVED_GRADE"].isna() & rec["USUBJID"].isin(observed)
    rec.loc[none, "DERIVED_GRADE"] = 0.0
    rec.loc[none, "DRIVER"] = "criteria not met on any observation in the record's span"
    used = set(zip(m["USUBJID"], m["EPISODE"], strict=True))
    alone = ep[np.array([(u, e) not in used for u, e in zip(ep["USUBJID"], ep["EPISODE"],
                                                              strict=True)], dtype=bool)]
    extra = pd.DataFrame({"USUBJID": alone["USUBJID"], "SEQ": np.nan,
                          "ONSET_DAY": alone["ONSET_DAY"].astype(float),
                          "REPORTED_GRADE": np.nan,
                          "DERIVED_GRADE": alone["MAX_GRADE"].astype(float),
                          "DRIVER": alone["DRIVER"],
                          "EPISODE": alone["EPISODE"].astype(float)})
    out = pd.concat([rec.drop(columns=["_S", "_E"]), extra], ignore_index=True)
    return out.assign(EVENT=event)


def syndrome_events(ae: pd.DataFrame, crs, icans, source: str) -> pd.DataFrame:
    """Every CRS and ICANS event with its reported, derived and primary grade.

    Parameters
    ----------
    ae : pandas.DataFrame
        AE frame of :func:`cartrial.safety.adverse_events` (USUBJID, SEQ, AEDECOD, GRADE,
        START_DAY, END_DAY; days since infusion).
    crs, icans : CrsResult, IcansResult
        Results of :func:`cartrial.safety.grade_crs` and :func:`cartrial.safety.grade_icans`.
    source : str
        Primary grade source, ``"derived"`` or ``"reported"``.

    Returns
    -------
    pandas.DataFrame
        One row per event (:data:`EVENT_COLUMNS`): GRADE is the primary grade (0 = not counted
        as an event of the syndrome), GRADE_SOURCE says where it came from, DRIVER names the
        observation behind the derived grade and EPISODE the derived episode the AE record
        was matched to (NaN when none).

    Raises
    ------
    InputError
        When ``source`` is unknown or a column is missing.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartrial.safety import grade_crs, grade_icans
    >>> ae = pd.DataFrame({"USUBJID": ["P1"], "SEQ": [1], "AEDECOD": ["Cytokine release "
    ...     "syndrome"], "GRADE": [2], "START_DAY": [1.0], "END_DAY": [3.0]})
    >>> obs = pd.DataFrame({"USUBJID": ["P1", "P1"], "DAY": [1.2, 2.2], "TEMP": [38.6, 37.0]})
    >>> crs = grade_crs(obs)
    >>> icans = grade_icans(pd.DataFrame({"USUBJID": ["P1"], "DAY": [1.0], "ICE": [10]}))
    >>> ev = syndrome_events(ae, crs, icans, "derived")
    >>> ev[["REPORTED_GRADE", "DERIVED_GRADE", "GRADE"]].iloc[0].tolist()
    [2.0, 1.0, 1.0]
    """
    source_label(source)
    require_columns(ae, ["USUBJID", "SEQ", "AEDECOD", "GRADE", "START_DAY", "END_DAY"],
                    where="syndrome_events (AE)")
    parts = [_one_syndrome(ev, ae, res.timepoints, res.episodes)
             for ev, res in (("CRS", crs), ("ICANS", icans))]
    out = pd.concat(parts, ignore_index=True)
    if source == "derived":
        use_derived = out["DERIVED_GRADE"].notna()
        out["GRADE"] = np.where(use_derived, out["DERIVED_GRADE"], out["REPORTED_GRADE"])
        out["GRADE_SOURCE"] = np.where(use_derived, "derived", "reported (no observations)")
    else:
        out["GRADE"] = out["REPORTED_GRADE"].fillna(0.0)
        out["GRADE_SOURCE"] = np.where(out["REPORTED_GRADE"].notna(), "reported",
                                       "derived only (no AE record)")
    out = out.sort_values(["EVENT", "USUBJID", "ONSET_DAY"], kind="stable")
    return out[EVENT_COLUMNS].reset_index(drop=True)


def reconcile_syndrome_grades(events: pd.DataFrame) -> pd.DataFrame:
    """The events whose reported and derived grades differ (a missing grade counts as 0).

    Parameters
    ----------
    events : pandas.DataFrame
        Output of :func:`syndrome_events`.

    Returns
    -------
    pandas.DataFrame
        The rows of ``events`` that disagree, in the same columns and order.

    Raises
    ------
    InputError
        When a column of :data:`EVENT_COLUMNS` is missing.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({c: [None, None] for c in EVENT_COLUMNS})
    >>> ev["REPORTED_GRADE"], ev["DERIVED_GRADE"] = [2.0, 1.0], [1.0, 1.0]
    >>> len(reconcile_syndrome_grades(ev))
    1
    """
    require_columns(events, EVENT_COLUMNS, where="reconcile_syndrome_grades")
    rep = events["REPORTED_GRADE"].astype(float)
    der = events["DERIVED_GRADE"].astype(float)
    # a patient without observations has no derived grade: nothing to reconcile
    differ = der.notna() & (rep.fillna(0.0) != der)
    return events[differ].reset_index(drop=True)


def primary_ae(ae: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The AE frame with the primary grade on CRS / ICANS records: records graded 0 by the
    primary source are left out, derived events without an AE record are added (their system
    organ class from MedDRA: immune system disorders for CRS, nervous system disorders for
    ICANS).

    Parameters
    ----------
    ae : pandas.DataFrame
        AE frame of :func:`cartrial.safety.adverse_events`.
    events : pandas.DataFrame
        Output of :func:`syndrome_events` for the same ``ae``.

    Returns
    -------
    pandas.DataFrame
        ``ae``'s columns; GRADE of CRS / ICANS records is the primary grade.

    Raises
    ------
    InputError
        When a column is missing.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame({"USUBJID": ["P1"], "SEQ": [1.0], "AEDECOD": ["Rash"],
    ...                    "AEBODSYS": ["Skin"], "GRADE": [1], "START_DAY": [2.0]})
    >>> len(primary_ae(ae, pd.DataFrame(columns=EVENT_COLUMNS)))
    1
    """
    require_columns(events, EVENT_COLUMNS, where="primary_ae")
    require_columns(ae, ["USUBJID", "SEQ", "AEDECOD", "AEBODSYS", "GRADE", "START_DAY"],
                    where="primary_ae (AE)")
    rec = events[events["SEQ"].notna()]
    key = pd.Series(rec["GRADE"].to_numpy(dtype=float), index=pd.MultiIndex.from_frame(
        rec[["USUBJID", "SEQ"]].astype({"USUBJID": str, "SEQ": float})))
    idx = pd.MultiIndex.from_frame(pd.DataFrame({"USUBJID": ae["USUBJID"].astype(str),
                                                 "SEQ": ae["SEQ"].astype(float)}))
    g = key.reindex(idx).to_numpy(dtype=float)
    hit = ~np.isnan(g)
    out = ae.copy()
    out["GRADE"] = np.where(hit, g, out["GRADE"].astype(float))
    out = out[~(hit & (g == 0))]
    new = events[events["SEQ"].isna() & (events["GRADE"].astype(float) > 0)]
    if len(new):
        add = pd.DataFrame({"USUBJID": new["USUBJID"].astype(str), "SEQ": np.nan,
                            "AEDECOD": new["EVENT"].map(lambda e: SYNDROMES[e][0]),
                            "AEBODSYS": new["EVENT"].map(lambda e: SYNDROMES[e][1]),
                            "GRADE": new["GRADE"].astype(float),
                            "START_DAY": new["ONSET_DAY"].astype(float)})
        if "TRTEMFL" in out.columns:  # episodes are graded from infusion on
            add["TRTEMFL"] = np.where(add["START_DAY"] >= 0, "Y", "")
        out = pd.concat([out, add], ignore_index=True)
    return out.reset_index(drop=True)


def worst_crs_grade(events: pd.DataFrame, subjects: pd.Series) -> pd.DataFrame:
    """Maximum primary CRS grade per subject (0 without a CRS event): the grade the
    kinetics-by-CRS analysis groups by.

    Parameters
    ----------
    events : pandas.DataFrame
        Output of :func:`syndrome_events`.
    subjects : pandas.Series
        USUBJID of every subject to report (e.g. the infused patients).

    Returns
    -------
    pandas.DataFrame
        USUBJID, CRSGR (int), one row per subject in ``subjects`` order.

    Raises
    ------
    InputError
        When a column of :data:`EVENT_COLUMNS` is missing.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({c: ["P1"] for c in EVENT_COLUMNS})
    >>> ev["EVENT"], ev["GRADE"] = "CRS", 2.0
    >>> worst_crs_grade(ev, pd.Series(["P1", "P2"]))["CRSGR"].tolist()
    [2, 0]
    """
    require_columns(events, EVENT_COLUMNS, where="worst_crs_grade")
    crs = events[events["EVENT"] == "CRS"]
    mx = crs.groupby(crs["USUBJID"].astype(str))["GRADE"].max()
    ids = pd.Series(subjects, dtype=str).drop_duplicates().to_numpy()
    return pd.DataFrame({"USUBJID": ids,
                         "CRSGR": mx.reindex(ids).fillna(0.0).to_numpy().astype(int)})
