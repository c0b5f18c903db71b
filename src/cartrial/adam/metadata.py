"""Dataset and variable metadata of the ADaM datasets (labels <= 40 ASCII characters, XPT v5),
and the define-like HTML listing of both."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from jinja2 import Environment, select_autoescape

from cartrial.adam.batched import BatchedDataset, ColumnKinds, concat
from cartrial.adam.column_profile import column_profile
from cartrial.data import data_model
from cartrial.errors import InputError

DATASETS = {
    "ADSL": ("Subject-Level Analysis Dataset", "one row per subject"),
    "ADAE": ("Adverse Events Analysis Dataset", "one row per adverse event"),
    "ADLB": ("Laboratory Analysis Dataset", "one row per subject, parameter and sample"),
    "ADRS": ("Response Analysis Dataset", "one row per subject, parameter and assessment"),
    "ADTTE": ("Time-to-Event Analysis Dataset", "one row per subject and parameter"),
    "ADPC": ("Pharmacokinetic Concentrations Analysis", "one row per subject, analyte and sample"),
    "ADPP": ("Pharmacokinetic Parameters Analysis", "one row per subject, analyte and parameter"),
    "ADCYT": ("Cytokine Parameters Analysis Dataset",
              "one row per subject, cytokine and parameter"),
    "ADHTOX": ("Haematotoxicity Analysis Dataset", "one row per subject and parameter"),
    "ADSYND": ("CRS and ICANS Episodes Analysis Dataset",
               "one row per subject, syndrome, episode and parameter"),
    "ADEX": ("Exposure Analysis Dataset", "one row per subject and parameter"),
    "ADAB": ("Anti-Drug Antibody Analysis Dataset",
             "one row per subject, test, parameter and sample"),
}

LABELS: dict[str, str] = {
    "STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
    "SUBJID": "Subject Identifier for the Study", "SITEID": "Study Site Identifier",
    "AGE": "Age", "AGEU": "Age Units", "AGEGR1": "Pooled Age Group 1", "SEX": "Sex",
    "RACE": "Race", "ETHNIC": "Ethnicity", "COUNTRY": "Country", "ARMCD": "Planned Arm Code",
    "ACTARMCD": "Actual Arm Code",
    "ARM": "Description of Planned Arm", "ACTARM": "Description of Actual Arm",
    "ARMNRS": "Reason Arm and/or Actual Arm is Null",
    "TRT01P": "Planned Treatment for Period 01", "TRT01PN": "Planned Treatment for Period 01 (N)",
    "TRT01A": "Actual Treatment for Period 01", "TRT01AN": "Actual Treatment for Period 01 (N)",
    "TRTSDT": "Date of First Exposure to Treatment", "TRTEDT": "Date of Last Exposure to Treatment",
    "INFDT": "Date of CAR-T Infusion", "DOSEA": "Actual Dose (10^6 CAR+ T cells/kg)",
    "DOSEU": "Actual Dose Units", "LDSTDT": "Lymphodepletion Start Date",
    "APHDT": "Leukapheresis Date", "ITTFL": "Leukapheresed (Enrolled) Population Flag",
    "DTHDT": "Date of Death", "DTHDTF": "Date of Death Imputation Flag", "DTHFL": "Death Flag",
    "DTHCAUS": "Cause of Death", "EOSSTT": "End of Study Status", "EOSDT": "End of Study Date",
    "DCSREAS": "Reason for Discontinuation from Study", "LSTALVDT": "Date Last Known Alive",
    "POPCD": "Disease Population Code", "PPCLFL": "Primary Plasma Cell Leukemia Flag",
    "SAFFL": "Safety Population Flag", "EFFFL": "Efficacy Population Flag",
    "DLTEVLFL": "DLT-Evaluable Population Flag", "DLTFL": "Dose-Limiting Toxicity Flag",
    "ASEQ": "Analysis Sequence Number", "ASTDT": "Analysis Start Date",
    "ASTDTF": "Analysis Start Date Imputation Flag", "AENDT": "Analysis End Date",
    "AENDTF": "Analysis End Date Imputation Flag", "ASTDY": "Analysis Start Relative Day",
    "AENDY": "Analysis End Relative Day", "ADURN": "Analysis Duration (N) (days)",
    "TRTEMFL": "Treatment Emergent Analysis Flag", "ATOXGR": "Analysis Toxicity Grade",
    "ATOXGRN": "Analysis Toxicity Grade (N)", "ATOXSCL": "Toxicity Grading Scale",
    "CRSFL": "Cytokine Release Syndrome Flag", "ICANSFL": "ICANS Flag",
    "DTOXGRN": "Derived Toxicity Grade (N)", "GRDDIFFL": "Derived and Reported Grade Differ",
    "ATOXGRSC": "Source of Analysis Toxicity Grade",
    "PARAMCD": "Parameter Code", "PARAM": "Parameter", "PARCAT1": "Parameter Category 1",
    "PARCAT2": "Parameter Category 2", "AVAL": "Analysis Value",
    "AVALC": "Analysis Value (C)", "AVALU": "Analysis Value Unit", "ADT": "Analysis Date",
    "ADTF": "Analysis Date Imputation Flag", "ADY": "Analysis Relative Day",
    "ADAYINF": "Days from CAR-T Infusion (Day 0)", "ABLFL": "Baseline Record Flag",
    "BASE": "Baseline Value", "BASEC": "Baseline Value (C)", "CHG": "Change from Baseline",
    "PCHG": "Percent Change from Baseline", "ANRLO": "Analysis Normal Range Lower Limit",
    "ANRHI": "Analysis Normal Range Upper Limit", "ANRIND": "Analysis Reference Range Indicator",
    "ATOXDSCL": "Analysis Toxicity Description Low",
    "ATOXDSCH": "Analysis Toxicity Description High",
    "ATOXGRL": "Analysis Toxicity Grade Low", "ATOXGRH": "Analysis Toxicity Grade High",
    "BTOXGRL": "Baseline Toxicity Grade Low", "BTOXGRH": "Baseline Toxicity Grade High",
    "ANL01FL": "Analysis Flag 01", "MDTYPE": "Measurable Disease Type",
    "SRCSEQ": "Source Sequence Number", "SRCDOM": "Source Data", "SRCVAR": "Source Variable",
    "AVISIT": "Analysis Visit", "MRDSENS": "MRD Assay Sensitivity",
    "STARTDT": "Time-to-Event Origin Date", "CNSR": "Censor",
    "EVNTDESC": "Event or Censoring Description",
    "CNSDTDSC": "Censor Date Description", "AVALM": "Analysis Value (Months)",
    "NMISSASS": "Missed Assessments Before Event", "ANLFLAG": "Analysis Flags (NCA)",
    "AVISITN": "Analysis Visit (N)", "ALLOQ": "Analysis Lower Limit of Quantitation",
    "AFRLT": "Actual Rel Time from First Dose", "NFRLT": "Nominal Rel Time from First Dose",
    "FRLTU": "Rel Time from First Dose Unit", "PPTESTCD": "Parameter Short Name (NCA)",
    "LBSEQ": "Sequence Number (LB)", "AESEQ": "Sequence Number (AE)",
    # ADSL CSR variables (cartrial.adam.adsl_csr)
    "APHFL": "Leukapheresed Flag", "BRIDGFL": "Bridging Therapy Flag",
    "BRDGRSP": "Response to Bridging Therapy",
    "LDFL": "Lymphodepletion Received Flag", "MFGFFL": "Manufacturing Failure Flag",
    "NINFRS": "Reason Not Infused", "DOSEP": "Planned Dose (10^6 CAR+ T cells/kg)",
    "DOSELFL": "Infused Below Planned Dose Flag", "VVDUR": "Leukapheresis to Infusion (days)",
    "B2MBL": "Baseline Beta-2 Microglobulin (mg/L)", "ALBBL": "Baseline Albumin (g/L)",
    "LDHBL": "Baseline LDH (U/L)", "LDHULN": "Baseline LDH Upper Limit of Normal",
    "ECOGBL": "Baseline ECOG Performance Status", "HRCYTOFL": "High-Risk Cytogenetics Flag",
    "ISS": "International Staging System Stage", "RISS": "Revised ISS Stage",
    "EMDFL": "Extramedullary Disease Flag", "DIAGDT": "Date of Initial Diagnosis",
    "DIAGDURY": "Years from Diagnosis to Leukapheresis",
    "PRLINES": "Number of Prior Lines of Therapy",
    "TCEXPFL": "Triple-Class Exposed Flag", "TCREFFL": "Triple-Class Refractory Flag",
    "PENEXPFL": "Penta-Drug Exposed Flag", "PENREFFL": "Penta-Drug Refractory Flag",
    "BCMAFL": "Prior BCMA-Directed Therapy Flag",
    "DTHADY": "Death Day from Infusion (Day 0)", "DTHTIM": "Death Timing Category",
    "ICAHTCFL": "ICAHT Day 0-30 Observed Flag", "ICENSDY": "ICAHT Count Censoring Day",
    "ICENSRS": "ICAHT Count Censoring Reason",
    "DLTPNDFL": "DLT Adjudication Pending Flag", "DLTCRIT": "DLT Criterion Met",
    "HTOXRISK": "CAR-HEMATOTOX Risk Group", "IECHSFL": "IEC-HS Reported Flag",
    "IECSCRFL": "IEC-HS Laboratory Screen Positive Flag",
    "EPISODE": "Episode Number within Syndrome",
    "CRIT1": "Analysis Criterion 1", "CRIT1FL": "Criterion 1 Evaluation Result Flag",
    "CRIT2": "Analysis Criterion 2", "CRIT2FL": "Criterion 2 Evaluation Result Flag",
    "NRECS": "Number of Records Summarised",
    "ADPBLPFL": "Has Post-Baseline ADA Sample Flag", "ADABLPFL": "Has Baseline ADA Sample Flag",
}
# ADAE customized queries (cartrial.adam.adae_baskets): one per basket category zz
for _i in range(1, 10):
    LABELS |= {f"CQ0{_i}NAM": f"Customized Query 0{_i} Name",
               f"AOCC0{_i}FL": f"1st Occurrence of CQ0{_i} Flag",
               f"CQ0{_i}ONDY": f"CQ0{_i} First Onset Day from Infusion",
               f"CQ0{_i}RSFL": f"CQ0{_i} All Events Resolved Flag",
               f"CQ0{_i}RSDY": f"CQ0{_i} Days from Onset to Resolution"}


def variable_label(name: str) -> str:
    """ADaM label, else the SDTM label of a carried variable, else an InputError.

    Parameters
    ----------
    name : str
        Variable name (upper case, e.g. ``"TRTSDT"``).

    Returns
    -------
    str
        Its label (at most 40 characters).

    Raises
    ------
    InputError
        When neither ADaM metadata nor the SDTM data model knows the variable.

    Examples
    --------
    >>> variable_label("TRTSDT"), variable_label("AESEQ")
    ('Date of First Exposure to Treatment', 'Sequence Number (AE)')
    >>> variable_label("FOO")
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: no label for variable 'FOO'; add it to ...
    """
    if name in LABELS:
        return LABELS[name]
    for spec in data_model().domains.values():
        if name in spec.variables:
            return spec.variables[name]
    raise InputError(f"no label for variable {name!r}; add it to cartrial.adam.metadata.LABELS")


_TYPE = {"num": "num", "bool": "text", "text": "text"}  # other kinds: "date", "date (<tz>)"


class DatasetProfile:
    """The metadata of one dataset (rows; per variable TYPE, LENGTH, N_MISSING, EXAMPLE),
    gathered from a frame or batch by batch, holding no batch.

    :meth:`add` takes the batches in order; the result is the concatenated frame's (LENGTH the
    largest, N_MISSING the sum, EXAMPLE the first non-missing value in row order, in the
    concatenated dtype). Kinds over batches as :mod:`cartrial.adam.batched` describes
    (``kinds``: the :class:`ColumnKinds`).

    Parameters
    ----------
    dataset : str
        ADaM dataset name (``"ADLB"``), used in error texts.

    Attributes
    ----------
    n_rows : int
        Rows added so far; :meth:`variables` gives the per-variable metadata.

    Examples
    --------
    >>> prof = DatasetProfile("ADSL")
    >>> _ = prof.add(pd.DataFrame({"USUBJID": ["S1"], "AGE": [61.0]}))
    >>> _ = prof.add(pd.DataFrame({"USUBJID": ["S22"], "AGE": [None]}))
    >>> prof.n_rows, [(v["VARIABLE"], v["LENGTH"], v["N_MISSING"]) for v in prof.variables()]
    (2, [('USUBJID', 3, 0), ('AGE', 8, 1)])
    """

    def __init__(self, dataset: str = "") -> None:
        self.kinds = ColumnKinds(dataset)
        self.n_rows = 0
        self._length: dict[str, dict[str, int]] = {}  # column -> batch kind -> LENGTH
        self._missing: dict[str, int] = {}
        # per column: a row (none for a batch without rows) per batch kind, dtype and state (no
        # rows, all missing, values), which is what decides the dtype pandas concatenates to;
        # and the key of the one holding the example
        self._reps: dict[str, dict[tuple[str, str, str], pd.Series]] = {}
        self._example: dict[str, tuple[str, str, str]] = {}
        self._variables: list[dict[str, object]] | None = None  # of the batches so far

    @classmethod
    def of(cls, data: pd.DataFrame | BatchedDataset, dataset: str = "") -> DatasetProfile:
        """The profile of a frame or of every batch of a :class:`BatchedDataset`."""
        profile = cls(dataset)
        for batch in data.batches() if isinstance(data, BatchedDataset) else [data]:
            profile.add(batch)
        if isinstance(data, BatchedDataset):
            profile.check_rows(data)
        return profile

    @property
    def columns(self) -> list[str]:
        return list(self.kinds.columns or [])

    def add(self, batch: pd.DataFrame, coded: Mapping[str, tuple[np.ndarray, np.ndarray]]
            | None = None) -> dict[str, str]:
        """Take in the next batch; returns its columns' kinds (:meth:`ColumnKinds.add`).
        ``coded``: :func:`cartrial.adam.column_profile.distinct` of some object columns, when
        the caller has made it already."""
        # each column looked at once: its profile and missing values (which ColumnKinds needs)
        coded = coded or {}
        profiles = {c: column_profile(batch[c], coded.get(c))
                    for c in dict.fromkeys(batch.columns)}
        kinds = self.kinds.add(batch, has_values={c: not p.na.all() for c, p in
                                                  profiles.items()})
        self._variables = None
        for c, kind in kinds.items():
            s = batch[c]
            length, n_missing, first, na = profiles[c]
            by_kind = self._length.setdefault(c, {})
            by_kind[kind] = max(by_kind.get(kind, 1), length)
            self._missing[c] = self._missing.get(c, 0) + n_missing
            present = ~na
            state = "values" if present.any() else ("missing" if len(s) else "no rows")
            key = (kind, str(s.dtype), state)
            reps = self._reps.setdefault(c, {})
            if first is not None and c not in self._example:
                self._example[c] = key
                reps[key] = s.iloc[first:first + 1].copy()  # not a view: no batch kept
            elif key not in reps:
                at = int(np.argmax(present)) if len(s) else 0
                reps[key] = s.iloc[at:at + 1].copy()
        self.n_rows += len(batch)
        return kinds

    def check_rows(self, data: BatchedDataset) -> None:
        """InputError when the batches did not have the ``n_rows`` the dataset declares."""
        if self.n_rows != data.n_rows:
            raise InputError(f"{self.kinds.dataset}: the batches have {self.n_rows} rows, the "
                             f"dataset declares {data.n_rows}")

    def _example_text(self, c: str, type_: str) -> str:
        if c not in self._example:
            return ""
        reps, kind = self._reps[c], self.kinds.resolved()[c]
        keys = list(reps)  # aligned as BatchedDataset.to_frame aligns the batches
        whole = concat([(r if k[0] == kind else self.kinds.missing(c, r.index)).to_frame()
                        for k, r in reps.items()])[c]  # frames: pandas' dtype rules for frames
        ex = whole.iloc[sum(len(reps[k]) for k in keys[:keys.index(self._example[c])])]
        return ex.strftime("%Y-%m-%d") if type_ == "date" else str(ex)

    def variables(self) -> list[dict[str, object]]:
        """VARIABLE, LABEL, TYPE, LENGTH, N_MISSING, EXAMPLE per column, in column order
        (worked out once per batches added: define.html and define.xml both ask)."""
        if self._variables is None:
            self._variables = [
                {"VARIABLE": c, "LABEL": variable_label(c), "TYPE": (t := _TYPE.get(k, "date")),
                 "LENGTH": self._length[c].get(k, 8 if k == "num" else 1),
                 "N_MISSING": self._missing[c], "EXAMPLE": self._example_text(c, t)}
                for c, k in self.kinds.resolved().items()]
        return [dict(v) for v in self._variables]


def _profiles(datasets: Mapping[str, pd.DataFrame | BatchedDataset | DatasetProfile]
              ) -> dict[str, DatasetProfile]:
    return {n: d if isinstance(d, DatasetProfile) else DatasetProfile.of(d, n)
            for n, d in datasets.items()}


def variable_metadata(datasets: Mapping[str, pd.DataFrame | BatchedDataset | DatasetProfile]
                      ) -> pd.DataFrame:
    """One row per dataset and variable: DATASET, VARIABLE, LABEL, TYPE, LENGTH (max bytes of
    text / 8 for numbers), N_MISSING, EXAMPLE. A dataset is a frame, a :class:`BatchedDataset`
    or the :class:`DatasetProfile` gathered while writing it.

    Parameters
    ----------
    datasets : mapping of str to DataFrame, BatchedDataset or DatasetProfile
        ADaM name -> dataset.

    Returns
    -------
    pandas.DataFrame
        One row per variable; TYPE is ``"text"`` or ``"num"``, LENGTH in bytes.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "AGE": [61.0, None]})
    >>> variable_metadata({"ADSL": adsl})
      DATASET VARIABLE                      LABEL  TYPE  LENGTH  N_MISSING EXAMPLE
    0    ADSL  USUBJID  Unique Subject Identifier  text       2          0      S1
    1    ADSL      AGE                        Age   num       8          1    61.0
    """
    return pd.DataFrame([{"DATASET": n} | v for n, p in _profiles(datasets).items()
                         for v in p.variables()])


_DEFINE = Environment(autoescape=select_autoescape(default=True), trim_blocks=True,
                      lstrip_blocks=True).from_string("""\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ study }} ADaM metadata</title>
<style>body{font-family:Helvetica,Arial,sans-serif;font-size:13px;margin:24px}
table{border-collapse:collapse;margin-bottom:24px}th,td{border:1px solid #bbb;padding:2px 6px;
text-align:left}th{background:#eef}</style></head><body>
<h1>{{ study }}: ADaM dataset and variable metadata</h1>
<p>cartrial {{ version }}; protocol SHA-256 {{ protocol_hash }}; input data SHA-256
{{ data_hash }}. Files: CSV and SAS XPORT v5 (names &lt;= 8, labels &lt;= 40 ASCII characters).
Type date: ISO 8601 text (YYYY-MM-DD, length 10) in CSV, SAS numeric date (DATE9., length 8) in
XPT.</p>
<h2>Datasets</h2>
<table><thead><tr><th>Dataset</th><th>Label</th><th>Structure</th><th>Records</th>
<th>Variables</th><th>Files</th></tr></thead><tbody>
{% for d in datasets %}<tr><td><a href="#{{ d.name }}">{{ d.name }}</a></td><td>{{ d.label }}</td>
<td>{{ d.structure }}</td><td>{{ d.n }}</td><td>{{ d.k }}</td>
<td>{{ d.name|lower }}.csv, {{ d.name|lower }}.xpt</td></tr>
{% endfor %}</tbody></table>
{% for d in datasets %}
<h2 id="{{ d.name }}">{{ d.name }}: {{ d.label }}</h2>
<table><thead><tr><th>Variable</th><th>Label</th><th>Type</th><th>Length</th><th>Missing</th>
<th>Example</th></tr></thead><tbody>
{% for v in d.vars %}<tr><td>{{ v.VARIABLE }}</td><td>{{ v.LABEL }}</td><td>{{ v.TYPE }}</td>
<td>{{ v.LENGTH }}</td><td>{{ v.N_MISSING }}</td><td>{{ v.EXAMPLE }}</td></tr>
{% endfor %}</tbody></table>
{% endfor %}
</body></html>
""")


def define_html(datasets: Mapping[str, pd.DataFrame | BatchedDataset | DatasetProfile], *,
                study: str, version: str, protocol_hash: str, data_hash: str) -> str:
    """The define-like metadata listing (datasets, then variables per dataset) as HTML; a
    dataset is given as :func:`variable_metadata` takes it.

    Parameters
    ----------
    datasets : mapping of str to DataFrame, BatchedDataset or DatasetProfile
        ADaM name -> dataset.
    study, version : str
        Study id and cartrial version shown in the header.
    protocol_hash, data_hash : str
        SHA-256 of the protocol and of the SDTM input (provenance).

    Returns
    -------
    str
        A standalone HTML page.

    References
    ----------
    CDISC Define-XML v2.1, 2019 (the metadata this page lists).

    Examples
    --------
    >>> html = define_html({"ADSL": pd.DataFrame({"USUBJID": ["S1"]})}, study="CT071",
    ...                    version="1", protocol_hash="abc", data_hash="def")
    >>> html.startswith("<!DOCTYPE html>"), "Unique Subject Identifier" in html
    (True, True)
    """
    ds = [{"name": n, "label": DATASETS.get(n, (n, ""))[0],
           "structure": DATASETS.get(n, ("", ""))[1], "n": p.n_rows, "k": len(p.columns),
           "vars": p.variables()}
          for n, p in _profiles(datasets).items()]
    return _DEFINE.render(datasets=ds, study=study, version=version,
                          protocol_hash=protocol_hash, data_hash=data_hash)
