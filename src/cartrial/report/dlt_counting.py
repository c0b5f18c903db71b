"""Which dose level a patient is counted at in the DLT table, said in a footnote.

A product out of specification infused below the assigned dose (EX.EXADJ) counts for escalation
and DLT evaluability at the level the protocol names (``conduct.count_dose_as``), while the
safety tables count every patient at the dose received; Table 14.2.3's columns then differ from
the other tables' and the reader is told why, with the patients named.
"""

from __future__ import annotations

import pandas as pd

from cartrial.protocol.model import Protocol


def counted_dose_note(adsl: pd.DataFrame, dlt_patients: pd.DataFrame,
                      protocol: Protocol) -> str | None:
    """The footnote naming the patients counted for DLT at another level than the one received.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (USUBJID, SAFFL, TRT01A: the dose received, e.g. "DL1 0.1 x10^6/kg").
    dlt_patients : pandas.DataFrame
        The DLT adjudication's patients (USUBJID, DOSE_LEVEL: the level counted).
    protocol : Protocol
        ``conduct.count_dose_as``.

    Returns
    -------
    str or None
        None when every infused patient is counted at the level received.

    References
    ----------
    Devlin N, Iasonos A, O'Quigley J, J R Stat Soc C 2021;70:815-34 (patients treated below the
    assigned dose in dose-finding trials).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> sl = pd.DataFrame({"USUBJID": ["A", "B"], "SAFFL": ["Y", "Y"],
    ...                    "TRT01A": ["DL1 0.1 x10^6/kg", "DL2 0.3 x10^6/kg"]})
    >>> p = pd.DataFrame({"USUBJID": ["A", "B"], "DOSE_LEVEL": ["DL2", "DL2"]})
    >>> counted_dose_note(sl, p, load_protocol("ct071"))[:60]
    'Counted for DLT at the assigned dose level (protocol: count_'
    """
    s = adsl[adsl["SAFFL"] == "Y"]
    received = pd.Series(s["TRT01A"].fillna("").astype(str).str.split(" ").str[0].to_numpy(),
                         index=s["USUBJID"].astype(str).to_numpy())
    counted = pd.Series(dlt_patients["DOSE_LEVEL"].astype(str).to_numpy(),
                        index=dlt_patients["USUBJID"].astype(str).to_numpy())
    both = received.index.intersection(counted.index)
    differ = [u for u in both if received[u] != counted[u]]
    if not differ:
        return None
    who = "; ".join(f"{u}: received {received[u]}, counted at {counted[u]}" for u in sorted(differ))
    how = protocol.conduct.count_dose_as
    return (f"Counted for DLT at the {how} dose level (protocol: count_dose_as = {how}; "
            "Devlin N, Iasonos A, O'Quigley J, J R Stat Soc C 2021;70:815-34): "
            f"{len(differ)} patient(s) infused with a product out of specification ({who}; "
            "Listing 16.2.6). The safety tables count every patient at the dose received.")
