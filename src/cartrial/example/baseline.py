"""Baseline disease characteristics of the example trial: prior lines of therapy (CM with
SUPPCM refractoriness), beta2-microglobulin and LDH (LB), ECOG performance status (RS).

Drawn from the trial's own ``baseline`` stream (adding it changed no other component). The
number of prior lines per patient is the one the generator always drew (three to six); the
regimen of each line, its refractoriness, the laboratory values and ECOG are new draws.
Calibration: assumption of the synthetic example (a heavily pre-treated RRMM population, about a
quarter with prior BCMA-directed therapy, ECOG 0-2).

Conventions written (docs/data-model.md):

* prior therapy: CM, ``CMCAT = PRIOR ANTI-MYELOMA THERAPY``, one record per drug,
  ``CMGRPID = "LINE n"`` groups the drugs of one line (SDTMIG --GRPID); refractoriness per line
  in SUPPCM (``IDVAR = CMGRPID``, ``QNAM = REFRACT``, ``QVAL = Y/N``);
* ECOG: RS, ``RSCAT = ECOG``, ``RSTESTCD = ECOG101`` (SDTMIG v3.3+ places clinical
  classifications in RS; CDISC QRS ECOG supplement);
* beta2-microglobulin (``B2MICG``, mg/L) and LDH (U/L, local normal range) in LB at the screening
  laboratory visit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FIRST_LINE = (("BORTEZOMIB", "LENALIDOMIDE"), ("BORTEZOMIB", "THALIDOMIDE"),
              ("DARATUMUMAB", "BORTEZOMIB", "LENALIDOMIDE"))
LATER_LINES = (("DARATUMUMAB", "LENALIDOMIDE"), ("DARATUMUMAB", "BORTEZOMIB"),
               ("CARFILZOMIB", "LENALIDOMIDE"), ("CARFILZOMIB",), ("POMALIDOMIDE",),
               ("DARATUMUMAB", "POMALIDOMIDE"), ("ISATUXIMAB", "POMALIDOMIDE"),
               ("ISATUXIMAB", "CARFILZOMIB"), ("IXAZOMIB", "LENALIDOMIDE"), ("SELINEXOR",))
BCMA_LINES = (("BELANTAMAB MAFODOTIN",), ("TECLISTAMAB",))
#: LDH normal range (U/L) per site 001/002/003
LDH_RANGE = ((120, 250), (135, 225), (100, 245))
ECOG_P = (0.35, 0.55, 0.10)


def prior_lines(rb: np.random.Generator, n_lines: np.ndarray) -> tuple[pd.DataFrame,
                                                                       pd.DataFrame]:
    """(CM rows in the generator's row format, one row per line: pat, line, refractory).

    Line j of ``n_lines[p]`` starts ``(n_lines - j + 1) * 200 + 60`` days before infusion
    (partial dates, year-month). The last line is refractory in 90 % (relapsed and refractory
    disease), earlier lines in 50 %; a quarter of the patients had a BCMA-directed last line.
    """
    n = len(n_lines)
    pat = np.repeat(np.arange(n), n_lines)
    line = np.arange(len(pat)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    last = line == n_lines[pat]
    bcma_pat = rb.random(n) < 0.25
    f = rb.integers(0, len(FIRST_LINE), len(pat))
    later = rb.integers(0, len(LATER_LINES), len(pat))
    b = rb.integers(0, len(BCMA_LINES), len(pat))
    regimen = [FIRST_LINE[f[i]] if line[i] == 1 else
               (BCMA_LINES[b[i]] if last[i] and bcma_pat[pat[i]] else LATER_LINES[later[i]])
               for i in range(len(pat))]
    refr = np.where(last, rb.random(len(pat)) < 0.9, rb.random(len(pat)) < 0.5)
    k = np.array([len(r) for r in regimen], dtype=int)
    rp = np.repeat(pat, k)
    rl = np.repeat(line, k)
    drugs = np.array([d for r in regimen for d in r], dtype=object)
    cm = pd.DataFrame({"pat": rp, "day": -(n_lines[rp] - rl + 1) * 200 - 60, "minute": -2,
                       "CMTRT": drugs, "CMCLAS": "ANTI-MYELOMA", "CMDOSE": np.nan,
                       "CMDOSU": "", "CMROUTE": "", "end": np.nan,
                       "CMCAT": "PRIOR ANTI-MYELOMA THERAPY", "CMINDC": "MULTIPLE MYELOMA",
                       "CMGRPID": np.char.add("LINE ", rl.astype(str)).astype(object)})
    lines = pd.DataFrame({"pat": pat, "line": line, "refractory": refr,
                          "regimen": [" + ".join(r) for r in regimen]})
    return cm, lines


def suppcm(usubjid: np.ndarray, lines: pd.DataFrame, studyid: str) -> pd.DataFrame:
    """SUPPCM: refractoriness of each prior line (IDVAR = CMGRPID)."""
    p = lines["pat"].to_numpy()
    df = pd.DataFrame({"STUDYID": studyid, "RDOMAIN": "CM", "USUBJID": usubjid[p],
                       "IDVAR": "CMGRPID",
                       "IDVARVAL": np.char.add("LINE ", lines["line"].to_numpy().astype(str)),
                       "QNAM": "REFRACT", "QLABEL": "Refractory to This Line",
                       "QVAL": np.where(lines["refractory"].to_numpy(), "Y", "N"),
                       "QORIG": "CRF"})
    return df.sort_values(["USUBJID", "IDVARVAL"], kind="stable").reset_index(drop=True)


def baseline_values(rb: np.random.Generator, n: int, site_index: np.ndarray) -> pd.DataFrame:
    """Per patient: beta2-microglobulin (mg/L), LDH (U/L) with its site's range, ECOG."""
    b2m = np.round(np.exp(rb.normal(np.log(3.6), 0.5, n)), 1)
    lo = np.array([r[0] for r in LDH_RANGE])[site_index]
    hi = np.array([r[1] for r in LDH_RANGE])[site_index]
    ldh = np.round(np.where(rb.random(n) < 0.3, rb.uniform(1.02, 2.5, n) * hi,
                            rb.uniform(0.7, 1.0, n) * hi))
    ecog = rb.choice(3, n, p=list(ECOG_P))
    return pd.DataFrame({"b2m": b2m, "ldh": ldh, "ldh_lo": lo, "ldh_hi": hi, "ecog": ecog})


def lb_rows(usubjid: np.ndarray, dtc: np.ndarray, dy: np.ndarray, day: np.ndarray,
            v: pd.DataFrame) -> list[pd.DataFrame]:
    """LB frames (the generator's LB row format) of beta2-microglobulin and LDH."""
    n = len(usubjid)
    common = {"USUBJID": usubjid, "LBCAT": "CHEMISTRY", "LBSPEC": "SERUM", "LBDTC": dtc,
              "VISIT": "SCREENING", "VISITNUM": -28.0, "LBDY": dy, "LBBLFL": "",
              "_pat": np.arange(n), "_day": day}
    b = pd.DataFrame({**common, "LBTESTCD": "B2MICG", "LBTEST": "Beta-2 Microglobulin",
                      "LBORRES": [f"{x:.1f}" for x in v["b2m"]], "LBORRESU": "mg/L",
                      "LBORNRLO": "0.8", "LBORNRHI": "2.2"})
    ld = pd.DataFrame({**common, "LBTESTCD": "LDH", "LBTEST": "Lactate Dehydrogenase",
                       "LBORRES": [f"{x:.0f}" for x in v["ldh"]], "LBORRESU": "U/L",
                       "LBORNRLO": [f"{x:.0f}" for x in v["ldh_lo"]],
                       "LBORNRHI": [f"{x:.0f}" for x in v["ldh_hi"]]})
    return [b, ld]


def rs_ecog(usubjid: np.ndarray, dtc: np.ndarray, ecog: np.ndarray) -> pd.DataFrame:
    """RS records of the screening ECOG performance status (one per patient)."""
    e = np.asarray(ecog).astype(int).astype(str).astype(object)
    return pd.DataFrame({"USUBJID": usubjid, "RSTESTCD": "ECOG101",
                         "RSTEST": "ECOG1-Performance Status", "RSCAT": "ECOG",
                         "RSORRES": e, "RSSTRESC": e,
                         "RSSTRESN": np.asarray(ecog, dtype=float), "RSDTC": dtc,
                         "VISIT": "SCREENING", "VISITNUM": -28.0})


def truth(usubjid: np.ndarray, v: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """truth/baseline.csv: the drawn values and lines (what the tables must show)."""
    g = lines.groupby("pat")
    n = len(usubjid)
    n_ref = g["refractory"].sum().reindex(np.arange(n)).fillna(0).astype(int).to_numpy()
    last = g["regimen"].last().reindex(np.arange(n)).fillna("").to_numpy()
    return pd.DataFrame({"USUBJID": usubjid, "b2m_mg_l": v["b2m"].to_numpy(),
                         "ldh_u_l": v["ldh"].to_numpy(), "ldh_uln": v["ldh_hi"].to_numpy(),
                         "ecog": v["ecog"].to_numpy(),
                         "prior_lines": g.size().reindex(np.arange(n)).fillna(0).astype(int
                                                                                    ).to_numpy(),
                         "refractory_lines": n_ref, "last_line_regimen": last})
