"""Clinical labels the report shows instead of codes (CDISC test and parameter codes)."""

from __future__ import annotations

ANALYTE_LABELS = {"CARTRNSG": "CAR transgene by qPCR (copies/\u00b5g gDNA)",
                  "CARTCELL": "CAR+ T cells by flow cytometry (cells/\u00b5L)"}
NCA_LABELS = {"CMAX": "Cmax", "TMAX": "Tmax (days)", "AUC0_28": "AUC0\u201328d",
              "CLST": "Clast", "TLST": "Tlast (days)"}
CYTOKINE_LABELS = {"IL6": "IL-6", "IL8": "IL-8", "IL10": "IL-10", "IL2": "IL-2",
                   "IL1B": "IL-1\u03b2", "IFNG": "IFN-\u03b3", "INTGAM": "IFN-\u03b3",
                   "TNFA": "TNF-\u03b1", "GMCSF": "GM-CSF",
                   "CRP": "C-reactive protein", "FERRITIN": "Ferritin"}
CYTOKINE_PARAMS = {"PEAK": "peak (ng/L)", "FCPEAK": "fold change at peak",
                   "TPEAK": "time to peak (days)"}


def label(codes: dict[str, str], code: str) -> str:
    """The clinical label of ``code`` (the code itself when it has none).

    Parameters
    ----------
    codes : dict
        One of the label tables of this module.
    code : str
        A CDISC test or parameter code.

    Returns
    -------
    str
        The label.

    Examples
    --------
    >>> label(ANALYTE_LABELS, "CARTCELL")
    'CAR+ T cells by flow cytometry (cells/µL)'
    >>> label(NCA_LABELS, "LAMZ")
    'LAMZ'
    """
    return codes.get(code, code)


# --- declared precision per parameter ---------------------------------------------------------
# Decimals to which each parameter's individual values are captured or, for a derived parameter,
# expressed; summary statistics add the STAT_EXTRA decimals (the default convention of the
# junco R package's decimal-precision formats, Johnson & Johnson on CRAN, vignette "Formatting
# tools to simplify adjustment of decimal precision": individual values X, mean and median X+1,
# SD and SE X+2, min and max X). Percentages always 1 decimal. CDISC codes as the ADaM
# PARAMCD / PCTESTCD / LBTESTCD carry them; "DAYS" and "MONTHS" are times since infusion or
# since leukapheresis.
PRECISION = {
    "CARTRNSG": 0,   # CAR transgene, copies/ug gDNA: whole copies
    "CARTCELL": 1,   # CAR+ T cells by flow cytometry, cells/uL
    "CYTOKINE": 1,   # serum cytokines, pg/mL (= ng/L)
    "CRP": 1,        # C-reactive protein, mg/L
    "FERRITIN": 0,   # ng/mL
    "FCPEAK": 1,     # fold change from baseline
    "AGE": 0,        # years
    "DAYS": 0,       # days since infusion (sample dates carry no time of day)
    "MONTHS": 1,     # months (time to event)
    "PCT": 1,        # percentages
}
STAT_EXTRA = {"value": 0, "min": 0, "max": 0, "mean": 1, "geo_mean": 1, "median": 1, "q1": 1,
              "q3": 1, "sd": 2, "se": 2}
NCA_TIME = ("TMAX", "TLST")


def decimals(code: str, stat: str = "value") -> int:
    """Decimals of a statistic of a parameter under the declared precision.

    Parameters
    ----------
    code : str
        A key of :data:`PRECISION` (or a cytokine code, which takes "CYTOKINE").
    stat : str
        A key of :data:`STAT_EXTRA`: "value", "min", "max", "mean", "geo_mean", "median",
        "q1", "q3", "sd", "se".

    Returns
    -------
    int
        Declared decimals of the parameter plus the statistic's extra decimals.

    Raises
    ------
    InputError
        The parameter has no declared precision, or the statistic is unknown: a table never
        falls back to a guessed rounding.

    References
    ----------
    junco (CRAN), vignette "Formatting tools to simplify adjustment of decimal precision",
    default convention (mean, median X+1; SD, SE X+2; min, max X).

    Examples
    --------
    >>> decimals("CARTCELL", "median"), decimals("AGE", "sd"), decimals("IL6", "max")
    (2, 2, 1)
    """
    from cartrial.errors import InputError

    key = "CYTOKINE" if code in CYTOKINE_LABELS and code not in PRECISION else code
    if key not in PRECISION:
        raise InputError(f"no declared precision for parameter {code!r} (report.labels."
                         f"PRECISION has {sorted(PRECISION)})")
    if stat not in STAT_EXTRA:
        raise InputError(f"unknown statistic {stat!r}; expected one of {sorted(STAT_EXTRA)}")
    return PRECISION[key] + STAT_EXTRA[stat]


def nca_precision_key(testcd: str, paramcd: str) -> str:
    """The :data:`PRECISION` key of an NCA parameter: times (Tmax, Tlast) in days; Cmax, Clast
    and AUC0-28d at the precision of the analyte they are computed from.

    Parameters
    ----------
    testcd : str
        The analyte (PCTESTCD).
    paramcd : str
        The NCA parameter (PARAMCD).

    Returns
    -------
    str
        A key of :data:`PRECISION`.

    Examples
    --------
    >>> nca_precision_key("CARTRNSG", "TMAX"), nca_precision_key("CARTCELL", "AUC0_28")
    ('DAYS', 'CARTCELL')
    """
    return "DAYS" if paramcd in NCA_TIME else testcd
