"""IEC-HS in ADaM: ADAE ``IECHSFL`` (the record reports IEC-HS) and ADSL ``IECSCRFL`` (the
patient's laboratory course met the IEC-HS screen of the safety engine).

IECHSFL = "Y" when AEDECOD (case-insensitive) is one of the IEC-HS terms of the bundled
criteria (:func:`cartrial.safety.iec_hs.iec_hs_criteria`, ``ae_terms``). IECSCRFL = "Y" when
:func:`cartrial.safety.identify_iec_hs` finds the screen met: ferritin > 2 x ULN (or baseline)
plus at least two further core manifestation groups within the window (Hines MR et al.,
Transplant Cell Ther 2023;29:438.e1-16); a screen for medical review, not a diagnosis.
"""

from __future__ import annotations

import pandas as pd

from cartrial.adam._dates import yn

#: Origin and derivation of each variable this module derives (cartrial.adam.derivations).
DEFINE = {
    "IECHSFL": "Derived: 'Y' when AE.AEDECOD (case-insensitive) is an IEC-HS term of the "
               "bundled IEC-HS criteria (Hines et al., Transplant Cell Ther "
               "2023;29:438.e1-16).",
    "IECSCRFL": "Derived: 'Y' when the safety engine's IEC-HS laboratory screen is met: "
                "ferritin > 2 x ULN (or baseline) plus two further core manifestation groups "
                "(cytopenias, transaminases, fibrinogen, haemophagocytosis) within the window "
                "of the bundled criteria (Hines et al., Transplant Cell Ther "
                "2023;29:438.e1-16); for medical review, not a diagnosis.",
}


def derive_var_iechsfl(adae: pd.DataFrame, terms: list[str] | None = None) -> pd.DataFrame:
    """IECHSFL on ADAE.

    Parameters
    ----------
    adae : pandas.DataFrame
        ADAE records with AEDECOD.
    terms : list of str, optional
        The IEC-HS terms; default the bundled criteria's ``ae_terms``.

    Returns
    -------
    pandas.DataFrame
        ``adae`` with IECHSFL ("Y" or missing).

    Examples
    --------
    >>> a = pd.DataFrame({"AEDECOD": ["Immune effector cell-associated HLH-like syndrome",
    ...                               "Anaemia"]})
    >>> derive_var_iechsfl(a)["IECHSFL"].tolist()
    ['Y', '']
    """
    if terms is None:
        from cartrial.safety.iec_hs import iec_hs_criteria

        terms = iec_hs_criteria().ae_terms
    out = adae.copy()
    up = out["AEDECOD"].astype(str).str.strip().str.upper()
    out["IECHSFL"] = yn(up.isin([t.upper() for t in terms]).to_numpy())
    return out


def derive_var_iecscrfl(adsl: pd.DataFrame, iec_hs: pd.DataFrame | None) -> pd.DataFrame:
    """IECSCRFL on ADSL from the safety engine's IEC-HS listing.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with USUBJID.
    iec_hs : pandas.DataFrame or None
        :func:`cartrial.safety.identify_iec_hs` output (USUBJID, SCREEN); None leaves ``adsl``
        unchanged.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with IECSCRFL ("Y" or missing).

    Examples
    --------
    >>> sl = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    >>> iec = pd.DataFrame({"USUBJID": ["A", "B"], "SCREEN": [True, False]})
    >>> derive_var_iecscrfl(sl, iec)["IECSCRFL"].tolist()
    ['Y', '', '']
    """
    out = adsl.copy()
    if iec_hs is None:
        return out
    pos: set[str] = set()
    if len(iec_hs):
        screen = iec_hs["SCREEN"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        pos = set(iec_hs.loc[screen, "USUBJID"].astype(str))
    out["IECSCRFL"] = yn(out["USUBJID"].astype(str).isin(pos).to_numpy())
    return out
