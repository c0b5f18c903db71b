"""Per-variable derivation texts and per-dataset comments of the ADaM datasets, for the
``MethodDef`` and ``def:CommentDef`` elements of define.xml.

A derivation is stated for a variable cartrial computes (not one carried from SDTM); each text
says what the code does (the derive_* function named is the one that does it). ``"*"`` as the
dataset applies to every dataset holding the variable. A dataset's comment is the first
paragraph of the docstring of the module that derives it.
"""

from __future__ import annotations

import inspect

_INF = "the CAR-T infusion date ADSL.INFDT"
VARIABLE_DERIVATIONS: dict[tuple[str, str], str] = {
    ("*", "ASEQ"): "Sequence number 1, 2, ... within USUBJID in the dataset's sort order.",
    ("*", "ADY"): "ADT - TRTSDT + 1 when ADT is on or after TRTSDT, else ADT - TRTSDT "
                  "(SDTMIG study day, no day 0).",
    ("*", "TRT01A"): "ADSL.TRT01A of the subject (dose level of the first CAR-T infusion).",
    ("*", "TRT01AN"): "ADSL.TRT01AN of the subject.",
    ("ADSL", "AGEGR1"): "'>=65' when AGE >= 65, '<65' when AGE < 65, missing when AGE is.",
    ("ADSL", "TRTSDT"): "Date of the first EX record with EXCAT = INVESTIGATIONAL PRODUCT.",
    ("ADSL", "TRTEDT"): "Date of the last EX record with EXCAT = INVESTIGATIONAL PRODUCT.",
    ("ADSL", "INFDT"): "Equal to TRTSDT (the single CAR-T infusion).",
    ("ADSL", "ITTFL"): "'Y' when a leukapheresis (PR, PRTRT = LEUKAPHERESIS) is on record.",
    ("ADSL", "SAFFL"): "'Y' when TRTSDT is not missing (infused with the CAR-T product).",
    ("ADSL", "LSTALVDT"): "Latest complete date of any record of the subject, not after the "
                          "death date.",
    ("ADLB", "ADAYINF"): f"ADT - {_INF} in days (infusion = day 0).",
    ("ADLB", "BASE"): "AVAL of the record with ABLFL = 'Y' for the subject and PARAMCD.",
    ("ADLB", "ABLFL"): "'Y' on the LBBLFL = 'Y' record, else on the last non-missing result "
                       "on or before the infusion date.",
    ("ADLB", "CHG"): "AVAL - BASE for records after the infusion (ADAYINF > 0).",
    ("ADLB", "PCHG"): "100 x (AVAL - BASE) / BASE for records after the infusion, BASE not 0.",
    ("ADPC", "AVAL"): "PC.PCSTRESN (missing when below the LLOQ: AVALC holds PC.PCSTRESC).",
    ("ADPC", "AVALC"): "PC.PCSTRESC.",
    ("ADPC", "AVALU"): "PC.PCSTRESU.",
    ("ADPC", "ALLOQ"): "PC.PCLLOQ.",
    ("ADPC", "PARAMCD"): "PC.PCTESTCD; for a specimen other than blood the first seven "
                         "characters plus a specimen letter.",
    ("ADPC", "ADT"): "Date part of PC.PCDTC.",
    ("ADPC", "AFRLT"): f"ADT - {_INF} in days.",
    ("ADPC", "NFRLT"): "n of the nominal visit PC.VISIT 'DAY n' (infusion = day 0); missing "
                       "for another visit name.",
    ("ADPC", "SRCSEQ"): "PC.PCSEQ of the record.",
    ("ADPP", "AVAL"): "Non-compartmental analysis of the subject's ADPC profile "
                      "(cartrial.kinetics.nca, PKNCA conventions): the parameter PPTESTCD.",
    ("ADPP", "PARAMCD"): "Analyte letter (T = CARTRNSG, C = CARTCELL) + specimen letter (none "
                         "for blood) + NCA code (AUC0_28 as AUC28).",
    ("ADCYT", "AVAL"): "Cytokine parameter from the subject's LB cytokine results "
                       "(cartrial.kinetics.cytokine_parameters): baseline, peak, day of peak, "
                       "peak / baseline, AUC by the protocol's kinetics.cytokine_auc_method.",
    ("ADCYT", "PARAMCD"): "First four characters of the cytokine code + BL, PK, TPK, FCPK or "
                          "AUC.",
}


def variable_derivation(dataset: str, variable: str) -> str | None:
    """The derivation text of one derived ADaM variable, or None when none is stated.

    Parameters
    ----------
    dataset : str
        Dataset name (``ADPC``).
    variable : str
        Variable name (``AFRLT``).

    Returns
    -------
    str or None
        The dataset's own text, else the text for every dataset, else None.

    Examples
    --------
    >>> variable_derivation("ADPC", "AFRLT")
    'ADT - the CAR-T infusion date ADSL.INFDT in days.'
    >>> variable_derivation("ADPP", "ASEQ")[:15]
    'Sequence number'
    """
    return VARIABLE_DERIVATIONS.get((dataset, variable),
                                    VARIABLE_DERIVATIONS.get(("*", variable)))


def dataset_comment(dataset: str) -> str | None:
    """The first paragraph of the docstring of the module deriving ``dataset``, or None.

    Parameters
    ----------
    dataset : str
        Dataset name; its function is ``cartrial.adam.derive_<name>``.

    Returns
    -------
    str or None
        One line of text.

    Examples
    --------
    >>> dataset_comment("ADPC").startswith("ADPC: concentrations over time")
    True
    """
    import cartrial.adam as adam

    func = getattr(adam, f"derive_{dataset.lower()}", None)
    module = inspect.getmodule(func) if func is not None else None
    doc = inspect.getdoc(module) if module is not None else None
    return " ".join(doc.split("\n\n")[0].replace("``", "").split()) if doc else None
