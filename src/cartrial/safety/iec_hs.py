"""IEC-HS (immune effector cell-associated HLH-like syndrome): laboratory screen, listing, table.

ASTCT framework: Hines MR et al., Transplant Cell Ther 2023;29(7):438.e1-438.e16. IEC-HS is a
hyperinflammatory syndrome independent of CRS and ICANS with features of macrophage
activation / HLH, attributable to the IEC therapy, with new or worsening cytopenias,
hyperferritinaemia, coagulopathy with hypofibrinogenaemia and/or transaminitis, typically
starting as CRS resolves. The framework leaves identification to clinical judgement and
grades by symptoms and interventions, so cartrial does two things and says which is which:

* **Laboratory screen** (cartrial's operational rule, data in
  ``criteria/iec_hs_astct_2023.yaml``): ferritin above 2 x ULN (2 x the baseline at infusion
  when that is above ULN) after infusion, with at least two other core manifestations
  (transaminitis: ALT / AST > 5 x ULN or baseline; coagulopathy: fibrinogen < 1.5 g/L;
  cytopenia: ANC < 1.0 or platelets < 50 x10^9/L; haemophagocytosis) within 14 days of it
  (cytopenias alone follow lymphodepletion in most patients). The onset's timing relative to CRS
  (after resolution, during an episode, no CRS) is reported, not used to exclude.
* **Reported IEC-HS**: AE records with an IEC-HS / HLH term carry the investigator's ASTCT
  grade; the table counts them by grade. Screen-positive subjects without a reported IEC-HS
  are listed for medical review (never graded by cartrial).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cartrial import _yaml
from cartrial.safety import _frames
from cartrial.safety._frames import TestCodes, as_float, as_text, fail, require_columns
from cartrial.safety.tables import count_rows

DOMAIN = "LB"
TABLE = "IEC-HS (ASTCT 2023)"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Feature(_Model):
    feature: str
    group: str
    paramcd: list[str] = Field(min_length=1)
    op: Literal["<", ">"]
    value: float
    ref: Literal["CONST", "ULN", "BASELINE_OR_ULN"]
    core: bool
    text: str


class Screen(_Model):
    required: str
    min_other_core: int = Field(ge=0)
    window_days: float = Field(ge=0)
    first_day: float


class IecHsCriteria(_Model):
    """ASTCT IEC-HS manifestations and cartrial's screen as data.

    Attributes
    ----------
    version, name, source : str
        Framework version (publication year), name and the citation of the source.
    ae_terms : list of str
        Adverse event terms that report IEC-HS itself.
    features : list of Feature
        Laboratory manifestations (PARAMCDs, comparison, threshold, core or not).
    hemophagocytosis_text, timing_text : str
        Source text of the non-laboratory criteria.
    screen : Screen
        The screen's rule: required feature, minimum other core features, window (days).

    References
    ----------
    Hines MR et al., Transplant Cell Ther 2023;29(7):438.e1-438.e16.

    Examples
    --------
    >>> c = iec_hs_criteria()
    >>> c.screen.required, c.screen.min_other_core, c.screen.window_days
    ('FERRITIN', 2, 14.0)
    """

    version: str
    name: str
    source: str
    ae_terms: list[str]
    features: list[Feature]
    hemophagocytosis_text: str
    screen: Screen
    timing_text: str


@cache
def iec_hs_criteria() -> IecHsCriteria:
    """The bundled IEC-HS table (``criteria/iec_hs_astct_2023.yaml``).

    Returns
    -------
    IecHsCriteria
        Frozen model of the manifestations and the screen.

    References
    ----------
    Hines MR et al. Transplant Cell Ther 2023;29(7):438.e1-438.e16.

    Examples
    --------
    >>> iec_hs_criteria().screen.required
    'FERRITIN'
    """
    text = resources.files("cartrial.safety.criteria").joinpath(
        "iec_hs_astct_2023.yaml").read_text(encoding="utf-8")
    return IecHsCriteria.model_validate(_yaml.safe_load(text))


def _feature_days(labs: pd.DataFrame, tests: TestCodes, f: Feature,
                  first_day: float) -> pd.DataFrame:
    """USUBJID, DAY, AVAL of the post-infusion records meeting the feature."""
    df = labs[tests.rows(f.paramcd)]
    day = as_float(df, "DAY", domain=DOMAIN, required=True)
    aval = as_float(df, "AVAL", domain=DOMAIN)
    fail(df, aval < 0, domain=DOMAIN, variable="AVAL", rule=f"{f.feature}: value cannot be < 0")
    uln = as_float(df, "ULN", domain=DOMAIN)
    d = pd.DataFrame({"USUBJID": df["USUBJID"].astype(str).to_numpy(),
                      "P": as_text(df, "PARAMCD"), "DAY": day, "AVAL": aval, "ULN": uln})
    if f.ref == "CONST":
        thr = np.full(len(d), f.value)
    elif f.ref == "ULN":
        thr = f.value * uln
    else:
        pre = d[(d["DAY"] <= 0) & d["AVAL"].notna()].sort_values("DAY", kind="stable")
        base = pre.groupby(["USUBJID", "P"], as_index=False)["AVAL"].last()
        b = d.merge(base.rename(columns={"AVAL": "B"}), on=["USUBJID", "P"],
                    how="left")["B"].to_numpy(dtype=float)   # baseline at infusion
        thr = f.value * np.where(b > uln, b, uln)
    with np.errstate(invalid="ignore"):
        met = (d["AVAL"] > thr) if f.op == ">" else (d["AVAL"] < thr)
    return d[met.to_numpy() & (d["DAY"] >= first_day).to_numpy()][["USUBJID", "DAY", "AVAL"]]


def _first_near(hits: pd.DataFrame, onset: pd.Series, window: float) -> pd.Series:
    """First hit day within ``window`` days of each subject's onset."""
    h = hits.assign(_o=hits["USUBJID"].map(onset))
    h = h[(h["DAY"] - h["_o"]).abs() <= window]
    return h.groupby("USUBJID")["DAY"].min()


def _crs_timing(onset: pd.Series, crs: pd.DataFrame | None) -> pd.Series:
    out = pd.Series("no CRS before onset", index=onset.index, dtype=object)
    if crs is None or crs.empty:
        return out
    e = crs.assign(USUBJID=crs["USUBJID"].astype(str))
    e = e.assign(_o=e["USUBJID"].map(onset))
    e = e[e["ONSET_DAY"] <= e["_o"]].sort_values(["USUBJID", "ONSET_DAY"]).groupby(
        "USUBJID").tail(1)
    after = e["RESOLUTION_DAY"].notna() & (e["RESOLUTION_DAY"] <= e["_o"])
    lab = np.where(after, "after CRS resolution", "during a CRS episode (review)")
    out[e["USUBJID"].to_numpy()] = lab
    return out


def _reported(ae: pd.DataFrame | None, c: IecHsCriteria) -> pd.DataFrame:
    cols = ["REPORTED_TERM", "REPORTED_GRADE", "REPORTED_DAY"]
    if ae is None or ae.empty:
        return pd.DataFrame(columns=cols)
    require_columns(ae, ["USUBJID", "AEDECOD", "GRADE"], where="identify_iec_hs ae")
    a = ae[np.isin(as_text(ae, "AEDECOD"), [t.upper() for t in c.ae_terms])]
    a = a.assign(USUBJID=a["USUBJID"].astype(str),
                 GRADE=as_float(a, "GRADE", domain="AE", required=True),
                 START_DAY=as_float(a, "START_DAY", domain="AE"))
    a = a.sort_values(["USUBJID", "GRADE"], ascending=[True, False], kind="stable")
    g = a.groupby("USUBJID")
    return pd.DataFrame({"REPORTED_TERM": g["AEDECOD"].first(), "REPORTED_GRADE": g["GRADE"].max(),
                         "REPORTED_DAY": g["START_DAY"].min()})


def identify_iec_hs(labs: pd.DataFrame, *, crs_episodes: pd.DataFrame | None = None,
                    ae: pd.DataFrame | None = None,
                    hemophagocytosis: pd.DataFrame | None = None,
                    criteria: IecHsCriteria | None = None) -> pd.DataFrame:
    """IEC-HS laboratory screen and reported IEC-HS per subject (the listing).

    Parameters
    ----------
    labs : pandas.DataFrame
        Laboratory records (USUBJID, PARAMCD, DAY, AVAL, ULN in SI units; ferritin ug/L,
        fibrinogen g/L, counts 10^9/L).
    crs_episodes : pandas.DataFrame, optional
        :func:`cartrial.safety.grade_crs` episodes (USUBJID, ONSET_DAY, RESOLUTION_DAY).
    ae : pandas.DataFrame, optional
        USUBJID, AEDECOD, GRADE (ASTCT IEC-HS grade), START_DAY.
    hemophagocytosis : pandas.DataFrame, optional
        USUBJID, DAY of each positive bone-marrow / tissue haemophagocytosis finding.
    criteria : IecHsCriteria, optional
        Default: the bundled ASTCT 2023 table.

    Returns
    -------
    pandas.DataFrame
        One row per subject screen-positive or with a reported IEC-HS: USUBJID, SCREEN,
        ONSET_DAY (the ferritin rise that starts the screen's cluster: the first with enough
        other manifestation groups within the window, else the first rise), SCREEN_DAY (the day
        the screen is met: that rise or the last of the manifestation groups it needs, whichever
        is later; CRS_TIMING is judged on it), FERRITIN_PEAK, <FEATURE>_DAY (first day within the
        window), HEMOPHAGOCYTOSIS_DAY, N_OTHER_CORE (manifestation groups met), CRS_TIMING,
        REPORTED, REPORTED_TERM, REPORTED_GRADE, REPORTED_DAY, STATUS ("reported and
        screen-positive", "reported only", "screen-positive, not reported: review").

    Raises
    ------
    RecordError
        A negative laboratory value (naming the record).
    InputError
        Missing columns.

    References
    ----------
    Hines MR et al. Transplant Cell Ther 2023;29(7):438.e1-438.e16.

    Examples
    --------
    >>> labs = pd.DataFrame({"USUBJID": "P1", "PARAMCD": ["FERRITIN", "FERRITIN", "PLAT", "ALT"],
    ...                      "DAY": [0, 12, 14, 13], "AVAL": [300.0, 9000.0, 30.0, 250.0],
    ...                      "ULN": [400.0, 400.0, 400.0, 40.0]})
    >>> r = identify_iec_hs(labs).iloc[0]
    >>> bool(r["SCREEN"]), float(r["ONSET_DAY"]), r["STATUS"]
    (True, 12.0, 'screen-positive, not reported: review')
    """
    require_columns(labs, ["USUBJID", "PARAMCD", "DAY", "AVAL"], where="identify_iec_hs")
    c = criteria or iec_hs_criteria()
    s = c.screen
    feats = {f.feature: f for f in c.features}
    tests = _frames.paramcd_codes(labs)
    req = _feature_days(labs, tests, feats[s.required], s.first_day)
    hits = {f.feature: _feature_days(labs, tests, f, s.first_day) for f in c.features
            if f.feature != s.required}
    onset = _anchor(req, hits, c)
    out = pd.DataFrame({"ONSET_DAY": onset, "FERRITIN_PEAK": req.groupby("USUBJID")["AVAL"].max()})
    n_other = _other_features(hits, c, onset, out)
    hlh = pd.Series(np.nan, index=onset.index)
    if hemophagocytosis is not None and len(hemophagocytosis):
        require_columns(hemophagocytosis, ["USUBJID", "DAY"], where="identify_iec_hs")
        h = hemophagocytosis.assign(USUBJID=hemophagocytosis["USUBJID"].astype(str),
                                    DAY=as_float(hemophagocytosis, "DAY", domain="MI"))
        hlh = _first_near(h, onset, s.window_days).reindex(onset.index)
    out["HEMOPHAGOCYTOSIS_DAY"] = hlh
    out["N_OTHER_CORE"] = n_other + hlh.notna().astype(int)
    out["SCREEN"] = out["N_OTHER_CORE"] >= s.min_other_core
    out["SCREEN_DAY"] = _screen_day(out, c, hlh)
    out = out[out["SCREEN"]]
    out["CRS_TIMING"] = _crs_timing(out["SCREEN_DAY"], crs_episodes)
    rep = _reported(ae, c)
    out = out.join(rep, how="outer")
    out["SCREEN"] = out["SCREEN"].astype("boolean").fillna(False).astype(bool)
    out["N_OTHER_CORE"] = out["N_OTHER_CORE"].fillna(0).astype(int)
    out["REPORTED"] = out["REPORTED_GRADE"].notna()
    out["STATUS"] = np.where(out["REPORTED"], np.where(out["SCREEN"], "reported and "
                                                       "screen-positive", "reported only"),
                             "screen-positive, not reported: review")
    out.index.name = "USUBJID"
    return out.reset_index().sort_values("USUBJID", kind="stable").reset_index(drop=True)


def _screen_day(out: pd.DataFrame, c: IecHsCriteria, hlh: pd.Series) -> np.ndarray:
    """The day the screen is met: the ferritin rise and the ``min_other_core``-th other core
    group, whichever comes later (NaN when not met)."""
    groups = dict.fromkeys(f.group for f in c.features if f.core and f.feature != c.screen.required)
    days = [out[[f"{f.feature}_DAY" for f in c.features if f.core and f.group == g
                 and f.feature != c.screen.required]].min(axis=1) for g in groups]
    stack = np.column_stack([*(d.to_numpy(dtype=float) for d in days),
                             hlh.reindex(out.index).to_numpy(dtype=float)])
    kth = np.sort(stack, axis=1)[:, c.screen.min_other_core - 1] if len(out) else np.zeros(0)
    return np.fmax(out["ONSET_DAY"].to_numpy(dtype=float), kth)


def _anchor(req: pd.DataFrame, hits: dict[str, pd.DataFrame], c: IecHsCriteria) -> pd.Series:
    """Onset per subject: the first record of the required feature (ferritin) with enough other
    core groups within the window, else the first such record. A ferritin rise with CRS days
    before the HLH-like picture does not become the onset of a later cluster."""
    r = req.sort_values(["USUBJID", "DAY"], kind="stable")
    k = r.groupby("USUBJID").cumcount().to_numpy()
    onset = r.groupby("USUBJID")["DAY"].min()
    found = pd.Series(False, index=onset.index)
    for i in range(int(k.max()) + 1 if len(k) else 0):
        a = r[k == i].set_index("USUBJID")["DAY"]
        a = a[~found.reindex(a.index).to_numpy()]
        met = _other_features(hits, c, a, pd.DataFrame(index=a.index)) >= c.screen.min_other_core
        onset[a.index[met.to_numpy()]] = a[met.to_numpy()]
        found[a.index[met.to_numpy()]] = True
    return onset


def _other_features(hits: dict[str, pd.DataFrame], c: IecHsCriteria, onset: pd.Series,
                    out: pd.DataFrame) -> pd.Series:
    """Adds <FEATURE>_DAY columns to ``out``; returns the core groups met per subject."""
    s = c.screen
    groups: dict[str, pd.Series] = {}
    for f in c.features:
        if f.feature == s.required:
            continue
        day = _first_near(hits[f.feature], onset, s.window_days)
        out[f"{f.feature}_DAY"] = day.reindex(onset.index)
        if f.core:
            met = day.reindex(onset.index).notna()
            groups[f.group] = groups.get(f.group, met) | met
    return sum((g.astype(int) for g in groups.values()), pd.Series(0, index=onset.index))


def iec_hs_table(iec: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Reported IEC-HS by ASTCT grade and laboratory-screen candidates, per dose level.

    Parameters
    ----------
    iec : pandas.DataFrame
        :func:`identify_iec_hs` output.
    subjects : pandas.DataFrame
        USUBJID, DOSE_LEVEL (the denominators).

    Returns
    -------
    pandas.DataFrame
        Tidy rows in the layout of :mod:`cartrial.safety.tables`.

    Raises
    ------
    InputError
        Missing columns.

    References
    ----------
    Hines MR et al. Transplant Cell Ther 2023;29(7):438.e1-438.e16.

    Examples
    --------
    >>> iec = pd.DataFrame({"USUBJID": ["P1"], "REPORTED_GRADE": [3.0], "SCREEN": [True]})
    >>> t = iec_hs_table(iec, pd.DataFrame({"USUBJID": ["P1"], "DOSE_LEVEL": ["1"]}))
    >>> t[(t.ROW == "IEC-HS reported: grade >= 3") & (t.COLUMN == "1")].VALUE.item()
    '1 (100.0%)'
    """
    require_columns(iec, ["USUBJID", "REPORTED_GRADE", "SCREEN"], where="iec_hs_table")
    g = iec["REPORTED_GRADE"]
    parts = [iec[g.notna()].assign(ROW="IEC-HS reported: any grade")]
    parts += [iec[g == k].assign(ROW=f"IEC-HS reported: grade {k}") for k in range(1, 6)]
    parts += [iec[g >= 3].assign(ROW="IEC-HS reported: grade >= 3")]
    screen = iec[iec["SCREEN"].astype(bool)]
    parts += [screen.assign(ROW="Laboratory screen positive (ferritin + 2 manifestations)"),
              screen[g.reindex(screen.index).isna()].assign(
                  ROW="Screen positive, no IEC-HS reported (medical review)")]
    rows = [("IEC-HS reported: any grade", 0)] + [
        (f"IEC-HS reported: grade {k}", 1) for k in range(1, 6)] + [
        ("IEC-HS reported: grade >= 3", 1),
        ("Laboratory screen positive (ferritin + 2 manifestations)", 0),
        ("Screen positive, no IEC-HS reported (medical review)", 1)]
    flags = pd.concat(parts, ignore_index=True)[["USUBJID", "ROW"]]
    return count_rows(flags, subjects, table=TABLE, rows=rows)
