"""Disease assessments of the example: what each visit measures and the IMWG course it shows.

At baseline (before lymphodepletion) and at the protocol's response visits (then every 90 days
to day 730) each patient's monoclonal protein, free light chains and immunofixation follow the
planned tumour fraction (:mod:`cartrial.example.disease`); bone marrow is examined at the MRD
visits and carried forward; pPCL patients have a blood smear. Values are rounded as the site
writes them (g/dL and mg/dL at the conventional-unit site). Responses are categorised by IMWG
(Kumar S et al., Lancet Oncol 2016;17:e328-46) and progression must be confirmed by a second
assessment, after which no further assessment is held and a new therapy starts 7-21 days later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.example import disease as dz
from cartrial.example.journey import FOLLOW_UP_END_DAY, visit_grid
from cartrial.protocol import Protocol


@dataclass(frozen=True)
class Assessments:
    """The disease assessments held and what follows from them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per assessment (``nom == -1`` is baseline): patient ``pat``, nominal and actual
        ``day``, the written values (``S``, ``U``, ``K``, ``L``, ``SIFE``, ``UIFE``, ``BM``,
        ``CLON``, ``PB``), the tumour fraction ``f``, and after baseline the IMWG category
        ``cat`` and confirmed category ``conf`` (ranks of :data:`cartrial.example.disease.RANKS`).
    pd_day : numpy.ndarray
        Day of the first of the two assessments confirming progression (``inf`` when none).
    new_therapy_day : numpy.ndarray
        Day the next anti-myeloma therapy starts (``inf`` when none).
    mrd_test, mrd_negative : numpy.ndarray
        Per row of ``table``: an MRD test is done; it is negative.
    """

    table: pd.DataFrame
    pd_day: np.ndarray
    new_therapy_day: np.ndarray
    mrd_test: np.ndarray
    mrd_negative: np.ndarray


def simulate_assessments(visits: np.random.Generator, events: np.random.Generator,
                         protocol: Protocol, dplan: pd.DataFrame, light: np.ndarray,
                         conv: np.ndarray, end_day: np.ndarray, base_day: np.ndarray,
                         hold: Callable | None = None) -> Assessments:
    """Hold every patient's disease assessments and derive the confirmed course.

    Parameters
    ----------
    visits : numpy.random.Generator
        The ``visits`` stream (the response schedule's visit shifts and misses).
    events : numpy.random.Generator
        The ``events`` stream (the delay from confirmed progression to the next therapy).
    protocol : Protocol
        Gives ``schedule.response`` and ``schedule.mrd``.
    dplan : pandas.DataFrame
        The disease plan of :func:`cartrial.example.disease.plan_disease`.
    light : numpy.ndarray
        Involved light chain per patient (``KAPPA`` or ``LAMBDA``).
    conv : numpy.ndarray
        True where the patient's site writes conventional units.
    end_day : numpy.ndarray
        Last day followed per patient.
    base_day : numpy.ndarray
        Day of the baseline assessment (negative: before the infusion).
    hold : callable, optional
        ``(patient, nominal, actual) -> (patient, nominal, actual)`` applied to the scheduled
        visits (the BOIN12 scenario holds each patient's decision visit on its drawn day:
        :func:`cartrial.example.boin12_efficacy.hold_visits`).

    Returns
    -------
    Assessments
        The assessments and the course they show.
    """
    n = len(end_day)
    apat, anom, aact = _schedule(visits, protocol, n, end_day, base_day, hold)
    a = _measurements(dplan, light, conv, apat, anom, aact, set(protocol.schedule.mrd.days))
    post, pd_day, last_keep = _confirmed_course(a, n)
    a = pd.concat([a[a["nom"] == -1], post], ignore_index=True).sort_values(
        ["pat", "day"], kind="stable").reset_index(drop=True)
    new_tx = np.where(np.isfinite(pd_day), last_keep + events.integers(7, 22, n), np.inf)
    # MRD at marrow visits for patients with deep response
    pat, f = a["pat"].to_numpy(), a["f"].to_numpy()
    mrd_test = a["marrow"].to_numpy() & (a["nom"].to_numpy() > 0) & (f < 0.1)
    mrd_neg = (mrd_test & dplan["mrd_capable"].to_numpy()[pat] & (f < 0.05)
               & (a["day"].to_numpy() < pd_day[pat]))
    return Assessments(a, pd_day, new_tx, mrd_test, mrd_neg)


def _schedule(visits, protocol, n, end_day, base_day, hold=None):  # noqa: ANN001, ANN202
    """(patient, nominal, actual day) of every assessment, baseline first, sorted by day."""
    rs = protocol.schedule.response
    days = sorted(set(rs.days) | set(range(max(rs.days) + 90, FOLLOW_UP_END_DAY + 1, 90)))
    ap, anom, aact = visit_grid(days, rs.window_days, n, end_day, visits, 0.03)
    if hold is not None:
        ap, anom, aact = hold(ap, anom, aact)
    apat = np.concatenate([np.arange(n), ap])
    anom = np.concatenate([np.full(n, -1), anom])
    aact = np.concatenate([base_day, aact])
    order = np.lexsort((aact, apat))
    return apat[order], anom[order], aact[order]


def _written(v: np.ndarray, conv: np.ndarray) -> np.ndarray:
    """A value in g/L or mg/L as written: 2 decimals in g/dL (mg/dL) at conventional sites."""
    return np.where(conv, np.round(v / 10, 2) * 10, np.round(v, 1))


def _measurements(dplan, light, conv, apat, anom, aact, mrd_days) -> pd.DataFrame:  # noqa: ANN001
    """Serum and urine M-protein, free light chains, immunofixation, marrow and blood."""
    f = dz.remaining_fraction(dplan, apat, np.maximum(aact, 0))
    f = np.where(anom == -1, 1.0, f)
    md = dplan["mdtype"].to_numpy()[apat]
    s_true = dplan["s0"].to_numpy()[apat] * f
    u_true = dplan["u0"].to_numpy()[apat] * f
    unv = dplan["uninv"].to_numpy()[apat]
    inv_true = unv * 1.6 + (dplan["inv0"].to_numpy()[apat] - unv * 1.6) * f
    # written values (rounding in the site's unit, then back to standard units)
    aconv = conv[apat]
    S = _written(np.where(s_true < dz.SERUM_DETECT_G_L, 0.0, s_true), aconv)
    U = np.where(u_true < dz.URINE_DETECT_MG, 0.0, np.round(u_true))
    K_inv, K_unv = _written(inv_true, aconv), _written(unv, aconv)
    is_k = light[apat] == "KAPPA"
    sife = np.where(md == "SERUM", s_true > dz.SERUM_IFE_G_L, (s_true > 0) | (u_true > 60))
    sife = np.where(md == "FLC", f > 0.01, sife)
    uife = np.where(md == "FLC", False, u_true > dz.URINE_IFE_MG)
    a = pd.DataFrame({"pat": apat, "nom": anom, "day": aact, "mdtype": md, "light": light[apat],
                      "S": S, "U": U, "K": np.where(is_k, K_inv, K_unv),
                      "L": np.where(is_k, K_unv, K_inv), "SIFE": sife, "UIFE": uife})
    for c, v in _marrow_and_blood(dplan, apat, anom, f, mrd_days).items():
        a[c] = v
    a["f"] = f
    return _with_baseline(a)


def _marrow_and_blood(dplan, apat, anom, f, mrd_days) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Marrow at the MRD visits (and baseline), carried forward; blood plasma cells for pPCL."""
    marrow = (anom == -1) | np.isin(anom, list(mrd_days))
    bm_true = np.clip(dplan["bm0"].to_numpy()[apat] * f ** 1.5, 0.4 + 1.2 * (apat % 3) / 2, 95)
    bm_true = np.where(anom == -1, dplan["bm0"].to_numpy()[apat], bm_true)
    bm_w = np.round(bm_true, 1)
    clon_w = f > 0.02
    BM = pd.Series(np.where(marrow, bm_w, np.nan)).groupby(apat).ffill().to_numpy()
    CLON = pd.Series(np.where(marrow, clon_w.astype(float), np.nan)).groupby(apat).ffill()
    ppcl = dplan["ppcl"].to_numpy()[apat]
    # blood smear of 200 cells: 0.5 % steps, nothing seen below 1 % (no grey zone in (0, 1))
    pb_true = np.minimum(dplan["pb0"].to_numpy()[apat] * f ** 2, 90)
    pb = np.where(ppcl, np.where(pb_true < 1.0, 0.0, np.round(pb_true * 2) / 2), np.nan)
    return {"BM": BM, "CLON": CLON.to_numpy() > 0.5, "PB": pb, "ppcl": ppcl, "marrow": marrow}


def _with_baseline(a: pd.DataFrame) -> pd.DataFrame:
    """Each row joined with its patient's baseline S0, U0, DFLC0 (involved - uninvolved), PB0."""
    bl = a[a["nom"] == -1].set_index("pat")
    inv_b = np.where(bl["light"] == "KAPPA", bl["K"], bl["L"])
    unv_b = np.where(bl["light"] == "KAPPA", bl["L"], bl["K"])
    base = pd.DataFrame({"S0": bl["S"].to_numpy(), "U0": bl["U"].to_numpy(),
                         "DFLC0": inv_b - unv_b, "PB0": bl["PB"].to_numpy()}, index=bl.index)
    return a.join(base, on="pat")


def _confirm(post: pd.DataFrame) -> np.ndarray:
    gap = np.where(post["ppcl"].to_numpy(bool), dz.PCL_PERSISTENCE_DAYS, 0)
    conf, _ = dz.confirm(post["pat"].to_numpy(), post["cat"].to_numpy(), post["day"].to_numpy(),
                         gap)
    return conf


def _confirmed_course(a: pd.DataFrame, n: int
                      ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Post-baseline rows categorised and confirmed, cut after the assessment confirming PD.

    Returns the rows kept, the day of the first of the two PD assessments and the day of the
    confirming one (``inf`` without confirmed progression).
    """
    post = a[a["nom"] != -1].reset_index(drop=True)
    post["cat"] = dz.imwg_category(post)
    post["conf"] = _confirm(post)
    # confirmed PD: first of two PD assessments; drop assessments after the confirming one
    pd_idx = post[post["conf"] == 6].groupby("pat").head(1)
    pd_day = pd.Series(np.inf, index=np.arange(n))
    pd_day[pd_idx["pat"].to_numpy()] = pd_idx["day"].to_numpy()
    conf_day = post.groupby("pat")["day"].shift(-1)
    last_keep = pd.Series(np.inf, index=np.arange(n))
    last_keep[pd_idx["pat"].to_numpy()] = conf_day[pd_idx.index].to_numpy()
    keep = post["day"].to_numpy() <= last_keep.to_numpy()[post["pat"].to_numpy()]
    post = post[keep].reset_index(drop=True)
    post["conf"] = _confirm(post)
    return post, pd_day.to_numpy(), last_keep.to_numpy()
