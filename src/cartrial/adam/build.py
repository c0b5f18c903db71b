"""All ADaM datasets of a study in one call, from SDTM and the engines' results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from cartrial._memory import release_freed_memory
from cartrial.adam.adab import derive_adab
from cartrial.adam.adae import derive_adae
from cartrial.adam.adcyt import derive_adcyt
from cartrial.adam.adex import derive_adex
from cartrial.adam.adhtox import derive_adhtox
from cartrial.adam.adlb import derive_adlb
from cartrial.adam.adlb_batched import adlb_batched
from cartrial.adam.adpc import derive_adpc
from cartrial.adam.adpp import derive_adpp
from cartrial.adam.adrs import derive_adrs
from cartrial.adam.adsl import derive_adsl
from cartrial.adam.adsynd import derive_adsynd
from cartrial.adam.adtte import derive_adtte
from cartrial.adam.batched import BatchedDataset
from cartrial.adam.held_datasets import HeldDatasets
from cartrial.adam.iec_hs import derive_var_iecscrfl
from cartrial.data import Study
from cartrial.data.text import share_repeats
from cartrial.efficacy import ImwgResult
from cartrial.efficacy.endpoints import EfficacyResult
from cartrial.kinetics.analysis import KineticsReport
from cartrial.protocol.model import Protocol
from cartrial.safety import DltResult
from cartrial.safety.analysis import SafetyAnalysis

#: the domains :func:`build_adam` reads once ADSL is derived, and once ADLB is
READ_AFTER_ADSL = ("AE", "LB", "EX", "RS", "PC", "IS")
READ_AFTER_ADLB = ("EX", "RS", "PC", "IS")


def _release(release: Callable[[tuple[str, ...]], None] | None,
             still_read: tuple[str, ...]) -> None:
    """Let the caller free what the rest of the build does not read (issue #18: memory)."""
    if release is not None:
        release(still_read)
        release_freed_memory()


def _hold(ds: HeldDatasets, name: str, derive: Callable[[], pd.DataFrame]) -> None:
    """``ds[name] = derive()``, then the heap's freed pages handed back: the derivation's
    intermediates (at 10,000 patients tens of MiB each) are freed once it has returned and its
    frame once held encoded, and pages the next derivation would not reuse would otherwise stay
    resident to the end of the run (issue #18: memory)."""
    ds[name] = derive()
    release_freed_memory()


@dataclass(frozen=True)
class AdamResult:
    """The datasets (name -> frame, ADSL first) and the DLT adjudication behind DLTEVLFL.

    Attributes
    ----------
    datasets : HeldDatasets or dict of str to DataFrame or BatchedDataset
        ADaM name (``"ADSL"``, ``"ADAE"``, ...) -> dataset (:func:`build_adam`: a
        :class:`~cartrial.adam.held_datasets.HeldDatasets`, each frame held encoded).
    dlt : DltResult or None
        The safety engine's DLT adjudication (None when no safety analysis was given).
    cutoff : pandas.Timestamp
        Data cut-off (:func:`data_cutoff`).
    notes : tuple of str
        Remarks for the reader of the datasets.

    Examples
    --------
    >>> res = AdamResult({"ADSL": pd.DataFrame({"USUBJID": ["S1"]})}, None,
    ...                  pd.Timestamp("2024-06-30"))
    >>> list(res.datasets), res.cutoff.date()
    (['ADSL'], datetime.date(2024, 6, 30))
    """

    datasets: HeldDatasets | dict[str, pd.DataFrame | BatchedDataset]
    dlt: DltResult | None
    cutoff: pd.Timestamp
    notes: tuple[str, ...] = field(default=())


def data_cutoff(adsl: pd.DataFrame) -> pd.Timestamp:
    """The data cut-off: the latest date anyone was known alive or died.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with LSTALVDT and DTHDT (dates).

    Returns
    -------
    pandas.Timestamp
        The latest of both columns; NaT when all are missing.

    Examples
    --------
    >>> adsl = pd.DataFrame({"LSTALVDT": pd.to_datetime(["2024-05-01", "2024-06-30"]),
    ...                      "DTHDT": pd.to_datetime([None, "2024-06-02"])})
    >>> data_cutoff(adsl)
    Timestamp('2024-06-30 00:00:00')
    """
    d = pd.concat([adsl["LSTALVDT"], adsl["DTHDT"]]).dropna()
    return pd.Timestamp(d.max()) if len(d) else pd.NaT


def derived_ae_grades(adae: pd.DataFrame, safety: SafetyAnalysis) -> pd.DataFrame:
    """USUBJID, AESEQ, DTOXGRN: for each CRS / ICANS AE record, the ASTCT 2019 grade the safety
    engine derived for it (``safety.syndrome_events``: the worst episode of that subject whose
    onset lies from one day before the record's start to one day after its end; 0 when the
    patient has graded observations but none meets the criteria there).

    Parameters
    ----------
    adae : pandas.DataFrame
        ADAE records (USUBJID, AESEQ).
    safety : SafetyAnalysis
        The safety engine's result; only ``syndrome_events`` (USUBJID, SEQ, DERIVED_GRADE)
        is read.

    Returns
    -------
    pandas.DataFrame
        USUBJID, AESEQ (as in ``adae``), DTOXGRN; events without a record or grade are left out.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (ASTCT consensus grading).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> adae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 2]})
    >>> ev = pd.DataFrame({"USUBJID": "S1", "SEQ": [1.0, None], "DERIVED_GRADE": [3.0, 2.0]})
    >>> derived_ae_grades(adae, SimpleNamespace(syndrome_events=ev))
      USUBJID  AESEQ  DTOXGRN
    0      S1      1      3.0
    """
    ev = safety.syndrome_events
    if ev.empty:
        return pd.DataFrame(columns=["USUBJID", "AESEQ", "DTOXGRN"])
    ev = ev[ev["SEQ"].notna() & ev["DERIVED_GRADE"].notna()]
    seq = pd.to_numeric(adae["AESEQ"], errors="coerce").astype(float)
    as_adae = dict(zip(zip(adae["USUBJID"].astype(str), seq, strict=True), adae["AESEQ"],
                       strict=True))
    keys = list(zip(ev["USUBJID"].astype(str), ev["SEQ"].astype(float), strict=True))
    return pd.DataFrame({"USUBJID": [k[0] for k in keys],
                         "AESEQ": [as_adae.get(k, k[1]) for k in keys],
                         "DTOXGRN": ev["DERIVED_GRADE"].astype(float).to_numpy()})


def _adae(ae: pd.DataFrame, adsl: pd.DataFrame, protocol: Protocol,
          safety: SafetyAnalysis | None) -> pd.DataFrame:
    """ADAE with the safety engine's derived grades. ADAE holds the AE records one to one
    with their USUBJID and AESEQ, so the grades are keyed on the AE records themselves when
    those keys are unique (else on a first ADAE, as its record order decides a repeated key)."""
    if safety is None:
        return derive_adae(ae, adsl, protocol)
    keys = ae[["USUBJID", "AESEQ"]] if {"USUBJID", "AESEQ"} <= set(ae.columns) else None
    if keys is None or pd.MultiIndex.from_arrays(
            [keys["USUBJID"].astype(str),
             pd.to_numeric(keys["AESEQ"], errors="coerce").astype(float)]).has_duplicates:
        return derive_adae(ae, adsl, protocol, derived_grades=derived_ae_grades(
            derive_adae(ae, adsl, protocol), safety))
    return derive_adae(ae, adsl, protocol, derived_grades=derived_ae_grades(ae, safety))


def build_adam(study: Study, protocol: Protocol, *, safety: SafetyAnalysis | None = None,
               imwg: ImwgResult | None = None, efficacy: EfficacyResult | None = None,
               mrd: pd.DataFrame | None = None,
               kinetics: KineticsReport | None = None,
               batched_adlb: bool = False,
               release: Callable[[tuple[str, ...]], None] | None = None) -> AdamResult:
    """ADSL, ADAE, ADLB (SDTM + safety engine), ADRS (IMWG result), ADTTE (efficacy result),
    ADPC (SDTM PC), ADPP, ADCYT and ADAB (kinetics report, SDTM IS), ADHTOX and ADSYND (safety
    engine). The safety engine's DLT adjudication feeds DLTEVLFL / DLTFL / DLTPNDFL / DLTCRIT and
    its ASTCT grades the derived grade DTOXGRN of CRS / ICANS records.

    With ``batched_adlb`` ADLB is a :class:`~cartrial.adam.BatchedDataset` derived subject batch
    by subject batch when it is read (one row per LB record), so a large trial's ADLB is never
    held whole (:func:`cartrial.adam.write_adam` writes it batch by batch).

    Parameters
    ----------
    study : Study
        The SDTM transfer (DM, EX, AE, PR, MH, DS; LB, RS, PC when present).
    protocol : Protocol
        The trial's protocol (dose levels, populations, safety windows).
    safety, imwg, efficacy, kinetics : optional
        The engines' results; a dataset whose source is None is not built.
    mrd : pandas.DataFrame, optional
        MRD results for ADRS.
    batched_adlb : bool
        Build ADLB as a :class:`~cartrial.adam.BatchedDataset`.
    release : callable, optional
        ``release(still_read)``, called once ADSL is derived and once ADLB is: the rest of the
        build reads only the domains ``still_read`` (:data:`READ_AFTER_ADSL`,
        :data:`READ_AFTER_ADLB`), so the others may be freed meanwhile (``analyze``:
        :func:`cartrial.report.held_study.release_unread`).

    Returns
    -------
    AdamResult
        The datasets, the DLT adjudication and the data cut-off.

    Raises
    ------
    InputError, RecordError
        On a missing variable or a record that cannot be derived.

    References
    ----------
    CDISC ADaM Implementation Guide v1.3, 2021.

    Examples
    --------
    Needs a whole trial (``cartrial demo`` writes one):

    >>> res = build_adam(load_study("sdtm"), load_protocol("ct071"))  # doctest: +SKIP
    >>> list(res.datasets)  # doctest: +SKIP
    ['ADSL', 'ADAE', 'ADLB']
    """
    dlt = safety.dlt if safety is not None else None
    adsl = derive_adsl(study, protocol, dlt_patients=dlt.patients if dlt is not None else None)
    release_freed_memory()  # ADSL read every dated record of a large study
    _release(release, READ_AFTER_ADSL)
    # each frame held encoded as soon as it is derived (issue #18: memory), ADAE's text as
    # one object per distinct value meanwhile
    ds = HeldDatasets({"ADSL": adsl})
    _hold(ds, "ADAE", lambda: share_repeats(_adae(study["AE"], adsl, protocol, safety)))
    if "LB" in study and batched_adlb:
        # LB as the study holds it (encoded: issue #18), not decoded for ADLB
        _hold(ds, "ADLB", lambda: adlb_batched(study.domains.held("LB"), adsl, protocol))
    elif "LB" in study:
        _hold(ds, "ADLB", lambda: derive_adlb(study["LB"], adsl, protocol))
    _release(release, READ_AFTER_ADLB)
    cutoff = data_cutoff(adsl)
    # CAR-T dose, lymphodepletion per agent
    _hold(ds, "ADEX", lambda: derive_adex(study["EX"], adsl))
    if imwg is not None:
        _hold(ds, "ADRS", lambda: derive_adrs(imwg, adsl, rs=study.get("RS"), mrd=mrd,
                                              mrd_sensitivity=protocol.endpoints.mrd_sensitivity))
    if efficacy is not None:
        _hold(ds, "ADTTE", lambda: derive_adtte(efficacy.tte, adsl))
    if kinetics is not None:
        if "PC" in study:
            _hold(ds, "ADPC", lambda: derive_adpc(study["PC"], adsl))
        _hold(ds, "ADPP", lambda: derive_adpp(kinetics.nca, adsl))
        if kinetics.cytokines is not None and len(kinetics.cytokines):
            _hold(ds, "ADCYT", lambda: derive_adcyt(kinetics.cytokines, adsl))
        if kinetics.ada is not None and len(kinetics.ada) and "IS" in study:  # anti-drug
            _hold(ds, "ADAB", lambda: derive_adab(study["IS"], kinetics.ada, adsl))  # antibodies
    if safety is not None:  # the IEC-HS screen; the CRS / ICANS episodes (ADSYND)
        ds["ADSL"] = adsl = derive_var_iecscrfl(adsl, safety.iec_hs)
        _hold(ds, "ADSYND", lambda: derive_adsynd(safety.crs.episodes, safety.icans.episodes,
                                                  adsl))
    if safety is not None and len(safety.icaht):   # ICAHT and CAR-HEMATOTOX per subject
        _hold(ds, "ADHTOX", lambda: derive_adhtox(safety.icaht, safety.hematotox, adsl,
                                                  safety.cytopenias,
                                                  protocol.safety.prolonged_cytopenia_day))
    return AdamResult(ds, dlt, cutoff)
