"""Adverse events of the example: what happens to each infused patient, as SDTM AE records.

CRS and ICANS episodes (the investigator's grade differs from the consensus grade by one in
6 % of grade 1-2 episodes), grade >= 3 cytopenias from the laboratory results, GPRC5D on-target
toxicities (nail, taste, skin, mouth, weight and rare late ataxia; grade 1-2, as reported for a
GPRC5D CAR-T: Mailankody S et al., N Engl J Med 2022;387:1196-206), the
dose-limiting dysphagia, febrile neutropenia, pneumonia and fatal sepsis of non-relapse deaths,
plus the haematology and basket events of their own modules. Events starting after follow-up
ended are not recorded; events still going on at its end are "NOT RECOVERED/NOT RESOLVED".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example import baskets as bk
from cartrial.example import haematology as hx
from cartrial.example.journey import Journey
from cartrial.example.sdtm import fmt_date, fmt_datetime, frame

#: GPRC5D on-target toxicities: term, probability, onset day range, longest duration (days),
#: probability of grade 2 (ataxia is one grade higher)
ON_TARGET = (("Nail disorder", 0.40, 30, 90, 120, 0.3),
             ("Dysgeusia", 0.35, 14, 60, 90, 0.3),
             ("Rash", 0.20, 10, 40, 30, 0.2),
             ("Dry mouth", 0.15, 14, 60, 60, 0.1),
             ("Weight decreased", 0.18, 30, 120, 120, 0.4),
             ("Ataxia", 0.02, 60, 200, 90, 0.5))


def runs(df: pd.DataFrame) -> pd.DataFrame:
    """Runs of constant grade >= 3 per patient and test (start, end = first day it changed).

    Parameters
    ----------
    df : pandas.DataFrame
        CTCAE grade of every result: ``pat``, ``day``, ``test``, ``grade``.

    Returns
    -------
    pandas.DataFrame
        One row per run at grade >= 3: ``pat``, ``test``, ``grade``, ``start`` (first day at
        that grade), ``end`` (first day at another grade; NaN when never seen to change).

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"pat": 0, "test": "NEUT", "day": [0, 5, 9, 14, 21],
    ...                   "grade": [1, 3, 4, 3, 2]})
    >>> runs(g)[["grade", "start", "end"]].values.tolist()
    [[3.0, 5.0, 9.0], [4.0, 9.0, 14.0], [3.0, 14.0, 21.0]]
    """
    df = df.sort_values(["test", "pat", "day"], kind="stable").reset_index(drop=True)
    g = np.where(df["grade"].to_numpy() >= 3, df["grade"].to_numpy(), 0)
    key = df["test"].astype(str).to_numpy() + ":" + df["pat"].astype(str).to_numpy()
    new = np.ones(len(df), bool)
    new[1:] = (g[1:] != g[:-1]) | (key[1:] != key[:-1])
    rid = np.cumsum(new)
    df = df.assign(g=g, rid=rid, key=key)
    agg = df.groupby("rid", sort=True).agg(pat=("pat", "first"), test=("test", "first"),
                                          grade=("g", "first"), start=("day", "first"),
                                          key=("key", "first"))
    nxt_start = agg["start"].shift(-1)
    same = agg["key"].shift(-1) == agg["key"]
    agg["end"] = np.where(same, nxt_start, np.nan)
    return agg[agg["grade"] >= 3].reset_index(drop=True)

AE_SOC = {
    "Cytokine release syndrome": "Immune system disorders",
    "Immune effector cell-associated neurotoxicity syndrome": "Nervous system disorders",
    "Neutrophil count decreased": "Investigations",
    "Platelet count decreased": "Investigations",
    "Anaemia": "Blood and lymphatic system disorders",
    "Nail disorder": "Skin and subcutaneous tissue disorders",
    "Dysgeusia": "Nervous system disorders",
    "Rash": "Skin and subcutaneous tissue disorders",
    "Dry mouth": "Gastrointestinal disorders",
    "Weight decreased": "Investigations",
    "Ataxia": "Nervous system disorders",
    "Dysphagia": "Gastrointestinal disorders",
    "Febrile neutropenia": "Blood and lymphatic system disorders",
    "Pneumonia": "Infections and infestations",
    "Sepsis": "Infections and infestations",
}

CYTO_TERM = {"NEUT": "Neutrophil count decreased", "PLAT": "Platelet count decreased",
             "HGB": "Anaemia"}



def adverse_events(ctx: Journey, ep_c: pd.DataFrame, ep_i: pd.DataFrame, cyto: pd.DataFrame,
                   dlt_type: np.ndarray, dlt_onset: np.ndarray, nrm_death: np.ndarray,
                   death_d: np.ndarray, re: np.random.Generator, ru: np.random.Generator,
                   extra: tuple | list = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The AE domain and its truth (one row per event, with the AESEQ it was written under).

    Parameters
    ----------
    ctx : Journey
        The infused patients and their follow-up.
    ep_c, ep_i : pandas.DataFrame
        CRS and ICANS episodes (:func:`cartrial.example.crs_records.episodes`).
    cyto : pandas.DataFrame
        CTCAE grade of every cytopenia result (``pat``, ``day``, ``test``, ``grade``).
    dlt_type, dlt_onset : numpy.ndarray
        Per patient: the DLT rule met ("" when none) and its onset day.
    nrm_death, death_d : numpy.ndarray
        Per patient: died without progression (of sepsis); the day of death.
    re, ru : numpy.random.Generator
        The ``events`` stream (which events occur, when, how long) and the ``untidy`` stream
        (investigator grades, partial dates).
    extra : sequence of pandas.DataFrame
        Further events in the same layout (haematology, basket events).

    Returns
    -------
    tuple of pandas.DataFrame
        AE, and its truth: one row per event recorded with ``pat``, ``term``, ``start``,
        ``end``, ``grade`` (consensus), ``inv`` (investigator), ``src``, ``episode``,
        ``USUBJID`` and ``AESEQ``.
    """
    n = len(ctx.inf)
    rows = _episode_rows(ep_c, ep_i, ru)
    rc = runs(cyto)
    rows.append(_events(rc["pat"].to_numpy(), rc["test"].map(CYTO_TERM).to_numpy(),
                        rc["start"].to_numpy(), rc["end"].to_numpy(), rc["grade"].to_numpy(),
                        "RELATED", "lab"))
    rows += _on_target_rows(re, n)
    rows += _other_rows(re, n, dlt_type, dlt_onset, nrm_death, death_d)
    ae = pd.concat(rows + list(extra), ignore_index=True)   # + haematology, basket events
    ae = ae[ae["start"].to_numpy() <= ctx.end_day[ae["pat"].to_numpy()]].reset_index(drop=True)
    df = _ae_domain(ctx, ae, ru)
    p = ae["pat"].to_numpy()
    truth = ae.assign(USUBJID=ctx.usubjid[p], AESEQ=0)
    seq = df.set_index("_order")["AESEQ"]
    truth["AESEQ"] = seq.reindex(np.arange(len(ae))).to_numpy()
    return df.drop(columns="_order"), truth


def _events(pat, term, start, end, grade, rel: str, src: str) -> pd.DataFrame:  # noqa: ANN001
    """Events in the common layout (no start time, investigator grade = grade, no episode)."""
    return pd.DataFrame({"pat": pat, "term": term, "start": start, "start_min": -1, "end": end,
                         "grade": grade, "inv": grade, "rel": rel, "src": src, "episode": 0})


def _episode_rows(ep_c: pd.DataFrame, ep_i: pd.DataFrame, ru: np.random.Generator
                  ) -> list[pd.DataFrame]:
    """CRS and ICANS episodes (investigator grade occasionally disagrees: 1 <-> 2)."""
    rows = []
    for ep, term in ((ep_c, "Cytokine release syndrome"),
                     (ep_i, "Immune effector cell-associated neurotoxicity syndrome")):
        if ep.empty:
            continue
        g = ep["max_grade"].to_numpy().astype(int)
        flip = (g <= 2) & (ru.random(len(g)) < 0.06)
        inv = np.where(flip, 3 - g, g)
        rows.append(pd.DataFrame({
            "pat": ep["pat"].to_numpy(), "term": term, "start": ep["start_day"].to_numpy(),
            "start_min": ep["start_minute"].to_numpy(), "end": ep["end_day"].to_numpy() + 1.0,
            "grade": g, "inv": inv, "rel": "RELATED", "src": "episode",
            "episode": ep["episode"].to_numpy()}))
    return rows


def _on_target_rows(re: np.random.Generator, n: int) -> list[pd.DataFrame]:
    """GPRC5D on-target toxicities (:data:`ON_TARGET`)."""
    rows = []
    for term, prob, lo, hi, dur, g2 in ON_TARGET:
        has = re.random(n) < prob
        st = re.integers(lo, hi + 1, n)
        en = st + re.integers(dur // 3, dur + 1, n)
        gr = np.where(re.random(n) < g2, 2, 1)
        if term == "Ataxia":
            gr = gr + 1
        rows.append(_events(np.flatnonzero(has), term, st[has], en[has].astype(float), gr[has],
                            "RELATED", "gprc5d"))
    return rows


def _other_rows(re, n, dlt_type, dlt_onset, nrm_death, death_d) -> list[pd.DataFrame]:  # noqa: ANN001
    """Dose-limiting dysphagia, febrile neutropenia, pneumonia and fatal sepsis."""
    # DLT non-haematological events: grade 3 dysphagia lasting 9-20 days
    nh = np.flatnonzero(dlt_type == "NONHEM3_7D")
    rows = [_events(nh, "Dysphagia", dlt_onset[nh],
                    (dlt_onset[nh] + re.integers(9, 21, len(nh))).astype(float), 3, "RELATED",
                    "dlt")]
    fn = np.flatnonzero(re.random(n) < 0.15)
    st = re.integers(5, 13, n)[fn]
    rows.append(_events(fn, "Febrile neutropenia", st,
                        (st + re.integers(2, 6, len(fn))).astype(float), 3, "POSSIBLY RELATED",
                        "other"))
    pn = np.flatnonzero(re.random(n) < 0.08)
    st = re.integers(35, 250, n)[pn]
    rows.append(_events(pn, "Pneumonia", st, (st + re.integers(7, 15, len(pn))).astype(float),
                        3, "NOT RELATED", "other"))
    sp = np.flatnonzero(nrm_death)
    rows.append(_events(sp, "Sepsis", (death_d[sp] - 4).astype(int), death_d[sp], 5,
                        "NOT RELATED", "death"))
    return rows


def _ae_domain(ctx: Journey, ae: pd.DataFrame, ru: np.random.Generator) -> pd.DataFrame:
    """The AE records of the events (``_order`` = the event's row, for the truth's AESEQ)."""
    p = ae["pat"].to_numpy()
    endd = ae["end"].to_numpy(float)
    open_ = np.isnan(endd) | (endd > ctx.end_day[p])
    fatal = ae["grade"].to_numpy() == 5
    st_date = ctx.date(p, ae["start"].to_numpy())
    st_txt = np.where(ae["start_min"].to_numpy() >= 0,
                      fmt_datetime(st_date, np.maximum(ae["start_min"].to_numpy(), 0)),
                      fmt_date(st_date))
    partial = (ae["term"].to_numpy() == "Nail disorder") & (ru.random(len(ae)) < 0.2)
    st_txt = np.where(partial, np.array([s[:7] for s in st_txt], dtype=object), st_txt)
    en_day = np.where(open_ & ~fatal, 0, np.nan_to_num(endd)).astype(int)
    en_txt = np.where(open_ & ~fatal, "", fmt_date(ctx.date(p, en_day)))
    out = np.where(fatal, "FATAL", np.where(open_, "NOT RECOVERED/NOT RESOLVED",
                                             "RECOVERED/RESOLVED"))
    terms = ae["term"].to_numpy()
    cols = {
        "USUBJID": ctx.usubjid[p], "AETERM": terms, "AEDECOD": terms,
        "AEBODSYS": np.array([{**AE_SOC, **hx.SOC, **bk.SOC}[t] for t in terms], dtype=object),
        "AETOXGR": ae["inv"].astype(int).astype(str).to_numpy(),
        "AESTDTC": st_txt, "AEENDTC": en_txt,
        "AESER": np.where(ae["grade"].to_numpy() >= 3, "Y", "N"),
        "AEREL": ae["rel"].to_numpy(), "AEOUT": out, "AESDTH": np.where(fatal, "Y", "N"),
        "AESTDY": np.where(partial, np.nan, ctx.dy(p, ae["start"].to_numpy())).astype(float),
        "_order": np.arange(len(ae)),
    }
    return frame("AE", cols, ["USUBJID", "AESTDTC", "AEDECOD"])
