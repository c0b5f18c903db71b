"""Response to bridging therapy in the example trial: a pre-lymphodepletion disease assessment.

Patients with bridging therapy (CM CMCAT "BRIDGING THERAPY", dexamethasone between
leukapheresis and lymphodepletion) get a second pre-infusion disease assessment (LB serum and
urine M-protein, serum free light chains and their ratio; VISIT "PRE-LYMPHODEPLETION") one to
three days before the first lymphodepletion day. It is the last assessment before
lymphodepletion, hence the IMWG baseline of these patients (LBBLFL moves to it from the
screening records of the same tests), and the truth's post-infusion responses are recomputed
against it, as the efficacy engine computes them.

ASSUMPTION of the synthetic example (not a clinical finding): bridging multiplies the
involved disease burden (M-protein, involved FLC minus the uninvolved FLC) by a factor drawn
log-normally around 0.85 (a modest reduction with dexamethasone; sometimes no effect or growth),
clipped to [0.45, 1.5]; the post-infusion trajectory is unchanged. Draws come from the own
stream :data:`STREAM`, so every other value of the example stays as it was.

The screening assessment is dated two days before leukapheresis but never earlier than day
-27, so for a long vein-to-vein time it falls in the first days of bridging; its values are the
pre-bridging burden all the same (the bridging effect is applied at the pre-lymphodepletion
assessment only).

The truth's response to bridging (truth/bridging.csv) is the IMWG 2016 category (Kumar S et al.,
Lancet Oncol 2016;17:e328-46), unconfirmed, of the pre-lymphodepletion assessment against the
screening assessment, by the example's own rule implementation
(:func:`cartrial.example.disease.imwg_category`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cartrial.example import disease as dz

STREAM = "bridging"
VISIT = "PRE-LYMPHODEPLETION"
VISITNUM = -6.0
TESTS = ("MPROTEIN", "KAPPAFLC", "LAMBDFLC", "KAPLAMB")
EFFECT_MEDIAN, EFFECT_SDLOG, EFFECT_RANGE = 0.85, 0.2, (0.45, 1.5)


def pre_lymphodepletion(rng: np.random.Generator, bridged: np.ndarray, ld_first_day: int,
                        bridging_end_day: np.ndarray, a: pd.DataFrame, dplan: pd.DataFrame,
                        conv: np.ndarray) -> pd.DataFrame:
    """Pre-lymphodepletion assessments of bridged patients, in the assessment-frame format.

    Parameters
    ----------
    rng : numpy.random.Generator
        The :data:`STREAM` generator (one draw per patient and quantity, bridged or not).
    bridged : numpy.ndarray
        Bool per infused patient.
    ld_first_day : int
        First lymphodepletion day relative to the infusion (e.g. -5).
    bridging_end_day : numpy.ndarray
        Last bridging day per patient, relative to the infusion.
    a : pandas.DataFrame
        The example's assessment frame (screening rows have ``nom == -1``).
    dplan : pandas.DataFrame
        Disease plan (``s0``, ``u0``, ``inv0``, ``uninv`` per patient).
    conv : numpy.ndarray
        Bool per patient: the site reports conventional units (rounding as written).

    Returns
    -------
    pandas.DataFrame
        One row per bridged patient: pat, nom (-1), day, mdtype, light, S, U, K, L, effect.
    """
    n = len(bridged)
    effect = np.clip(np.exp(rng.normal(np.log(EFFECT_MEDIAN), EFFECT_SDLOG, n)), *EFFECT_RANGE)
    day = ld_first_day - rng.integers(1, 4, n)
    p = np.flatnonzero(bridged)
    day = np.maximum(day[p], bridging_end_day[p] + 1)
    b = effect[p]
    s_true = dplan["s0"].to_numpy()[p] * b
    u_true = dplan["u0"].to_numpy()[p] * b
    unv = dplan["uninv"].to_numpy()[p]
    inv_true = unv * 1.6 + (dplan["inv0"].to_numpy()[p] - unv * 1.6) * b
    c = conv[p]
    rnd = lambda v: np.where(c, np.round(v / 10, 2) * 10, np.round(v, 1))  # noqa: E731
    S = rnd(np.where(s_true < dz.SERUM_DETECT_G_L, 0.0, s_true))
    U = np.where(u_true < dz.URINE_DETECT_MG, 0.0, np.round(u_true))
    scr = a[a["nom"] == -1].set_index("pat")
    light = scr["light"].reindex(p).to_numpy()
    is_k = light == "KAPPA"
    return pd.DataFrame({"pat": p, "nom": -1, "day": day.astype(int),
                         "mdtype": scr["mdtype"].reindex(p).to_numpy(), "light": light,
                         "S": S, "U": U, "K": np.where(is_k, rnd(inv_true), rnd(unv)),
                         "L": np.where(is_k, rnd(unv), rnd(inv_true)), "SIFE": True,
                         "UIFE": True, "BM": np.nan, "CLON": True, "PB": np.nan, "ppcl": False,
                         "marrow": False, "f": 1.0, "effect": b})


def lb_rows(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The disease-assessment LB rows of the pre-lymphodepletion visit (tests :data:`TESTS`).

    ``frames`` are the rows the example writes for an assessment frame; only the tests of this
    visit are kept, with VISIT :data:`VISIT` and the baseline flag.
    """
    out = []
    for d in frames:
        d = d[d["LBTESTCD"].isin(TESTS)].copy()
        if len(d):
            d["VISIT"], d["VISITNUM"], d["LBBLFL"] = VISIT, VISITNUM, "Y"
            out.append(d)
    return out


def append_lb(lb: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """LB with the new rows appended: LBSEQ continues each subject's numbering.

    The screening records of the same tests lose LBBLFL for these subjects (the baseline is the
    last assessment before lymphodepletion). Rows are ordered by USUBJID and LBDTC (stable).
    """
    lb = lb.copy()
    subj = set(new["USUBJID"])
    unflag = (lb["USUBJID"].isin(subj) & (lb["LBCAT"] == "DISEASE ASSESSMENT")
              & lb["LBTESTCD"].isin(TESTS))
    lb.loc[unflag, "LBBLFL"] = ""
    new = new.reset_index(drop=True)
    last = lb.groupby("USUBJID")["LBSEQ"].max()
    new["LBSEQ"] = (new["USUBJID"].map(last).fillna(0).astype(int)
                    + new.groupby("USUBJID").cumcount() + 1)
    out = pd.concat([lb, new[lb.columns]], ignore_index=True)
    return out.sort_values(["USUBJID", "LBDTC"], kind="stable").reset_index(drop=True)


def rebase(a: pd.DataFrame, pre: pd.DataFrame,
           confirm: Callable[[pd.DataFrame], np.ndarray]) -> tuple[pd.DataFrame, np.ndarray]:
    """Assessment frame for the truth with the pre-lymphodepletion baseline of bridged patients.

    Returns the frame (pre rows added with ``nom == -1``; post-infusion ``cat``/``conf``
    recomputed against the new baseline) and the first confirmed-PD day per patient (inf: none).
    Patients without bridging keep exactly their values.
    """
    a = a.copy()
    p = pre["pat"].to_numpy()
    dflc = np.where(pre["light"] == "KAPPA", pre["K"] - pre["L"], pre["L"] - pre["K"])
    new0 = pd.DataFrame({"S0": pre["S"].to_numpy(), "U0": pre["U"].to_numpy(), "DFLC0": dflc},
                        index=p)
    m = a["pat"].isin(p)
    for c in ("S0", "U0", "DFLC0"):
        a.loc[m, c] = a.loc[m, "pat"].map(new0[c]).to_numpy()
    post = a[a["nom"] != -1].reset_index(drop=True)
    post.loc[post["pat"].isin(p), "cat"] = dz.imwg_category(post)[post["pat"].isin(p)]
    post["conf"] = confirm(post)
    rows = pre.drop(columns="effect").join(new0, on="pat")
    rows["PB0"] = rows["pat"].map(a.drop_duplicates("pat").set_index("pat")["PB0"])
    out = pd.concat([a[a["nom"] == -1], rows, post], ignore_index=True).sort_values(
        ["pat", "day"], kind="stable").reset_index(drop=True)
    n = int(a["pat"].max()) + 1 if len(a) else 0
    first = post[post["conf"] == 6].groupby("pat")["day"].min()
    return out, first.reindex(np.arange(n)).fillna(np.inf).to_numpy(float)


def truth(ids: np.ndarray, a: pd.DataFrame, pre: pd.DataFrame) -> pd.DataFrame:
    """truth/bridging.csv: per bridged patient the screening and pre-lymphodepletion values,
    the bridging effect drawn and the IMWG 2016 category (unconfirmed) of the second against
    the first."""
    scr = a[a["nom"] == -1].drop_duplicates("pat").set_index("pat").loc[pre["pat"]]
    inv = lambda f: np.where(f["light"] == "KAPPA", f["K"] - f["L"], f["L"] - f["K"])  # noqa
    x = pre.reset_index(drop=True).assign(
        S0=scr["S"].to_numpy(), U0=scr["U"].to_numpy(), DFLC0=inv(scr), PB0=np.nan)
    cat = dz.imwg_category(x) if len(x) else np.zeros(0, int)
    return pd.DataFrame({
        "USUBJID": ids[x["pat"].to_numpy()], "mdtype": x["mdtype"].to_numpy(),
        "bridging_effect": np.round(x["effect"].to_numpy(), 4),
        "day_pre_lymphodepletion": x["day"].to_numpy(),
        "serum_mprotein_screening": scr["S"].to_numpy(), "serum_mprotein_pre_ld": x["S"],
        "urine_mprotein_screening": scr["U"].to_numpy(), "urine_mprotein_pre_ld": x["U"],
        "dflc_screening": x["DFLC0"], "dflc_pre_ld": inv(x),
        "response_to_bridging": np.array(dz.RANKS, dtype=object)[cat]})
