"""One efficacy-engine run on a loaded SDTM study, handing back what it derived from LB.

:func:`efficacy_run` is the body of :func:`cartrial.efficacy.sdtm.efficacy_from_study`; besides
the engine's results it returns the MRD input it read from LB (:func:`mrd_from_sdtm`), so a
caller that needs that frame too (``cartrial analyze``: ADRS's MRD records) takes it from the
run instead of deriving it from the same LB a second time.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from cartrial._memory import release_freed_memory
from cartrial.data.text import upper_stripped
from cartrial.efficacy.concordance import Concordance, response_concordance
from cartrial.efficacy.disease_batches import study_lb_long
from cartrial.efficacy.endpoints import EfficacyResult, efficacy_endpoints
from cartrial.efficacy.imwg import ImwgResult, derive_imwg_response
from cartrial.efficacy.sdtm import (
    disease_assessments_from_sdtm,
    investigator_response_from_sdtm,
    mrd_from_sdtm,
    mrd_records,
    subjects_from_sdtm,
)
from cartrial.errors import InputError
from cartrial.protocol.model import Protocol
from cartrial.study_reads import dated_frame


class EfficacyRun(NamedTuple):
    """The efficacy engine's results on a study and the MRD input it derived.

    Attributes
    ----------
    result : EfficacyResult
        Rates, time-to-event rows and fits (:func:`efficacy_endpoints`).
    imwg : ImwgResult
        The IMWG responses (:func:`derive_imwg_response`).
    concordance : Concordance or None
        Investigator vs derived response (None without RS OVRLRESP or summaries).
    mrd : pandas.DataFrame
        :func:`mrd_from_sdtm` of the study's LB (no rows without MRD records).
    """

    result: EfficacyResult
    imwg: ImwgResult
    concordance: Concordance | None
    mrd: pd.DataFrame


def efficacy_run(study: object, protocol: Protocol, summaries: bool = True) -> EfficacyRun:
    """Run the efficacy engine on a loaded SDTM study; the MRD input is returned with it.

    As :func:`cartrial.efficacy.sdtm.efficacy_from_study` (the same analysis population,
    settings and checks), with the LB MRD frame it derived as the fourth element.

    Parameters
    ----------
    study : cartrial.data.Study
        The loaded SDTM datasets (the domains :func:`efficacy_from_study` reads).
    protocol : Protocol
        Its endpoint, IMWG, dose-level and schedule settings.
    summaries : bool, default True
        False: what ``cartrial analyze`` reads (no rates, MRD table or concordance).

    Returns
    -------
    EfficacyRun
        (result, imwg, concordance, mrd).

    Raises
    ------
    InputError
        As :func:`efficacy_from_study` (DM, EX or LB absent; no time-origin date).

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    >>> from cartrial.data import load_study
    >>> from cartrial.protocol import load_protocol
    >>> run = efficacy_run(load_study("build/demo/sdtm"), load_protocol("ct071"))  # doctest: +SKIP
    >>> run.mrd[["USUBJID", "MRDRES"]].head()  # doctest: +SKIP
    """
    s = protocol.endpoints
    get = study.get  # type: ignore[attr-defined]
    dm, ex = get("DM"), get("EX")
    for name, dom in (("DM", dm), ("EX", ex), ("LB", "LB" in study or None)):
        if dom is None:
            raise InputError(f"the efficacy analysis needs the {name} domain")
    # LB: only its dates, disease tests and MRD records are read (issue #18: memory)
    # (a temporary: LB's dates, 3.5 million records at 10,000 patients, are not held while the
    # disease assessments and responses are derived)
    subjects = subjects_from_sdtm(dm, ex, get("PR"), get("MH"), get("CM"), get("DS"), [
        d for d in (dated_frame(study, "LB"), get("RS"), get("AE"), get("TR")) if d is not None])
    inf = subjects.set_index("USUBJID")["INFDT"]
    # LB's disease records made long a batch of subjects at a time (issue #18: memory); the
    # heap's pages the batches freed are handed back before the next step, and the long rows'
    # after it, so each starts from what is alive (a large trial's peak was here)
    lb_rows = study_lb_long(study)
    release_freed_memory()
    assessments = disease_assessments_from_sdtm(None, inf, get("TU"), get("TR"), lb_rows=lb_rows)
    del lb_rows
    release_freed_memory()
    imwg = derive_imwg_response(assessments, subjects, s.response)
    origin = "APHDT" if s.time_origin == "apheresis" else "INFDT"
    population = subjects[subjects[origin].notna()].copy()
    if population.empty:
        what = "PR LEUKAPHERESIS" if origin == "APHDT" else "EX investigational-product"
        raise InputError(
            f"no subject has a {what} date, so no time origin ({s.time_origin}); "
            "add the records or set endpoints.time_origin in the protocol"
        )
    population["DOSE"] = population["DOSE"].fillna("Not infused")
    order = [d for d in protocol.dose_ids if d in set(population["DOSE"])]
    if (population["DOSE"] == "Not infused").any():
        order.append("Not infused")
    mrd = mrd_from_sdtm(mrd_records(study))
    result = efficacy_endpoints(
        imwg,
        population,
        settings=s,
        mrd=mrd if len(mrd) else None,
        by="DOSE",
        order=order,
        schedule_days=protocol.schedule.response.days,
        window_days=protocol.schedule.response.window_days,
        summaries=summaries,
    )
    conc = None
    rs = get("RS")
    # RS may hold ECOG only
    if summaries and rs is not None and upper_stripped(rs["RSTESTCD"]).eq("OVRLRESP").any():
        conc = response_concordance(investigator_response_from_sdtm(rs), imwg.assessments)
    return EfficacyRun(result, imwg, conc, mrd)
