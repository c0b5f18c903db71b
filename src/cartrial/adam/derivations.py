"""Origins and derivation texts of the ADaM variables, per-parameter derivations of AVAL, and
per-dataset comments, for the ``def:Origin``, ``MethodDef`` and ``def:CommentDef`` elements of
define.xml.

One source of truth: each deriving module states what it derives beside the code that does it,
in a module-level ``DEFINE`` dict (variable -> ``"Derived: <rule>"``, ``"Assigned: <value>"``
or ``"Predecessor: <DATASET.VARIABLE>"``) and, for a BDS dataset, ``DEFINE_PARAMS`` (PARAMCD ->
derivation of AVAL) or a ``DEFINE_PARAM`` template (``{code}``, ``{param}``). This module only
collects them. A variable no module states is, in this order: one of :data:`COMMON` (derived
the same way in every dataset), a variable of the SDTM data model carried into the dataset
(``Predecessor``, the SDTM domain and variable), or, outside ADSL, an ADSL variable merged in
by USUBJID (``Predecessor``, ADSL.<variable>). Origin types are those of Define-XML 2.1
(def:Origin). A dataset's comment is the first paragraph of its deriving module's
docstring.
"""

from __future__ import annotations

import importlib
import inspect
import re
from functools import cache

from cartrial.data import data_model

#: The deriving modules of each dataset (cartrial.adam.<module>).
MODULES = {"ADSL": ("adsl", "adsl_csr", "adsl_dlt", "iec_hs"),
           "ADAE": ("adae", "adae_baskets", "iec_hs"),
           "ADLB": ("adlb",), "ADRS": ("adrs", "adrs_mrd"), "ADTTE": ("adtte",), "ADPC": ("adpc",),
           "ADPP": ("adpp",), "ADCYT": ("adcyt",), "ADHTOX": ("adhtox", "adhtox_cytopenia"),
           "ADSYND": ("adsynd",), "ADAB": ("adab",), "ADEX": ("adex",)}
#: Variables derived the same way in every dataset holding them.
COMMON = {
    "ASEQ": "Derived: sequence number 1, 2, ... within USUBJID in the dataset's sort order.",
    "ADY": "Derived: ADT - ADSL.TRTSDT + 1 when ADT is on or after TRTSDT, else ADT - TRTSDT "
           "(SDTMIG study day, no day 0).",
}
ORIGIN_TYPES = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available")


def _modules(dataset: str) -> list:
    return [importlib.import_module(f"cartrial.adam.{m}") for m in MODULES.get(dataset, ())]


@cache
def _stated(dataset: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for mod in _modules(dataset):
        out.update(getattr(mod, "DEFINE", {}))
    return out


def _split(entry: str) -> tuple[str, str]:
    kind, _, text = entry.partition(": ")
    if kind not in ORIGIN_TYPES or not text:
        raise ValueError(f"define.xml origin {entry!r}: '<Type>: <text>' with Type one of "
                         f"{ORIGIN_TYPES}")
    return kind, text[:1].upper() + text[1:]


def sdtm_predecessor(variable: str) -> str | None:
    """``DOMAIN.VAR`` of the SDTM variable an ADaM variable carries (DM first), else None.

    Parameters
    ----------
    variable : str
        ADaM variable name.

    Returns
    -------
    str or None
        The first SDTM domain of the data model holding the variable, DM first.

    Examples
    --------
    >>> sdtm_predecessor("AESEQ")
    'AE.AESEQ'
    """
    domains = data_model().domains
    order = ["DM"] + sorted(d for d in domains if d != "DM")
    return next((f"{d}.{variable}" for d in order if variable in domains[d].variables), None)


def variable_origin(dataset: str, variable: str) -> tuple[str, str] | None:
    """(Define-XML origin type, text) of one ADaM variable, or None when nothing states it.

    The text is the derivation for ``Derived``, the value and its source for ``Assigned``, and
    ``DATASET.VARIABLE`` for ``Predecessor`` (order of the module docstring).

    Parameters
    ----------
    dataset : str
        Dataset name (``ADPC``).
    variable : str
        Variable name (``AFRLT``).

    Returns
    -------
    tuple of (str, str) or None

    Raises
    ------
    ValueError
        A module's entry that is not ``"<Type>: <text>"``.

    References
    ----------
    CDISC Define-XML v2.1 specification (2019), def:Origin (its Type values).

    Examples
    --------
    >>> variable_origin("ADPC", "AFRLT")
    ('Derived', 'ADT - ADSL.INFDT in days (infusion = day 0).')
    >>> variable_origin("ADAE", "TRT01A")
    ('Predecessor', 'ADSL.TRT01A')
    """
    if entry := _stated(dataset).get(variable) or COMMON.get(variable):
        return _split(entry)
    if pred := sdtm_predecessor(variable):
        return "Predecessor", pred
    if dataset != "ADSL" and variable in _stated("ADSL"):
        return "Predecessor", f"ADSL.{variable}"
    return None


def variable_derivation(dataset: str, variable: str) -> str | None:
    """The derivation text of a derived ADaM variable, else None.

    Parameters
    ----------
    dataset, variable : str
        As :func:`variable_origin` takes them.

    Returns
    -------
    str or None
        The text of a ``Derived`` origin.

    Examples
    --------
    >>> variable_derivation("ADLB", "CHG")
    'AVAL - BASE for records with ADAYINF > 0.'
    >>> variable_derivation("ADLB", "LBSEQ") is None
    True
    """
    origin = variable_origin(dataset, variable)
    return origin[1] if origin is not None and origin[0] == "Derived" else None


def param_derivation(dataset: str, code: str, param: str) -> str | None:
    """The derivation of AVAL for one parameter of a BDS dataset, else None.

    Parameters
    ----------
    dataset : str
        Dataset name.
    code, param : str
        PARAMCD and PARAM.

    Returns
    -------
    str or None
        The module's ``DEFINE_PARAMS[code]``, else its ``DEFINE_PARAM`` template filled in.

    Examples
    --------
    >>> param_derivation("ADTTE", "OS", "Overall survival")[:30]
    'Event: death from any cause (A'
    """
    for mod in _modules(dataset):
        if text := getattr(mod, "DEFINE_PARAMS", {}).get(code):
            return text
        if template := getattr(mod, "DEFINE_PARAM", None):
            return template.format(code=code, param=param)
    return None


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
    if not doc:
        return None
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", doc.split("\n\n")[0].replace("``", ""))
    return " ".join(text.split())
