"""IMWG 2016 confirmation: a response holds only when the next evaluable assessment agrees.

Kumar S et al., Lancet Oncol 2016;17:e328-46, section 4.4 ("two consecutive assessments");
the confirmation logic follows pharmaverse admiralonco ``vignettes/adrs_imwg.Rmd``; for pPCL
the response must persist for ``ppcl_min_persistence_days`` (Fernandez de Larrea C et al.,
Leukemia 2013;27:780-91).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.batches import subject_batches
from cartrial.efficacy.imwg_rules import RESPONSE_ORDER, RESPONSES
from cartrial.protocol.model import ImwgSettings

_R = RESPONSE_ORDER
#: subjects whose assessments are paired at once (:func:`_later`)
PAIR_SUBJECTS = 1000


def confirm_responses(
    classified: pd.DataFrame, settings: ImwgSettings | None = None, *, copy: bool = True
) -> pd.DataFrame:
    """Confirmed response at each assessment (4.4; admiralonco ``adrs_imwg``).

    A response needs the next evaluable assessment (NE skipped, before new therapy, within
    ``confirmation_window_days`` when set; for pPCL the confirming assessment is the first at
    least ``ppcl_min_persistence_days`` later and every assessment in between counts) to be at
    least as good: the confirmed category is the minimum over them, and any PD among them gives
    SD. PD needs the next evaluable assessment to be PD too; imaging and marrow results need
    no confirmation.

    Parameters
    ----------
    classified : pandas.DataFrame
        One row per assessment, in date order within subject (the output of
        :func:`classify_assessments`): USUBJID, ADT, AVALN (rank of the unconfirmed category,
        ``RESPONSE_ORDER``), ANL01FL ("Y" = used: before new therapy), PPCLFL ("Y" = pPCL
        patient), NEEDCONF (bool: a laboratory response that needs confirming), and DTHDT,
        DTHPDFL, NACTDT (death date, death due to progression, new therapy date).
    settings : ImwgSettings, optional
        ``protocol.imwg`` (NE skipping, confirmation window, PD at the last assessment).
    copy : bool, default True
        False: the columns are added to ``classified`` itself, which is returned (a caller
        that made it for this: no copy of its ~66 columns, 93,071 rows at 10,000 patients).

    Returns
    -------
    pandas.DataFrame
        A copy (``classified`` itself when not ``copy``) with CONFN (rank), CONFC (confirmed
        category), CONFADT (date of the confirming assessment) and CONFFL ("Y" when the
        response is confirmed as it stands).

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    PR then VGPR then PR: the first PR is confirmed; VGPR is confirmed only as PR; the last PR
    has nothing after it (SD).

    >>> from cartrial.efficacy.imwg_rules import RESPONSE_ORDER as R
    >>> c = pd.DataFrame({"USUBJID": "01", "AVALN": [R["PR"], R["VGPR"], R["PR"]],
    ...                   "ADT": pd.to_datetime(["2026-01-28", "2026-02-25", "2026-03-25"]),
    ...                   "ANL01FL": "Y", "PPCLFL": "N", "NEEDCONF": True, "DTHPDFL": None,
    ...                   "DTHDT": pd.NaT, "NACTDT": pd.NaT})
    >>> confirm_responses(c)[["CONFC", "CONFFL"]].to_numpy().tolist()
    [['PR', 'Y'], ['PR', None], ['SD', None]]
    >>> confirm_responses(c, copy=False) is c, "CONFC" in c
    (True, True)
    """
    s = settings or ImwgSettings()
    p = classified.copy() if copy else classified
    keep = p["ANL01FL"].eq("Y")
    if s.skip_ne_when_confirming:
        keep &= p["AVALN"] != _R["NE"]
    # with NE kept, an NE next assessment (level 0) confirms nothing: min <= PD gives SD
    ev = p[keep][["USUBJID", "ADT", "AVALN", "PPCLFL"]].copy()
    ev["_k"] = ev.groupby("USUBJID").cumcount()
    ev["_i"] = ev.index
    # each assessment is paired with its subject's later ones a batch of subjects at a time
    # (issue #18: a large trial's pairs at once held ~270 MiB); per assessment, as at once
    end_rows, min_later, next_row = (_joined(k) for k in zip(*(
        _later(ev.iloc[rows], s) for rows in subject_batches(ev["USUBJID"], PAIR_SUBJECTS)),
        strict=True))
    in_window = (
        end_rows["_gap"] <= s.confirmation_window_days
        if s.confirmation_window_days is not None
        else pd.Series(True, index=end_rows.index)
    )

    lvl = p["AVALN"].to_numpy()
    idx = p.index
    has_conf = idx.isin(end_rows.index[in_window.to_numpy()])
    mn = min_later.reindex(idx).to_numpy()
    nxt = next_row["AVALN_j"].reindex(idx).to_numpy()
    nxt_gap = next_row["_gap"].reindex(idx).to_numpy()
    nxt_ok = ~np.isnan(nxt)
    if s.confirmation_window_days is not None:
        nxt_ok &= nxt_gap <= s.confirmation_window_days
    needs = p["NEEDCONF"].to_numpy(dtype=bool)
    used = p["ANL01FL"].eq("Y").to_numpy() & (lvl != _R["NE"])

    conf_resp = np.where(
        has_conf, np.where(mn <= _R["PD"], _R["SD"], np.minimum(lvl, np.nan_to_num(mn))), _R["SD"]
    )
    conf_resp = np.where(needs, conf_resp, lvl)
    pd_confirmed = (~needs) | (nxt_ok & (nxt == _R["PD"]))
    last = np.isnan(nxt)  # no later evaluable assessment before new therapy
    if s.unconfirmed_pd_at_last_assessment == "progression":
        pd_confirmed = pd_confirmed | last
    elif s.unconfirmed_pd_at_last_assessment == "progression_if_pd_death":
        # admiralonco adrs_imwg: PD followed by death due to progression (before new therapy)
        died_pd = p["DTHPDFL"].eq("Y").to_numpy() & p["DTHDT"].notna().to_numpy()
        before_nact = (p["NACTDT"].isna() | (p["DTHDT"] < p["NACTDT"])).to_numpy()
        pd_confirmed = pd_confirmed | (last & died_pd & before_nact)
    conf_pd = np.where(pd_confirmed, _R["PD"], _R["NE"])
    conf = np.where(lvl == _R["PD"], conf_pd, conf_resp)
    conf = np.where(used, conf, _R["NE"]).astype(int)
    p["CONFN"] = conf
    p["CONFC"] = np.asarray(RESPONSES, dtype=object)[conf]
    # date of the assessment (or death) that confirmed it; own date when none is needed
    next_adt = next_row["ADT_j"].reindex(idx)
    end_adt = end_rows["ADT_j"].reindex(idx)
    own = p["ADT"]
    pd_conf_dt = np.where(
        ~needs, own, np.where(nxt_ok & (nxt == _R["PD"]), next_adt, np.where(last, p["DTHDT"], own))
    )
    if s.unconfirmed_pd_at_last_assessment == "progression":
        pd_conf_dt = np.where(needs & last, own, pd_conf_dt)
    resp_conf_dt = np.where(needs, end_adt, own)
    confadt = np.where(lvl == _R["PD"], pd_conf_dt, resp_conf_dt)
    p["CONFADT"] = pd.to_datetime(pd.Series(confadt, index=idx)).where(conf != _R["NE"])
    p["CONFFL"] = np.where(used & ((conf == lvl) | ~needs) & (conf != _R["NE"]), "Y", None)
    return p


def _later(ev: pd.DataFrame, s: ImwgSettings) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Per evaluable assessment (``_i``), from its subject's later ones: the end of its
    confirming stretch (``_gap``, ``ADT_j``), the lowest response within the stretch, and the
    next assessment (``AVALN_j``, ``_gap``, ``ADT_j``)."""
    pairs = ev.merge(ev, on="USUBJID", suffixes=("", "_j"))
    pairs = pairs[pairs["_k_j"] > pairs["_k"]]
    gap = (pairs["ADT_j"] - pairs["ADT"]).dt.days
    min_gap = np.where(pairs["PPCLFL"].eq("Y"), s.ppcl_min_persistence_days, 0)
    pairs = pairs.assign(_gap=gap, _reach=gap >= min_gap)
    # end of the confirming stretch: the first later assessment at or beyond the minimum gap
    first_reach = pairs[pairs["_reach"]].groupby("_i")["_k_j"].min()
    pairs["_end"] = pairs["_i"].map(first_reach)
    stretch = pairs[pairs["_k_j"] <= pairs["_end"]]
    end_rows = stretch[stretch["_k_j"] == stretch["_end"]].set_index("_i")
    min_later = stretch.groupby("_i")["AVALN_j"].min()
    next_row = pairs[pairs["_k_j"] == pairs["_k"] + 1].set_index("_i")
    return end_rows, min_later, next_row


def _joined(parts: tuple) -> pd.DataFrame | pd.Series:
    """The batches' per-assessment results as one (each assessment in one batch); a batch
    without rows is left out (its columns' dtypes are not the others')."""
    kept = [p for p in parts if len(p)] or list(parts[:1])
    return kept[0] if len(kept) == 1 else pd.concat(kept)
