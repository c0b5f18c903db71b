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


class _NotFlat(Exception):
    """A record holds something other than text, a number or null: ``json`` writes it."""


def _value(v: object) -> str:
    if isinstance(v, str):
        return encode_basestring(v)
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if not isinstance(v, float):
        raise _NotFlat
    if not math.isfinite(v):
        raise ValueError("Out of range float values are not JSON compliant: " + repr(v))
    return float.__repr__(v)


def _record(r: object) -> str:
    if not isinstance(r, dict) or not r:
        raise _NotFlat
    return "  {\n" + ",\n".join(f"   {_key(k)}: {_value(v)}" for k, v in r.items()) + "\n  }"


def _key(k: object) -> str:
    if not isinstance(k, str):
        raise _NotFlat
    return encode_basestring(k)


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
    if doc and list(doc)[-1] == "results" and isinstance(rows, list) and rows:
        try:
            body = ",\n".join(_record(r) for r in rows)
        except _NotFlat:
            body = None
        if body is not None:
            head = json.dumps({**doc, "results": []}, indent=1, ensure_ascii=False,
                              allow_nan=False)
            return head.removesuffix("[]\n}") + "[\n" + body + "\n ]\n}"
    return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)
