"""The CSR trial-summary items a myeloma CAR-T study report adds after the populations and
demographics: disposition (Table 14.1.2, Figure 14.1.1), baseline demographics and disease
characteristics (Table 14.1.3) and manufacturing and exposure (Table 14.1.4)."""

from __future__ import annotations

import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.report.csr_baseline import table_baseline
from cartrial.report.csr_disposition import figure_flow, table_disposition
from cartrial.report.csr_exposure import table_exposure


def csr_summary_items(adsl: pd.DataFrame, protocol: Protocol,
                      adex: pd.DataFrame | None) -> list:
    """Tables 14.1.2-14.1.4 and Figure 14.1.1, in CSR order.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with the variables of cartrial.adam.adsl_csr.
    protocol : Protocol
        Dose levels and DLT window.
    adex : pandas.DataFrame or None
        ADEX (lymphodepleting agents, infused dose).

    Returns
    -------
    list
        ReportTable and ReportFigure items.
    """
    return [table_disposition(adsl, protocol, "14.1.2"), figure_flow(adsl, protocol, "14.1.1"),
            table_baseline(adsl, protocol, "14.1.3"),
            table_exposure(adsl, adex, protocol, "14.1.4")]
