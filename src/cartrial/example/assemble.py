"""Patient journeys -> SDTM domains and truth tables (vectorised over patients and visits).

Journey: consent and screening, leukapheresis, rare bridging, lymphodepletion (days -5 to -3),
infusion on day 0, scheduled visits within their windows (some missed, some unscheduled),
follow-up until death, withdrawal, loss to follow-up, completion or the data cut-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example import baseline as bsl
from cartrial.example import baskets as bk
from cartrial.example import bridging as br
from cartrial.example import crs as crs_mod
from cartrial.example import crs_records as cr
from cartrial.example import disease as dz
from cartrial.example import haematology as hx
from cartrial.example import kinetics as kin
from cartrial.example import labs as lb
from cartrial.example.conduct import Enrolment
from cartrial.example.manufacturing import OUT_OF_SPEC, exposure_truth
from cartrial.example.population import CONVENTIONAL_SITE, Pool
from cartrial.example.scenarios import Scenario
from cartrial.example.sdtm import (
    NAT,
    STUDYID,
    fmt_date,
    fmt_datetime,
    fmt_num,
    fmt_sig,
    frame,
    study_day,
)
from cartrial.protocol import Protocol

D = "timedelta64[D]"
FOLLOW_UP_END_DAY = 730


def _grid(days: list[int], window: int, n: int, end_day: np.ndarray, rng: np.random.Generator,
          p_miss: float, jitter_from: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(patient, nominal day, actual day) of a schedule, jittered in its window, cut at end."""
    nom = np.asarray(sorted(days))
    gaps = np.diff(nom)
    left = np.concatenate([[window], (gaps - 1) // 2])
    right = np.concatenate([(gaps - 1) // 2, [window]])
    w = np.minimum(window, np.minimum(left, right))
    w = np.where(nom >= jitter_from, w, 0)
    pat = np.repeat(np.arange(n), len(nom))
    nd = np.tile(nom, n)
    ww = np.tile(w, n)
    act = nd + np.round(rng.uniform(-1, 1, len(nd)) * ww).astype(int)
    keep = (act <= end_day[pat]) & ~((rng.random(len(nd)) < p_miss) & (nd > 0))
    return pat[keep], nd[keep], act[keep]


def build(rng: dict, protocol: Protocol, sc: Scenario, pool: Pool, enr: Enrolment,
          cutoff: np.datetime64 | None = None, subject_offset: int = 0, subject_width: int = 3
          ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Every SDTM domain and truth table of the trial (or of one chunk of its patients:
    ``cutoff`` is then the trial's data cut-off and subjects are numbered from
    ``subject_offset + 1``)."""
    k = len(protocol.dose_levels)
    E = len(enr.pool_index)
    pi = enr.pool_index
    subjid = np.char.zfill(np.arange(subject_offset + 1, subject_offset + E + 1).astype(str),
                           subject_width)
    site = pool.site[pi]
    usubjid = np.char.add(np.char.add(f"{STUDYID}-", np.char.add(site, "-")), subjid).astype(object)
    infused = ~np.isnat(enr.infusion)
    I = np.flatnonzero(infused)  # noqa: E741
    n = len(I)
    inf = enr.infusion[I]
    dose_idx = enr.dose[I]
    doses = np.array([d.dose for d in protocol.dose_levels])
    if cutoff is None:
        cutoff = data_cutoff(enr, sc)
    ids = usubjid[I]
    psite = site[I]
    conv = psite == CONVENTIONAL_SITE
    weight = pool.weight[pi][I]
    dlt_type = np.where(enr.dlt[I], pool.dlt_type[pi][I], "")
    dlt_onset = pool.dlt_onset[pi][I]

    # ---------------------------------------------------------------- CRS / ICANS plan
    r = rng["crs"]
    plan = crs_mod.plan_crs(r, dose_idx, np.asarray(sc.dose_value(sc.crs_prob, k)), dlt_type,
                            dlt_onset, sc.crs_grade2_fraction, sc.crs_grade3_fraction,
                            sc.crs_onset_median_days, sc.crs_duration_median_days, sc.icans_prob)
    # ---------------------------------------------------------------- disease plan
    rd = rng["disease"]
    dplan = dz.plan_disease(rd, pool.mdtype[pi][I], pool.ppcl[pi][I], sc.response_probs,
                            sc.early_progression_fraction, sc.pfs_median_months_responders,
                            sc.mrd_negative_fraction)
    light = pool.light[pi][I]
    # ---------------------------------------------------------------- survival / disposition
    re = rng["events"]
    t_pd = dplan["t_pd"].to_numpy()
    death = np.where(np.isfinite(t_pd), t_pd + 45 + re.exponential(330, n), np.inf)
    nrm = re.random(n) < 0.03
    death = np.where(nrm, np.minimum(death, re.uniform(45, 400, n)), death)
    wd = np.where(re.random(n) < 0.03, re.uniform(60, 500, n), np.inf)
    ltfu = np.where(re.random(n) < 0.02, re.uniform(90, 600, n), np.inf)
    to_cut = (cutoff - inf).astype(int)
    death_d = np.floor(death).astype(float)
    end_candidates = np.vstack([death_d, np.floor(wd), np.floor(ltfu),
                                to_cut.astype(float), np.full(n, FOLLOW_UP_END_DAY)])
    why = np.argmin(end_candidates, axis=0)
    end_day = end_candidates.min(axis=0).astype(int)
    died = why == 0
    nrm_death = died & nrm & (death_d < t_pd)

    # ---------------------------------------------------------------- CRS / ICANS records
    obs = cr.crs_observations(r, plan, inf, end_day)
    cobs, therapy = obs["obs"], obs["therapy"]
    iobs = cr.icans_observations(rng["icans"], plan, end_day)
    ep_c = cr.episodes(cobs, "CRS")
    ep_i = cr.episodes(iobs, "ICANS")

    # ---------------------------------------------------------------- disease assessments
    rs = protocol.schedule.response
    days = sorted(set(rs.days) | set(range(max(rs.days) + 90, FOLLOW_UP_END_DAY + 1, 90)))
    ap, anom, aact = _grid(days, rs.window_days, n, end_day, rng["visits"], 0.03)
    base_day = -np.minimum(pool.aph_to_inf[pi][I] + 2, 27)
    apat = np.concatenate([np.arange(n), ap])
    anom = np.concatenate([np.full(n, -1), anom])
    aact = np.concatenate([base_day, aact])
    order = np.lexsort((aact, apat))
    apat, anom, aact = apat[order], anom[order], aact[order]
    f = dz.remaining_fraction(dplan, apat, np.maximum(aact, 0))
    f = np.where(anom == -1, 1.0, f)
    md = dplan["mdtype"].to_numpy()[apat]
    s_true = dplan["s0"].to_numpy()[apat] * f
    u_true = dplan["u0"].to_numpy()[apat] * f
    unv = dplan["uninv"].to_numpy()[apat]
    inv_true = unv * 1.6 + (dplan["inv0"].to_numpy()[apat] - unv * 1.6) * f
    # written values (rounding in the site's unit, then back to standard units)
    aconv = conv[apat]
    S = np.where(s_true < dz.SERUM_DETECT_G_L, 0.0, s_true)
    S = np.where(aconv, np.round(S / 10, 2) * 10, np.round(S, 1))
    U = np.where(u_true < dz.URINE_DETECT_MG, 0.0, np.round(u_true))
    K_inv = np.where(aconv, np.round(inv_true / 10, 2) * 10, np.round(inv_true, 1))
    K_unv = np.where(aconv, np.round(unv / 10, 2) * 10, np.round(unv, 1))
    is_k = light[apat] == "KAPPA"
    kap = np.where(is_k, K_inv, K_unv)
    lam = np.where(is_k, K_unv, K_inv)
    sife = np.where(md == "SERUM", s_true > dz.SERUM_IFE_G_L, (s_true > 0) | (u_true > 60))
    uife = u_true > dz.URINE_IFE_MG
    sife = np.where(md == "FLC", f > 0.01, sife)
    uife = np.where(md == "FLC", False, uife)
    # marrow at the MRD visits (and baseline), carried forward; blood plasma cells for pPCL
    mrd_days = set(protocol.schedule.mrd.days)
    marrow = (anom == -1) | np.isin(anom, list(mrd_days))
    bm_true = np.clip(dplan["bm0"].to_numpy()[apat] * f ** 1.5, 0.4 + 1.2 * (apat % 3) / 2, 95)
    bm_true = np.where(anom == -1, dplan["bm0"].to_numpy()[apat], bm_true)
    bm_w = np.round(bm_true, 1)
    clon_w = f > 0.02
    BM = pd.Series(np.where(marrow, bm_w, np.nan)).groupby(apat).ffill().to_numpy()
    CLON = pd.Series(np.where(marrow, clon_w.astype(float), np.nan)).groupby(apat).ffill()
    CLON = CLON.to_numpy() > 0.5
    ppcl = dplan["ppcl"].to_numpy()[apat]
    # blood smear of 200 cells: 0.5 % steps, nothing seen below 1 % (no grey zone in (0, 1))
    pb_true = np.minimum(dplan["pb0"].to_numpy()[apat] * f ** 2, 90)
    pb = np.where(ppcl, np.where(pb_true < 1.0, 0.0, np.round(pb_true * 2) / 2), np.nan)
    a = pd.DataFrame({"pat": apat, "nom": anom, "day": aact, "mdtype": md, "light": light[apat],
                      "S": S, "U": U, "K": kap, "L": lam, "SIFE": sife, "UIFE": uife, "BM": BM,
                      "CLON": CLON, "PB": pb, "ppcl": ppcl, "marrow": marrow, "f": f})
    bl = a[a["nom"] == -1].set_index("pat")
    inv_b = np.where(bl["light"] == "KAPPA", bl["K"], bl["L"])
    unv_b = np.where(bl["light"] == "KAPPA", bl["L"], bl["K"])
    base = pd.DataFrame({"S0": bl["S"].to_numpy(), "U0": bl["U"].to_numpy(),
                         "DFLC0": inv_b - unv_b, "PB0": bl["PB"].to_numpy()}, index=bl.index)
    a = a.join(base, on="pat")
    post = a[a["nom"] != -1].reset_index(drop=True)
    post["cat"] = dz.imwg_category(post)
    post["conf"] = _confirm(post)
    # confirmed PD: first of two PD assessments; drop assessments after the confirming one
    pd_first = (post["conf"] == 6)
    pd_idx = post[pd_first].groupby("pat").head(1)
    pd_day = pd.Series(np.inf, index=np.arange(n))
    pd_day[pd_idx["pat"].to_numpy()] = pd_idx["day"].to_numpy()
    conf_day = post.groupby("pat")["day"].shift(-1)
    last_keep = pd.Series(np.inf, index=np.arange(n))
    last_keep[pd_idx["pat"].to_numpy()] = conf_day[pd_idx.index].to_numpy()
    keep = post["day"].to_numpy() <= last_keep.to_numpy()[post["pat"].to_numpy()]
    post = post[keep].reset_index(drop=True)
    post["conf"] = _confirm(post)
    a = pd.concat([a[a["nom"] == -1], post], ignore_index=True).sort_values(
        ["pat", "day"], kind="stable").reset_index(drop=True)
    # new therapy after confirmed PD; death cause
    pdd = pd_day.to_numpy()
    new_tx = np.where(np.isfinite(pdd), last_keep.to_numpy() + re.integers(7, 22, n), np.inf)
    # MRD at marrow visits for patients with deep response
    mrd_test = a["marrow"].to_numpy() & (a["nom"].to_numpy() > 0) & (a["f"].to_numpy() < 0.1)
    mrd_neg = (mrd_test & dplan["mrd_capable"].to_numpy()[a["pat"].to_numpy()]
               & (a["f"].to_numpy() < 0.05) & (a["day"].to_numpy() < pdd[a["pat"].to_numpy()]))

    # ---------------------------------------------------------------- kinetics
    rk = rng["kinetics"]
    kp = kin.plan_kinetics(rk, doses[dose_idx], plan.crs_grade, sc.cmax_median_copies,
                           sc.cmax_dose_exponent, doses[0] if k else 1.0)
    ks = protocol.schedule.kinetics
    kpat, knom, kact = _grid(ks.days, ks.window_days, n, end_day, rng["visits"], 0.03)
    conc = kin.expansion_curve(kp, kpat, kact) * np.exp(rk.normal(0, 0.15, len(kpat)))
    flow = conc * kp["flow_ratio"].to_numpy()[kpat] * np.exp(rk.normal(0, 0.2, len(kpat)))

    # ---------------------------------------------------------------- safety labs
    rl = rng["labs"]
    cyto_dlt = dlt_type == "CYTO4_D28"
    cplan = lb.plan_counts(rl, n, cyto_dlt)
    sl = protocol.schedule.safety_labs
    lpat, lnom, lact = _grid(sl.days, sl.window_days, n, end_day, rng["visits"], 0.02)
    scr = np.arange(n)
    lpat = np.concatenate([scr, lpat])
    lnom = np.concatenate([np.full(n, -28), lnom])
    lact = np.concatenate([base_day - 3, lact])
    # unscheduled: a repeat count on day 30 for the cytopenia DLT and 10 % of the others
    rep = np.flatnonzero((cyto_dlt | (rl.random(n) < 0.1)) & (end_day >= 31))
    lpat = np.concatenate([lpat, rep])
    lnom = np.concatenate([lnom, np.full(len(rep), -999)])
    lact = np.concatenate([lact, np.full(len(rep), 30)])
    hp = hx.plan(rng[hx.STREAM], cplan, end_day, dlt_type, ep_c)   # ICAHT / IEC-HS phenotypes
    lpat, lnom, lact = hx.add_visits(hp, cplan, lpat, lnom, lact, end_day)
    vals = lb.true_counts(cplan, lpat, lact, plan.crs_grade, plan.crs_onset)
    hx.apply(hp, lpat, lact, vals, psite)

    # ---------------------------------------------------------------- assemble domains
    ctx = _Ctx(usubjid=ids, inf=inf, site=psite, conv=conv, end_day=end_day)
    domains: dict[str, pd.DataFrame] = {}
    domains["VS"] = _vs(ctx, cobs, weight, pool.height[pi][I], base_day, rng["untidy"])
    domains["FA"], domains["QS"] = _fa_qs(ctx, cobs, iobs)
    lab_frames, cyto_runs = _lab_rows(ctx, lpat, lnom, lact, vals, rng["untidy"])
    dis_frames = _disease_rows(ctx, a, mrd_test, mrd_neg, rng["untidy"])
    # response to bridging: pre-lymphodepletion assessment (example/bridging.py, own stream)
    pre = br.pre_lymphodepletion(rng[br.STREAM], pool.bridging[pi][I], min(
        d for ag in protocol.lymphodepletion.agents for d in ag.days), (enr.apheresis[I] - inf
        ).astype(int) + 5, a, dplan, conv)
    a_truth, pdd_truth = br.rebase(a, pre, _confirm)
    cyt_frames = _cytokine_rows(ctx, plan, kp, protocol, rng["kinetics"])
    lab_frames.append(hx.lab_rows(ctx, hp, lpat, lnom, lact))
    # baseline disease characteristics (example/baseline.py, own stream)
    bvals = bsl.baseline_values(rng["baseline"], n, np.searchsorted(np.array(["001", "002", "003"]),
                                                                    psite))
    scr = fmt_date(ctx.date(np.arange(n), base_day - 3))
    base_lb = bsl.lb_rows(ids, scr, ctx.dy(np.arange(n), base_day - 3), base_day - 3, bvals)
    domains["LB"] = _finish_lb(pd.concat(lab_frames + dis_frames + cyt_frames + base_lb,
                                         ignore_index=True))
    pre_lb = br.lb_rows(_disease_rows(ctx, pre, *[np.zeros(len(pre), bool)] * 2, None))
    if pre_lb:
        domains["LB"] = br.append_lb(domains["LB"], _finish_lb(pd.concat(pre_lb)))
    domains["PC"] = _pc(ctx, kpat, knom, kact, conc, flow)
    domains["IS"] = _is(ctx, protocol, rng["kinetics"], sc.ada_fraction)
    extra_ae = [hx.ae_rows(hp), bk.plan_events(rng[bk.STREAM], end_day, dlt_type)]
    ae, ae_truth = _ae(ctx, ep_c, ep_i, cyto_runs, dlt_type, dlt_onset, nrm_death, death_d,
                       rng["events"], rng["untidy"], extra_ae)
    domains["AE"] = ae
    domains["CM"], lines = _cm(ctx, cobs, therapy, weight, ep_i, new_tx, pool.bridging[pi][I],
                               enr.apheresis[I], rng["events"], rng["baseline"])
    domains["SUPPCM"] = bsl.suppcm(ids, lines, STUDYID)
    domains["RS"] = frame("RS", {c: v.to_numpy() for c, v in bsl.rs_ecog(ids, scr, bvals[
        "ecog"].to_numpy()).items()}, ["USUBJID", "RSDTC"])
    dm, ds, mh, pr, ex = _subject_level(protocol, enr, pool, usubjid, subjid, site, I, end_day,
                                        why, died, nrm_death, death_d, rng["events"])
    domains.update(DM=dm, DS=ds, MH=mh, PR=pr, EX=ex, SUPPDM=_suppdm(usubjid, enr))

    # ---------------------------------------------------------------- truth tables
    truth = _truth(ctx, enr, I, protocol, plan, ep_c, ep_i, a_truth, pdd_truth, death_d, died,
                   new_tx, kp, kpat, kact, conc, dplan, dlt_type, dlt_onset, ae_truth,
                   enr.apheresis[I], nrm_death, pool.dlt_detect_day()[pi][I])
    truth["baseline"] = bsl.truth(ids, bvals, lines)
    truth["bridging"] = br.truth(ids, a, pre)
    truth["exposure"] = exposure_truth(usubjid, enr, protocol)
    truth.update(hx.truth(ids, hp), **bk.truth(ae_truth))
    return domains, truth


def _confirm(post: pd.DataFrame) -> np.ndarray:
    gap = np.where(post["ppcl"].to_numpy(bool), dz.PCL_PERSISTENCE_DAYS, 0)
    conf, _ = dz.confirm(post["pat"].to_numpy(), post["cat"].to_numpy(), post["day"].to_numpy(),
                         gap)
    return conf


def data_cutoff(enr: Enrolment, sc: Scenario) -> np.datetime64:
    """Data cut-off: the last infusion plus the scenario's follow-up."""
    inf = enr.infusion[~np.isnat(enr.infusion)]
    last = inf.max() if len(inf) else enr.apheresis.max()
    return last + np.timedelta64(sc.follow_up_after_last_days, "D")


class _Ctx:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def date(self, pat: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.inf[pat] + np.asarray(day).astype(int).astype(D)

    def dy(self, pat: np.ndarray, day: np.ndarray) -> np.ndarray:
        day = np.asarray(day)
        return np.where(day >= 0, day + 1, day)


def _vs(ctx: _Ctx, cobs: pd.DataFrame, weight: np.ndarray, height: np.ndarray,
        base_day: np.ndarray, ru: np.random.Generator) -> pd.DataFrame:
    vs, _ = cr.crs_vs_fa(cobs, ctx.usubjid, ctx.inf, None)
    p = vs["pat"]
    n = len(ctx.inf)
    # weight at screening and monthly (GPRC5D-related weight loss in some patients)
    wdays = np.array([0, 28, 56, 90, 180, 270, 365])
    wp = np.repeat(np.arange(n), len(wdays))
    wd = np.tile(wdays, n)
    loss = np.where(ru.random(n) < 0.2, ru.uniform(0.05, 0.14, n), ru.uniform(0, 0.03, n))
    wv = weight[wp] * (1 - loss[wp] * np.minimum(wd / 90, 1))
    keep = wd <= ctx.end_day[wp]
    wp, wd, wv = wp[keep], wd[keep], wv[keep]
    lbs = ctx.site[wp] == "002"
    sp = np.arange(n)
    cols = {
        "USUBJID": np.concatenate([ctx.usubjid[p], ctx.usubjid[wp], ctx.usubjid[sp]]),
        "VSTESTCD": np.concatenate([vs["VSTESTCD"], np.full(len(wp), "WEIGHT"),
                                    np.full(n, "HEIGHT")]),
        "VSTEST": np.concatenate([vs["VSTEST"], np.full(len(wp), "Weight"),
                                  np.full(n, "Height")]),
        "VSORRES": np.concatenate([vs["VSORRES"], np.where(lbs, fmt_num(wv * 2.20462, 1),
                                                           fmt_num(wv, 1)), fmt_num(height, 0)]),
        "VSORRESU": np.concatenate([vs["VSORRESU"], np.where(lbs, "LB", "kg"),
                                    np.full(n, "cm")]),
        "VSDTC": np.concatenate([vs["dtc"], fmt_date(ctx.date(wp, wd)),
                                 fmt_date(ctx.date(sp, base_day))]),
        "VISIT": np.concatenate([np.char.add("DAY ", vs["day"].astype(str)),
                                 np.char.add("DAY ", wd.astype(str)), np.full(n, "SCREENING")]),
        "VISITNUM": np.concatenate([vs["day"], wd, np.full(n, -28)]).astype(float),
        "VSDY": np.concatenate([ctx.dy(p, vs["day"]), ctx.dy(wp, wd), ctx.dy(sp, base_day)]),
    }
    cols["VSBLFL"] = np.where((cols["VSTESTCD"] == "WEIGHT") & (cols["VISITNUM"] == 0) |
                              (cols["VSTESTCD"] == "HEIGHT"), "Y", "")
    return frame("VS", cols, ["USUBJID", "VSDTC", "VSTESTCD"])


def _fa_qs(ctx: _Ctx, cobs: pd.DataFrame, iobs: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    _, fa = cr.crs_vs_fa(cobs, ctx.usubjid, ctx.inf, None)
    ip = iobs["pat"].to_numpy()
    iday = iobs["day"].to_numpy()
    idtc = fmt_datetime(ctx.date(ip, iday), iobs["minute"].to_numpy())
    m = len(ip)
    loc = iobs["loc"].to_numpy()
    has_loc = loc != ""          # LOC only when consciousness is depressed
    everyone = np.ones(m, bool)
    neuro = [("LOC", "Level of Consciousness", loc, has_loc),
             ("SEIZURE", "Seizure", iobs["seizure"].to_numpy(), everyone),
             ("MOTOR", "Motor Findings", iobs["motor"].to_numpy(), everyone),
             ("ICPOED", "Raised ICP or Cerebral Oedema", iobs["icp"].to_numpy(), everyone),
             ("NEUOTH", "Neurologic Findings Other Cause", np.full(m, "N", dtype=object),
              everyone)]
    k = sum(int(w.sum()) for *_, w in neuro)
    dy = ctx.dy(ip, iday)
    fcols = {
        "USUBJID": np.concatenate([ctx.usubjid[fa["pat"]]]
                                  + [ctx.usubjid[ip][w] for *_, w in neuro]),
        "FATESTCD": np.concatenate([fa["FATESTCD"]]
                                   + [np.full(w.sum(), c) for c, _, _, w in neuro]),
        "FATEST": np.concatenate([fa["FATEST"]] + [np.full(w.sum(), t) for _, t, _, w in neuro]),
        "FAOBJ": np.concatenate([fa["FAOBJ"], np.full(k, cr.ICANS_OBJ)]),
        "FAORRES": np.concatenate([fa["FAORRES"]] + [v[w] for _, _, v, w in neuro]),
        "FAORRESU": np.concatenate([fa["FAORRESU"], np.full(k, "")]),
        "FADTC": np.concatenate([fa["dtc"]] + [idtc[w] for *_, w in neuro]),
        "FADY": np.concatenate([ctx.dy(fa["pat"], fa["day"])] + [dy[w] for *_, w in neuro]),
    }
    fadf = frame("FA", fcols, ["USUBJID", "FADTC", "FAOBJ", "FATESTCD"])
    names = ["ICE Orientation", "ICE Naming", "ICE Following Commands", "ICE Writing",
             "ICE Attention", "ICE Total Score"]
    vals = [iobs[f"ICE0{j}"].to_numpy() for j in range(1, 6)] + [iobs["ice"].to_numpy()]
    qcols = {
        "USUBJID": np.tile(ctx.usubjid[ip], 6),
        "QSCAT": np.full(6 * m, "ICE"),
        "QSTESTCD": np.repeat([f"ICE0{j}" for j in range(1, 7)], m),
        "QSTEST": np.repeat(names, m),
        "QSORRES": np.concatenate([fmt_num(v, 0) for v in vals]),
        "QSSTRESN": np.concatenate(vals).astype(float),
        "QSDTC": np.tile(idtc, 6),
        "QSDY": np.tile(ctx.dy(ip, iday), 6),
    }
    qcols["QSSTRESC"] = qcols["QSORRES"]
    return fadf, frame("QS", qcols, ["USUBJID", "QSDTC", "QSTESTCD"])


def _units(test: str, conv: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """(ORRES text, ORRESU, value written in SI) for one test at mixed-unit sites."""
    _, _, si, cu, fac, dsi, dcu, _ = lb.LAB_TESTS[test]
    w_si = np.round(v, dsi)
    w_cu = np.round(v * fac, dcu)
    txt = np.where(conv, fmt_num(w_cu, dcu), fmt_num(w_si, dsi))
    unit = np.where(conv, cu, si)
    back = np.where(conv, w_cu / fac, w_si)
    return txt, unit, back


def _lab_rows(ctx: _Ctx, lpat, lnom, lact, vals, ru) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    frames = []
    runs = []
    site_i = np.searchsorted(np.array(["001", "002", "003"]), ctx.site[lpat])
    conv = ctx.conv[lpat]
    visit = np.where(lnom == -28, "SCREENING", np.where(lnom == -999, "UNSCHEDULED",
                                                        np.char.add("DAY ", lnom.astype(str))))
    vnum = np.where(lnom == -999, lact + 0.01, lnom).astype(float)
    for test, (name, cat, _si, _cu, fac, dsi, dcu, ranges) in lb.LAB_TESTS.items():
        if test in ("IGG",):
            keep = np.isin(lnom, [-28, 28, 90, 180, 365])
        else:
            keep = np.ones(len(lpat), bool)
        txt, unit, back = _units(test, conv, vals[test])
        lo = np.array([r[0] for r in ranges])[site_i]
        hi = np.array([r[1] for r in ranges])[site_i]
        lo_t = np.where(conv, fmt_num(lo * fac, dcu), fmt_num(lo, dsi))
        hi_t = np.where(conv, fmt_num(hi * fac, dcu), fmt_num(hi, dsi))
        frames.append(pd.DataFrame({
            "USUBJID": ctx.usubjid[lpat][keep], "LBTESTCD": test, "LBTEST": name, "LBCAT": cat,
            "LBSPEC": "BLOOD" if cat == "HEMATOLOGY" else "SERUM", "LBORRES": txt[keep],
            "LBORRESU": unit[keep], "LBORNRLO": lo_t[keep], "LBORNRHI": hi_t[keep],
            "LBDTC": fmt_date(ctx.date(lpat, lact))[keep], "VISIT": visit[keep],
            "VISITNUM": vnum[keep], "LBDY": ctx.dy(lpat, lact)[keep],
            "LBBLFL": np.where(lnom == -5, "Y", "")[keep], "_pat": lpat[keep],
            "_day": lact[keep]}))
        if test in lb.CTCAE_LOW:
            lln_back = np.where(conv, np.round(lo * fac, dcu) / fac, lo)
            g = lb.ctcae_low_grade(test, back, lln_back)
            runs.append(pd.DataFrame({"pat": lpat, "day": lact, "test": test, "grade": g}))
    return frames, pd.concat(runs, ignore_index=True)


def _disease_rows(ctx: _Ctx, a: pd.DataFrame, mrd_test, mrd_neg, ru) -> list[pd.DataFrame]:
    p = a["pat"].to_numpy()
    day = a["day"].to_numpy()
    nom = a["nom"].to_numpy()
    conv = ctx.conv[p]
    dtc = fmt_date(ctx.date(p, day))
    visit = np.where(nom == -1, "SCREENING", np.char.add("DAY ", nom.astype(str)))
    vnum = np.where(nom == -1, -28, nom).astype(float)
    dy = ctx.dy(p, day)
    blfl = np.where(nom == -1, "Y", "")
    out = []

    def add(mask, test, name, spec, orres, unit, **extra):
        d = pd.DataFrame({"USUBJID": ctx.usubjid[p][mask], "LBTESTCD": test, "LBTEST": name,
                          "LBCAT": "DISEASE ASSESSMENT", "LBSPEC": spec,
                          "LBORRES": np.asarray(orres, dtype=object)[mask],
                          "LBORRESU": np.asarray(unit, dtype=object)[mask]
                          if np.ndim(unit) else unit,
                          "LBDTC": dtc[mask], "VISIT": visit[mask], "VISITNUM": vnum[mask],
                          "LBDY": dy[mask], "LBBLFL": blfl[mask], "_pat": p[mask],
                          "_day": day[mask]})
        for c, v in extra.items():
            d[c] = np.asarray(v, dtype=object)[mask] if np.ndim(v) else v
        out.append(d)

    S = a["S"].to_numpy()
    allr = np.ones(len(p), bool)
    add(allr, "MPROTEIN", "Monoclonal Protein", "SERUM",
        np.where(conv, fmt_num(S / 10, 2), fmt_num(S, 1)), np.where(conv, "g/dL", "g/L"))
    md = a["mdtype"].to_numpy()
    urine = md != "FLC"
    add(urine, "MPROTEIN", "Monoclonal Protein", "URINE", fmt_num(a["U"].to_numpy(), 0),
        "mg/24h")
    K, L = a["K"].to_numpy(), a["L"].to_numpy()
    add(allr, "KAPPAFLC", "Kappa Lt Chain", "SERUM",
        np.where(conv, fmt_num(K / 10, 2), fmt_num(K, 1)), np.where(conv, "mg/dL", "mg/L"),
        LBORNRLO=np.where(conv, "0.33", "3.3"), LBORNRHI=np.where(conv, "1.94", "19.4"))
    add(allr, "LAMBDFLC", "Lambda Lt Chain", "SERUM",
        np.where(conv, fmt_num(L / 10, 2), fmt_num(L, 1)), np.where(conv, "mg/dL", "mg/L"),
        LBORNRLO=np.where(conv, "0.57", "5.7"), LBORNRHI=np.where(conv, "2.63", "26.3"))
    rt, _ = fmt_sig(K / L, 3)
    add(allr, "KAPLAMB", "Kappa Lt Chain", "SERUM", rt, "RATIO", LBORNRLO="0.26",
        LBORNRHI="1.65")
    pn = lambda b: np.where(b, "POSITIVE", "NEGATIVE")  # noqa: E731
    add(allr, "IMFIX", "Immunofixation", "SERUM", pn(a["SIFE"].to_numpy()), "")
    add(allr, "IMFIX", "Immunofixation", "URINE", pn(a["UIFE"].to_numpy()), "")
    mar = a["marrow"].to_numpy()
    bmw = np.round(a["BM"].to_numpy(), 1)
    add(mar, "PLASMACE", "Plasma Cells", "BONE MARROW", fmt_num(bmw, 1), "%")
    clon = np.where(a["f"].to_numpy() > 0.02, "CLONAL", "NOT CLONAL")
    add(mar, "PCCLON", "Plasma Cell Clonality", "BONE MARROW", clon, "")
    method = np.where(ctx.site[p] == "003", "NEXT GENERATION SEQUENCING",
                      "NEXT GENERATION FLOW CYTOMETRY")
    add(mrd_test, "MRD", "Minimal Residual Disease", "BONE MARROW", pn(~mrd_neg), "",
        LBMETHOD=method, LBLLOQ=np.full(len(p), 1e-5))
    pcl = a["ppcl"].to_numpy()
    add(pcl, "PLASMALE", "Plasma Cells/Leukocytes", "BLOOD", fmt_num(a["PB"].to_numpy(), 1), "%")
    for d in out:
        d.loc[d["LBORRESU"] == "", "LBORRESU"] = ""
    return out


def _cytokine_rows(ctx: _Ctx, plan, kp, protocol, rk) -> list[pd.DataFrame]:
    n = len(ctx.inf)
    cs = protocol.schedule.cytokines
    days = np.asarray(sorted(cs.days))
    p = np.repeat(np.arange(n), len(days))
    d = np.tile(days, n)
    keep = d <= ctx.end_day[p]
    p, d = p[keep], d[keep]
    g = plan.crs_grade[p]
    peak = np.where(plan.crs_grade > 0, np.clip(plan.crs_onset + 2, 5, 12), 7)[p]
    expn = np.log(kp["cmax"].to_numpy()[p] / 3e4)
    out = []
    for code, (name, base, lloq, per_g, f0) in kin.CYTOKINES.items():
        b = base * np.exp(rk.normal(0, 0.3, n))[p]
        fold = np.exp(f0 + per_g * g + 0.3 * expn + rk.normal(0, 0.3, len(p)))
        v = kin.cytokine_curve(b, np.maximum(fold, 1.0), peak, d) * np.exp(
            rk.normal(0, 0.1, len(p)))
        txt, val = fmt_sig(v, 3)
        blq = val < lloq
        txt = np.where(blq, "<LLOQ", txt)
        unit = np.where(ctx.conv[p], "pg/mL", "ng/L")
        out.append(pd.DataFrame({
            "USUBJID": ctx.usubjid[p], "LBTESTCD": code, "LBTEST": name, "LBCAT": "CYTOKINES",
            "LBSPEC": "SERUM", "LBORRES": txt, "LBORRESU": unit, "LBLLOQ": lloq,
            "LBDTC": fmt_date(ctx.date(p, d)), "VISIT": np.char.add("DAY ", d.astype(str)),
            "VISITNUM": d.astype(float), "LBDY": ctx.dy(p, d), "LBBLFL": np.where(d == 0, "Y", ""),
            "_pat": p, "_day": d}))
    return out


def _finish_lb(df: pd.DataFrame) -> pd.DataFrame:
    df = df.drop(columns=["_pat", "_day"])
    for c in ("LBORNRLO", "LBORNRHI", "LBMETHOD"):  # the same columns in every chunk
        df[c] = df[c].fillna("") if c in df else ""
    if "LBLLOQ" not in df:
        df["LBLLOQ"] = np.nan
    return frame("LB", {c: df[c].to_numpy() for c in df.columns},
                 ["USUBJID", "LBDTC", "LBCAT", "LBTESTCD", "LBSPEC"])


def _pc(ctx: _Ctx, kpat, knom, kact, conc, flow) -> pd.DataFrame:
    q_txt, q_v = fmt_sig(conc, 3)
    q_blq = q_v < kin.QPCR_LLOQ
    f_txt, f_v = fmt_sig(flow, 3)
    f_blq = f_v < kin.FLOW_LLOQ
    m = len(kpat)
    dtc = fmt_date(ctx.date(kpat, kact))
    cols = {
        "USUBJID": np.tile(ctx.usubjid[kpat], 2),
        "PCTESTCD": np.repeat(["CARTRNSG", "CARTCELL"], m),
        "PCTEST": np.repeat(["CAR Transgene Copies", "CAR+ T Cells"], m),
        "PCORRES": np.concatenate([np.where(q_blq, "<LLOQ", q_txt), np.where(f_blq, "<LLOQ",
                                                                             f_txt)]),
        "PCORRESU": np.repeat(["copies/ug", "cells/uL"], m),
        "PCSPEC": "WHOLE BLOOD",
        "PCLLOQ": np.repeat([kin.QPCR_LLOQ, kin.FLOW_LLOQ], m),
        "PCDTC": np.tile(dtc, 2),
        "PCSTRESC": np.concatenate([np.where(q_blq, "<LLOQ", q_txt), np.where(f_blq, "<LLOQ",
                                                                              f_txt)]),
        "PCSTRESN": np.concatenate([np.where(q_blq, np.nan, q_v), np.where(f_blq, np.nan, f_v)]),
        "PCSTRESU": np.repeat(["copies/ug", "cells/uL"], m),
        "PCMETHOD": np.repeat(["QPCR", "FLOW CYTOMETRY"], m),
        "VISIT": np.tile(np.char.add("DAY ", knom.astype(str)), 2),
        "VISITNUM": np.tile(knom, 2).astype(float),
        "PCDY": np.tile(ctx.dy(kpat, kact), 2),
    }
    return frame("PC", cols, ["USUBJID", "PCDTC", "PCTESTCD"])


def _is(ctx: _Ctx, protocol, rk, frac) -> pd.DataFrame:
    n = len(ctx.inf)
    days = np.asarray(sorted(protocol.schedule.ada.days))
    p = np.repeat(np.arange(n), len(days))
    d = np.tile(days, n)
    keep = d <= ctx.end_day[p]
    p, d = p[keep], d[keep]
    pos_pat = rk.random(n) < frac
    titer = 2.0 ** rk.integers(4, 10, n)
    pos = pos_pat[p] & (d >= 28)
    res = np.where(pos, "POSITIVE", "NEGATIVE")
    cols = {"USUBJID": ctx.usubjid[p], "ISTESTCD": "ADA_BAB",
            "ISTEST": "Binding Antidrug Antibody", "ISORRES": res, "ISDTC": fmt_date(
                ctx.date(p, d)), "ISSTRESC": res,
            "ISSTRESN": np.where(pos, titer[p], np.nan), "ISSTRESU": np.where(pos, "titer", ""),
            "ISBLFL": np.where(d == 0, "Y", ""), "VISIT": np.char.add("DAY ", d.astype(str)),
            "VISITNUM": d.astype(float), "ISDY": ctx.dy(p, d)}
    return frame("IS", cols, ["USUBJID", "ISDTC"])


def _runs(df: pd.DataFrame) -> pd.DataFrame:
    """Runs of constant grade >= 3 per patient and term (start, end = first day it changed)."""
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


def _ae(ctx, ep_c, ep_i, cyto, dlt_type, dlt_onset, nrm_death, death_d, re, ru, extra=()):
    n = len(ctx.inf)
    rows = []
    # CRS and ICANS episodes (investigator grade occasionally disagrees: 1 <-> 2)
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
    rc = _runs(cyto)
    rows.append(pd.DataFrame({"pat": rc["pat"].to_numpy(),
                              "term": rc["test"].map(CYTO_TERM).to_numpy(),
                              "start": rc["start"].to_numpy(), "start_min": -1,
                              "end": rc["end"].to_numpy(), "grade": rc["grade"].to_numpy(),
                              "inv": rc["grade"].to_numpy(), "rel": "RELATED", "src": "lab",
                              "episode": 0}))
    # GPRC5D on-target toxicities (grade 1-2, ataxia rare and late)
    for term, prob, lo, hi, dur, g2 in (("Nail disorder", 0.40, 30, 90, 120, 0.3),
                                        ("Dysgeusia", 0.35, 14, 60, 90, 0.3),
                                        ("Rash", 0.20, 10, 40, 30, 0.2),
                                        ("Dry mouth", 0.15, 14, 60, 60, 0.1),
                                        ("Weight decreased", 0.18, 30, 120, 120, 0.4),
                                        ("Ataxia", 0.02, 60, 200, 90, 0.5)):
            has = re.random(n) < prob
            st = re.integers(lo, hi + 1, n)
            en = st + re.integers(dur // 3, dur + 1, n)
            gr = np.where(re.random(n) < g2, 2, 1)
            if term == "Ataxia":
                gr = gr + 1
            rows.append(pd.DataFrame({"pat": np.flatnonzero(has), "term": term,
                                      "start": st[has], "start_min": -1,
                                      "end": en[has].astype(float), "grade": gr[has],
                                      "inv": gr[has], "rel": "RELATED", "src": "gprc5d",
                                      "episode": 0}))
    # DLT non-haematological events: grade 3 dysphagia lasting 9-20 days
    nh = np.flatnonzero(dlt_type == "NONHEM3_7D")
    rows.append(pd.DataFrame({"pat": nh, "term": "Dysphagia", "start": dlt_onset[nh],
                              "start_min": -1, "end": (dlt_onset[nh] + re.integers(9, 21, len(nh))
                                                       ).astype(float),
                              "grade": 3, "inv": 3, "rel": "RELATED", "src": "dlt",
                              "episode": 0}))
    fn = np.flatnonzero(re.random(n) < 0.15)
    st = re.integers(5, 13, n)[fn]
    rows.append(pd.DataFrame({"pat": fn, "term": "Febrile neutropenia", "start": st,
                              "start_min": -1, "end": (st + re.integers(2, 6, len(fn))).astype(
                                  float), "grade": 3, "inv": 3, "rel": "POSSIBLY RELATED",
                              "src": "other", "episode": 0}))
    pn = np.flatnonzero(re.random(n) < 0.08)
    st = re.integers(35, 250, n)[pn]
    rows.append(pd.DataFrame({"pat": pn, "term": "Pneumonia", "start": st, "start_min": -1,
                              "end": (st + re.integers(7, 15, len(pn))).astype(float), "grade": 3,
                              "inv": 3, "rel": "NOT RELATED", "src": "other", "episode": 0}))
    sp = np.flatnonzero(nrm_death)
    rows.append(pd.DataFrame({"pat": sp, "term": "Sepsis",
                              "start": (death_d[sp] - 4).astype(int), "start_min": -1,
                              "end": death_d[sp], "grade": 5, "inv": 5, "rel": "NOT RELATED",
                              "src": "death", "episode": 0}))
    ae = pd.concat(rows + list(extra), ignore_index=True)   # + haematology, basket events
    ae = ae[ae["start"].to_numpy() <= ctx.end_day[ae["pat"].to_numpy()]].reset_index(drop=True)
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
    df = frame("AE", cols, ["USUBJID", "AESTDTC", "AEDECOD"])
    truth = ae.assign(USUBJID=ctx.usubjid[p], AESEQ=0)
    seq = df.set_index("_order")["AESEQ"]
    truth["AESEQ"] = seq.reindex(np.arange(len(ae))).to_numpy()
    return df.drop(columns="_order"), truth


def _cm(ctx, cobs, therapy, weight, ep_i, new_tx, bridging, aph, re, rb
        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [cr.crs_cm_rows(cobs, therapy, weight).assign(CMCAT="CRS/ICANS MANAGEMENT",
                                                         CMINDC="CYTOKINE RELEASE SYNDROME")]
    if not ep_i.empty:
        e = ep_i[ep_i["max_grade"] >= 2]
        rows.append(pd.DataFrame({"pat": e["pat"].to_numpy(), "day": e["start_day"].to_numpy(),
                                  "minute": 11 * 60, "CMTRT": "DEXAMETHASONE",
                                  "CMCLAS": "CORTICOSTEROID", "CMDOSE": 10.0, "CMDOSU": "mg",
                                  "CMROUTE": "INTRAVENOUS", "end": e["end_day"].to_numpy(),
                                  "CMCAT": "CRS/ICANS MANAGEMENT", "CMINDC": "ICANS"}))
    n = len(ctx.inf)
    g = np.flatnonzero(re.random(n) < 0.4)
    rows.append(pd.DataFrame({"pat": g, "day": re.integers(6, 10, n)[g], "minute": 10 * 60,
                              "CMTRT": "FILGRASTIM", "CMCLAS": "GROWTH FACTOR", "CMDOSE": 300.0,
                              "CMDOSU": "ug", "CMROUTE": "SUBCUTANEOUS",
                              "end": re.integers(11, 16, n)[g], "CMCAT": "SUPPORTIVE CARE",
                              "CMINDC": "NEUTROPENIA"}))
    t = np.flatnonzero(np.isfinite(new_tx))
    rows.append(pd.DataFrame({"pat": t, "day": new_tx[t].astype(int), "minute": -1,
                              "CMTRT": np.array(["TECLISTAMAB", "DARATUMUMAB", "SELINEXOR"],
                                                dtype=object)[t % 3], "CMCLAS": "ANTI-MYELOMA",
                              "CMDOSE": np.nan, "CMDOSU": "", "CMROUTE": "",
                              "end": np.nan, "CMCAT": "SUBSEQUENT ANTI-MYELOMA THERAPY",
                              "CMINDC": "MULTIPLE MYELOMA"}))
    b = np.flatnonzero(bridging)
    aph_rel = (aph - ctx.inf).astype(int)
    rows.append(pd.DataFrame({"pat": b, "day": aph_rel[b] + 2, "minute": -1,
                              "CMTRT": "DEXAMETHASONE", "CMCLAS": "ANTI-MYELOMA", "CMDOSE": 40.0,
                              "CMDOSU": "mg", "CMROUTE": "ORAL", "end": aph_rel[b] + 5,
                              "CMCAT": "BRIDGING THERAPY", "CMINDC": "MULTIPLE MYELOMA"}))
    # prior lines with partial dates (year-month), three to six per patient (this draw stays on
    # the events stream, which later draws depend on); regimens and refractoriness:
    # example/baseline.py
    nl = re.integers(3, 7, n)
    prior, lines = bsl.prior_lines(rb, nl)
    rows.append(prior)
    cm = pd.concat(rows, ignore_index=True)
    p = cm["pat"].to_numpy()
    day = cm["day"].to_numpy().astype(int)
    cm = cm[day <= ctx.end_day[p]].reset_index(drop=True)
    p = cm["pat"].to_numpy()
    day = cm["day"].to_numpy().astype(int)
    mins = cm["minute"].to_numpy()
    date = ctx.date(p, day)
    st = np.where(mins >= 0, fmt_datetime(date, np.maximum(mins, 0)), fmt_date(date))
    st = np.where(mins == -2, np.array([s[:7] for s in fmt_date(date)], dtype=object), st)
    endv = cm["end"].to_numpy(float)
    has_end = ~np.isnan(endv) & (endv <= ctx.end_day[p])
    en = np.where(has_end, fmt_date(ctx.date(p, np.nan_to_num(endv).astype(int))), "")
    en = np.where((mins == -2), np.array([s[:4] for s in fmt_date(
        ctx.date(p, day + 150))], dtype=object), en)
    cols = {"USUBJID": ctx.usubjid[p], "CMTRT": cm["CMTRT"].to_numpy(),
            "CMCAT": cm["CMCAT"].to_numpy(), "CMSTDTC": st, "CMDECOD": cm["CMTRT"].to_numpy(),
            "CMCLAS": cm["CMCLAS"].to_numpy(), "CMINDC": cm["CMINDC"].to_numpy(),
            "CMDOSE": cm["CMDOSE"].to_numpy(float), "CMDOSU": cm["CMDOSU"].to_numpy(),
            "CMROUTE": cm["CMROUTE"].to_numpy(), "CMENDTC": en,
            "CMGRPID": cm["CMGRPID"].fillna("").to_numpy()}
    return frame("CM", cols, ["USUBJID", "CMSTDTC", "CMTRT"]), lines


def _suppdm(usubjid: np.ndarray, enr: Enrolment) -> pd.DataFrame:
    """Study part and cohort of every enrolled subject (docs/data-model.md, SUPPDM)."""
    part = np.where(enr.expansion, "EXPANSION", "ESCALATION").astype(object)
    cohort = np.array([f"C{c:02d}" for c in enr.cohort], dtype=object)
    cohort[enr.expansion] = "EXP"
    n = len(usubjid)
    df = pd.DataFrame({
        "STUDYID": STUDYID, "RDOMAIN": "DM", "USUBJID": np.concatenate([usubjid, usubjid]),
        "IDVAR": "", "IDVARVAL": "", "QNAM": np.repeat(["COHORT", "PART"], n),
        "QLABEL": np.repeat(["Cohort", "Study Part"], n), "QVAL": np.concatenate([cohort, part]),
        "QORIG": "ASSIGNED"})
    return df.sort_values(["USUBJID", "QNAM"], kind="stable").reset_index(drop=True)


def _subject_level(protocol, enr, pool, usubjid, subjid, site, I, end_day,  # noqa: E741
                   why, died, nrm_death, death_d, re):
    E = len(usubjid)
    pi = enr.pool_index
    infused = ~np.isnat(enr.infusion)
    inf_all = enr.infusion
    arm = np.array(protocol.dose_ids, dtype=object)[enr.dose]
    labels = np.array([d.label for d in protocol.dose_levels], dtype=object)[enr.dose]
    # never infused: reason and its date
    ni = ~infused
    reason = pool.not_infused_reason[pi]
    ni_date = enr.apheresis + pool.aph_to_inf[pi].astype(D)
    dth = np.full(E, NAT)
    dcause = np.full(E, "", dtype=object)
    ni_death = ni & (reason == "DEATH")
    dth[ni_death] = ni_date[ni_death]
    dcause[ni_death] = "DEATH DUE TO DISEASE PROGRESSION"
    inf_died = np.zeros(E, bool)
    inf_died[I] = died
    dth[I[died]] = inf_all[I[died]] + death_d[died].astype(int).astype(D)
    dcause[I[died]] = np.where(nrm_death[died], "DEATH DUE TO SEPSIS",
                               "DEATH DUE TO DISEASE PROGRESSION")
    last = np.full(E, NAT)
    last[I] = inf_all[I] + end_day.astype(D)
    last[ni] = ni_date[ni]
    dm = {
        "USUBJID": usubjid, "SUBJID": subjid,
        "SITEID": site, "RFSTDTC": fmt_date(inf_all), "AGE": pool.age[pi], "AGEU": "YEARS",
        "SEX": pool.sex[pi], "ARMCD": arm, "ACTARMCD": np.where(infused, np.array(
            protocol.dose_ids, dtype=object)[enr.received], "NOTTRT"),
        "RFICDTC": fmt_date(enr.consent), "RFENDTC": fmt_date(np.where(infused, last, NAT)),
        "RFPENDTC": fmt_date(last), "DTHDTC": fmt_date(dth),
        "DTHFL": np.where(np.isnat(dth), "", "Y"), "RACE": "ASIAN",
        "ETHNIC": "NOT HISPANIC OR LATINO", "ARM": labels,
        "ACTARM": np.where(infused, np.array([d.label for d in protocol.dose_levels],
                                             dtype=object)[enr.received], "Not Treated"),
        "ARMNRS": np.where(infused, "", np.where(reason == "MANUFACTURING FAILURE",
                                                 "MANUFACTURING FAILURE", "NOT INFUSED")),
        "COUNTRY": "CHN",
    }
    dmf = frame("DM", dm, ["USUBJID"])
    # DS: milestones and one disposition event
    disp = np.full(E, "ONGOING", dtype=object)
    disp[ni] = reason[ni]
    w = np.array(["DEATH", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "ONGOING", "COMPLETED"],
                 dtype=object)[why]
    disp[I] = w
    term = disp.copy()
    term[~np.isnat(dth)] = dcause[~np.isnat(dth)]
    ms = [("INFORMED CONSENT OBTAINED", enr.consent, np.ones(E, bool)),
          ("LEUKAPHERESIS", enr.apheresis, np.ones(E, bool)),
          ("INFUSION", inf_all, infused)]
    cols = {c: [] for c in ("USUBJID", "DSTERM", "DSDECOD", "DSCAT", "DSSTDTC", "EPOCH")}
    for dec, dts, mask in ms:
        cols["USUBJID"].append(usubjid[mask])
        cols["DSTERM"].append(np.full(mask.sum(), dec, dtype=object))
        cols["DSDECOD"].append(np.full(mask.sum(), dec, dtype=object))
        cols["DSCAT"].append(np.full(mask.sum(), "PROTOCOL MILESTONE", dtype=object))
        cols["DSSTDTC"].append(fmt_date(dts[mask]))
        cols["EPOCH"].append(np.full(mask.sum(), "TREATMENT" if dec == "INFUSION"
                                     else "SCREENING", dtype=object))
    cols["USUBJID"].append(usubjid)
    cols["DSTERM"].append(term)
    cols["DSDECOD"].append(disp)
    cols["DSCAT"].append(np.full(E, "DISPOSITION EVENT", dtype=object))
    cols["DSSTDTC"].append(fmt_date(np.where(np.isnat(dth), last, dth)))
    cols["EPOCH"].append(np.where(infused, "FOLLOW-UP", "SCREENING"))
    dsf = frame("DS", {c: np.concatenate(v) for c, v in cols.items()}, ["USUBJID", "DSSTDTC"])
    # MH: primary diagnosis (partial date), cytogenetics, extramedullary disease
    ppcl = pool.ppcl[pi]
    yrs = np.where(ppcl, re.uniform(0.3, 1.5, E), re.uniform(2, 8, E))
    dx = enr.consent - (yrs * 365).astype(int).astype(D)
    hr = re.random(E) < 0.8
    emd = re.random(E) < 0.3
    mh = {
        "USUBJID": np.concatenate([usubjid, usubjid[hr], usubjid[emd]]),
        "MHTERM": np.concatenate([np.where(ppcl, "Primary plasma cell leukemia",
                                           "Multiple myeloma"),
                                  np.array(["t(4;14)", "del(17p)", "1q21 gain"],
                                           dtype=object)[np.arange(E) % 3][hr],
                                  np.full(emd.sum(), "Extramedullary plasmacytoma")]),
        "MHDECOD": np.concatenate([np.where(ppcl, "Plasma cell leukaemia", "Plasma cell myeloma"),
                                   np.full(hr.sum(), "High-risk cytogenetics"),
                                   np.full(emd.sum(), "Plasmacytoma")]),
        "MHCAT": np.concatenate([np.full(E, "PRIMARY DIAGNOSIS"),
                                 np.full(hr.sum(), "CYTOGENETICS"),
                                 np.full(emd.sum(), "EXTRAMEDULLARY DISEASE")]),
        "MHSTDTC": np.concatenate([np.array([s[:7] for s in fmt_date(dx)], dtype=object),
                                   fmt_date(dx[hr]), np.full(emd.sum(), "")]),
    }
    mhf = frame("MH", mh, ["USUBJID", "MHCAT", "MHTERM"])
    prf = frame("PR", {"USUBJID": usubjid, "PRTRT": "LEUKAPHERESIS", "PRCAT": "CELL COLLECTION",
                       "PRSTDTC": fmt_date(enr.apheresis),
                       "PRSTDY": study_day(enr.apheresis, inf_all)}, ["USUBJID"])
    # EX: Flu/Cy on the protocol's days and the infusion
    ld = protocol.lymphodepletion.agents
    parts = []
    for a in ld:
        for dday in a.days:
            d = inf_all[infused] + np.timedelta64(dday, "D")
            parts.append(pd.DataFrame({"USUBJID": usubjid[infused], "EXTRT": a.agent,
                                       "EXCAT": "LYMPHODEPLETING CHEMOTHERAPY",
                                       "EXDOSE": a.dose, "EXDOSU": a.unit,
                                       "EXSTDTC": fmt_date(d), "EXENDTC": fmt_date(d),
                                       "EXSTDY": float(dday), "EXROUTE": "INTRAVENOUS",
                                       "EPOCH": "LYMPHODEPLETION"}))
    # the level received; EXADJ documents a product out of specification (example.manufacturing)
    dose_v = np.array([d.dose for d in protocol.dose_levels])[enr.received[infused]]
    parts.append(pd.DataFrame({"USUBJID": usubjid[infused], "EXTRT": protocol.product,
                               "EXCAT": "INVESTIGATIONAL PRODUCT", "EXDOSE": dose_v,
                               "EXADJ": np.where(enr.out_of_spec[infused], OUT_OF_SPEC, ""),
                               "EXDOSU": "10^6 cells/kg", "EXSTDTC": fmt_date(inf_all[infused]),
                               "EXENDTC": fmt_date(inf_all[infused]), "EXSTDY": 1.0,
                               "EXROUTE": "INTRAVENOUS", "EPOCH": "TREATMENT"}))
    exd = pd.concat(parts, ignore_index=True)
    exf = frame("EX", {c: exd[c].to_numpy() for c in exd.columns}, ["USUBJID", "EXSTDTC",
                                                                     "EXCAT", "EXTRT"])
    return dmf, dsf, mhf, prf, exf


def _truth(ctx, enr, I, protocol,  # noqa: E741
           plan, ep_c, ep_i, a, pdd, death_d, died, new_tx, kp, kpat,
           kact, conc, dplan, dlt_type, dlt_onset, ae_truth, aph, nrm_death,
           detect_day):
    n = len(ctx.inf)
    ids = ctx.usubjid
    out: dict[str, pd.DataFrame] = {}
    eps = []
    for ep in (ep_c, ep_i):
        if ep.empty:
            continue
        p = ep["pat"].to_numpy()
        sd = ctx.date(p, ep["start_day"].to_numpy())
        ed = ctx.date(p, ep["end_day"].to_numpy())
        eps.append(pd.DataFrame({
            "USUBJID": ids[p], "syndrome": ep["what"].to_numpy(),
            "episode": ep["episode"].to_numpy(),
            "start_dtc": fmt_datetime(sd, ep["start_minute"].to_numpy()),
            "end_dtc": fmt_datetime(ed, ep["end_minute"].to_numpy()),
            "onset_day": ep["start_day"].to_numpy(),
            "duration_days": ep["end_day"].to_numpy() - ep["start_day"].to_numpy() + 1,
            "max_grade": ep["max_grade"].to_numpy(),
            "hours_grade3_plus": ep["hours_g3"].to_numpy()}))
    cols = ["USUBJID", "syndrome", "episode", "start_dtc", "end_dtc", "onset_day",
            "duration_days", "max_grade", "hours_grade3_plus"]
    epi = pd.concat(eps, ignore_index=True) if eps else pd.DataFrame(columns=cols)
    aet = ae_truth[ae_truth["src"] == "episode"]
    m = aet[["USUBJID", "episode", "term", "inv", "AESEQ"]].assign(
        syndrome=np.where(aet["term"] == "Cytokine release syndrome", "CRS", "ICANS"))
    epi = epi.merge(m.rename(columns={"inv": "investigator_grade"}).drop(columns="term"),
                    on=["USUBJID", "syndrome", "episode"], how="left")
    out["episodes"] = epi.sort_values(["USUBJID", "syndrome", "episode"], kind="stable"
                                      ).reset_index(drop=True)
    # DLTs
    has = dlt_type != ""
    detect = detect_day
    ev_onset = np.where(dlt_type == "CYTO4_D28", 0, dlt_onset)
    cyto_first = ae_truth[(ae_truth["term"] == "Neutrophil count decreased")
                          & (ae_truth["grade"] == 4)].groupby("pat")["start"].min()
    ev_onset = np.where(dlt_type == "CYTO4_D28",
                        cyto_first.reindex(np.arange(n)).fillna(0).to_numpy(), ev_onset)
    crs_start = ep_c.groupby("pat")["start_day"].min().reindex(np.arange(n)) if len(ep_c) else \
        pd.Series(np.nan, index=np.arange(n))
    ev_onset = np.where(np.isin(dlt_type, ["CRS4", "CRS3_72H"]), crs_start.to_numpy(),
                        ev_onset)
    out["dlt"] = pd.DataFrame({
        "USUBJID": ids, "dose": np.array(protocol.dose_ids, dtype=object)[enr.dose[I]],
        "phase": np.where(enr.expansion[I], "EXPANSION", "ESCALATION"),
        "cohort": enr.cohort[I], "dlt": np.where(has, "Y", "N"), "rule": dlt_type,
        "event_onset_dtc": np.where(has, fmt_date(ctx.date(np.arange(n), np.nan_to_num(
            ev_onset).astype(int))), ""),
        "dlt_met_dtc": np.where(has, fmt_date(ctx.date(np.arange(n), detect)), ""),
        "dlt_met_day": np.where(has, detect, np.nan),
    })
    # responses per assessment and per subject
    post = a[a["nom"] != -1].copy()
    post["cat"] = post["cat"].astype(int)
    post["conf"] = post["conf"].astype(int)
    pp = post["pat"].to_numpy()
    resp = pd.DataFrame({
        "USUBJID": ids[pp], "dtc": fmt_date(ctx.date(pp, post["day"].to_numpy())),
        "day": post["day"].to_numpy(), "mdtype": post["mdtype"].to_numpy(),
        "population": np.where(post["ppcl"].to_numpy(), "PPCL", "RRMM"),
        "response": np.array(dz.RANKS, dtype=object)[post["cat"].to_numpy()],
        "confirmed": np.array(dz.RANKS + ["NE"], dtype=object)[post["conf"].to_numpy()]})
    out["responses"] = resp
    conf = post["conf"].to_numpy()
    best = pd.Series(conf).groupby(pp).min()
    best = best.reindex(np.arange(n)).fillna(dz.NE).astype(int).to_numpy()
    bor = np.array(dz.RANKS + ["NE"], dtype=object)[best]
    resp_days = post[post["conf"] <= 3].groupby("pat")["day"].min()
    cr_days = post[post["conf"] <= 1].groupby("pat")["day"].min()
    mrd = a[a["marrow"] & (a["nom"] > 0)]
    inf_d = ctx.inf
    pd_dt = np.where(np.isfinite(pdd), fmt_date(ctx.date(np.arange(n),
                                                         np.nan_to_num(pdd, posinf=0))), "")
    dth = np.where(died, fmt_date(ctx.date(np.arange(n), np.nan_to_num(death_d, posinf=0))),
                   "")
    last_a = post.groupby("pat")["day"].max().reindex(np.arange(n))
    _ = mrd, inf_d
    out["subjects"] = pd.DataFrame({
        "USUBJID": ids, "population": np.where(dplan["ppcl"], "PPCL", "RRMM"),
        "mdtype": dplan["mdtype"].to_numpy(), "intended_depth": np.array(
            ["CR", "VGPR", "PR", "MR", "SD", "PD"], dtype=object)[dplan["depth"].to_numpy()],
        "best_confirmed_response": bor,
        "first_response_dtc": _opt_date(ctx, resp_days, n),
        "first_cr_dtc": _opt_date(ctx, cr_days, n),
        "pd_dtc": pd_dt, "death_dtc": dth,
        "death_cause": np.where(died, np.where(nrm_death, "SEPSIS", "DISEASE PROGRESSION"), ""),
        "new_therapy_dtc": np.where(np.isfinite(new_tx), fmt_date(ctx.date(
            np.arange(n), np.nan_to_num(new_tx, posinf=0).astype(int))), ""),
        "last_assessment_dtc": _opt_date(ctx, last_a.dropna(), n),
        "apheresis_dtc": fmt_date(aph), "infusion_dtc": fmt_date(ctx.inf),
        "crs_max_grade": _maxg(ep_c, n), "icans_max_grade": _maxg(ep_i, n),
        "true_progression_day": dplan["t_pd"].to_numpy(),
    })
    out["kinetics"] = pd.DataFrame({
        "USUBJID": ids, "cmax_true": kp["cmax"].to_numpy(), "tmax_true_days": kp["tmax"],
        "half_life_fast_days": kp["half_fast"], "half_life_slow_days": kp["half_slow"],
        "fraction_fast": kp["frac_fast"], "lost_persistence": np.where(kp["lost"], "Y", "N"),
        "flow_cells_per_copy": kp["flow_ratio"]})
    return out


def _opt_date(ctx, s: pd.Series, n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    if len(s):
        idx = s.index.to_numpy().astype(int)
        out[idx] = fmt_date(ctx.date(idx, s.to_numpy().astype(int)))
    return out


def _maxg(ep: pd.DataFrame, n: int) -> np.ndarray:
    if ep.empty:
        return np.zeros(n, int)
    return ep.groupby("pat")["max_grade"].max().reindex(np.arange(n)).fillna(0).astype(int
                                                                                 ).to_numpy()
