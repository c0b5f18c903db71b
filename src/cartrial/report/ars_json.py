"""The text of an analysis-results JSON file: ``json.dumps(doc, indent=1, ensure_ascii=False,
allow_nan=False)``, its ``results`` records written without the pure-Python encoder that
``json`` uses for every value when an indent is asked (issue #18: a report's ARS files hold
~10,000 records of 15 values). A record of text, numbers and nulls is written as ``json``
writes it (keys and text through ``json``'s own string encoder, numbers by ``repr``); any
other document is left to ``json.dumps``.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring

_SCALARS = (str, float, int, bool, type(None))


def _value(v: object) -> str:
    if isinstance(v, str):
        return encode_basestring(v)
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if not math.isfinite(v):  # a float (checked by the caller)
        raise ValueError("Out of range float values are not JSON compliant: " + repr(v))
    return float.__repr__(v)


def _flat(records: object) -> bool:
    """A non-empty list of non-empty dicts of str keys and scalar values."""
    return isinstance(records, list) and bool(records) and all(
        isinstance(r, dict) and r and all(isinstance(k, str) and isinstance(v, _SCALARS)
                                          for k, v in r.items()) for r in records)


def json_text(doc: dict) -> str:
    """``json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)``, byte for byte.

    Parameters
    ----------
    doc : dict
        The document; its last key ``results`` a list of flat records is written here, the
        rest (and any other document) by ``json.dumps``.

    Returns
    -------
    str
        The JSON text (without a final line end).

    Raises
    ------
    ValueError
        A number is NaN or infinite (as ``allow_nan=False``).

    Examples
    --------
    >>> doc = {"table": "14.1.1", "results": [{"row": "Ä \\"x\\"", "value": 1.5, "n": None}]}
    >>> json_text(doc) == json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)
    True
    """
    rows = doc.get("results")
    if not doc or list(doc)[-1] != "results" or not _flat(rows):
        return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)
    head = json.dumps({**doc, "results": []}, indent=1, ensure_ascii=False, allow_nan=False)
    body = ",\n".join("  {\n" + ",\n".join(f"   {encode_basestring(k)}: {_value(v)}"
                                           for k, v in r.items()) + "\n  }" for r in rows)
    return head.removesuffix("[]\n}") + "[\n" + body + "\n ]\n}"
