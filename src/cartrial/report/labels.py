"""Clinical labels the report shows instead of codes (CDISC test and parameter codes)."""

from __future__ import annotations

ANALYTE_LABELS = {"CARTRNSG": "CAR transgene by qPCR (copies/\u00b5g gDNA)",
                  "CARTCELL": "CAR+ T cells by flow cytometry (cells/\u00b5L)"}
NCA_LABELS = {"CMAX": "Cmax", "TMAX": "Tmax (days)", "AUC0_28": "AUC0\u201328d",
              "CLST": "Clast", "TLST": "Tlast (days)"}
CYTOKINE_LABELS = {"IL6": "IL-6", "IL10": "IL-10", "IL2": "IL-2", "IL1B": "IL-1\u03b2",
                   "IFNG": "IFN-\u03b3", "TNFA": "TNF-\u03b1", "GMCSF": "GM-CSF",
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
