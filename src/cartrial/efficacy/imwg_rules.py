"""IMWG 2016 and IMWG 2013 PCL thresholds as data (Lancet Oncol 2016;17:e328-46;
Leukemia 2013;27:780-91).

Units: serum M-protein g/dL, urine M-protein mg/24 h, free light chains mg/dL, marrow and blood
plasma cells in percent, plasmacytoma SPD in mm^2.
"""

from __future__ import annotations

from dataclasses import dataclass

RESPONSE_ORDER: dict[str, int] = {
    "NE": 0,
    "PD": 1,
    "SD": 2,
    "MR": 3,
    "PR": 4,
    "VGPR": 5,
    "CR": 6,
    "sCR": 7,
}
"""Rank used to take minima and best responses (NE lowest; admiral's AVAL order differs)."""
RESPONSES: tuple[str, ...] = tuple(RESPONSE_ORDER)
ADRS_AVAL: dict[str, int] = {
    "sCR": 7,
    "CR": 6,
    "VGPR": 5,
    "PR": 4,
    "MR": 3,
    "SD": 2,
    "PD": 1,
    "NE": 8,
}
"""AVAL coding of the admiralonco IMWG ADRS example (``adrs_imwg.Rmd``)."""

MEASURABLE_TYPES: tuple[str, ...] = (
    "SERUM_URINE",
    "SERUM",
    "URINE",
    "FLC",
    "MARROW",
    "PLASMACYTOMA",
    "NONE",
)


@dataclass(frozen=True)
class ImwgThresholds:
    """Numbers of the IMWG 2016 tables (Kumar et al., Lancet Oncol 2016) and PCL 2013 table.

    Units as in the module docstring; reductions and increases are fractions (0.5 = 50 %).

    Attributes
    ----------
    serum_measurable_g_dl, urine_measurable_mg_24h, flc_measurable_mg_dl : float
        Measurable disease at baseline (1 g/dL, 200 mg/24 h, 10 mg/dL), with the normal FLC
        ratio range ``flc_ratio_low`` - ``flc_ratio_high`` (0.26-1.65) and marrow >= 30 %.
    cr_marrow_pc_below_pct, vgpr_*, pr_*, mr_* : float
        Response categories (e.g. PR: serum reduction >= 50 %, urine >= 90 % or < 200 mg/24 h).
    pd_* : float
        Progression from nadir: 25 % increase and an absolute increase (serum 0.5 g/dL, or
        1 g/dL when the nadir is >= 5 g/dL; urine 200 mg/24 h; dFLC > 10 mg/dL; marrow 10 %).
    relapse_cr_marrow_pct, ppcl_* : float
        Relapse from CR, and primary plasma cell leukemia (IMWG 2013).

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.
    Fernandez de Larrea C, et al. Plasma cell leukemia: consensus statement on diagnostic
    requirements, response criteria and treatment recommendations by the International
    Myeloma Working Group. Leukemia 2013;27:780-91.

    Examples
    --------
    >>> t = ImwgThresholds()
    >>> t.serum_measurable_g_dl, t.urine_measurable_mg_24h, t.pr_serum_reduction
    (1.0, 200.0, 0.5)
    >>> ImwgThresholds(serum_measurable_g_dl=0.5).serum_measurable_g_dl
    0.5
    """

    # 4.1 measurable disease at baseline
    serum_measurable_g_dl: float = 1.0
    urine_measurable_mg_24h: float = 200.0
    flc_measurable_mg_dl: float = 10.0
    flc_ratio_low: float = 0.26
    flc_ratio_high: float = 1.65
    marrow_measurable_pct: float = 30.0
    # 4.2 categories
    cr_marrow_pc_below_pct: float = 5.0
    vgpr_serum_reduction: float = 0.90
    vgpr_urine_below_mg_24h: float = 100.0
    vgpr_dflc_reduction: float = 0.90
    pr_serum_reduction: float = 0.50
    pr_urine_reduction: float = 0.90
    pr_urine_below_mg_24h: float = 200.0
    pr_dflc_reduction: float = 0.50
    pr_marrow_reduction: float = 0.50
    pr_spd_reduction: float = 0.50
    mr_serum_reduction: float = 0.25
    mr_urine_reduction: float = 0.50
    # 4.3 progression (from nadir)
    pd_relative_increase: float = 0.25
    pd_serum_abs_g_dl: float = 0.5
    pd_serum_abs_high_nadir_g_dl: float = 1.0
    pd_serum_high_nadir_g_dl: float = 5.0
    pd_urine_abs_mg_24h: float = 200.0
    pd_dflc_abs_mg_dl: float = 10.0  # strict ">" in the guideline text
    pd_marrow_abs_pct: float = 10.0
    pd_spd_increase: float = 0.50
    # 4.5 relapse from CR
    relapse_cr_marrow_pct: float = 5.0
    # 5 pPCL (IMWG 2013 PCL consensus)
    ppcl_pr_blood_pc_max_pct: float = 5.0
    ppcl_pr_marrow_pc_max_pct: float = 25.0
    ppcl_pd_blood_pc_abs_pct: float = 5.0  # strict ">"
    ppcl_relapse_cr_marrow_pct: float = 10.0  # strict ">"


IMWG_2016 = ImwgThresholds()
