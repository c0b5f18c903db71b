"""The header records of the XPORT v5 writer: SAS formats split as ReadStat's
``xport_parse_format`` splits them (the bytes against pyreadstat are in test_xport.py)."""

from __future__ import annotations

from cartrial.data.xport_header import parse_format


def test_parse_format_splits_as_readstat() -> None:
    assert parse_format("DATE9.") == ("DATE", 9, 0)
    assert parse_format("8.3") == ("", 8, 3)
    assert parse_format("$CHAR20.") == ("$CHAR", 20, 0)
    assert parse_format("E8601DA10.") == ("E8601DA", 10, 0)  # digits inside the name stay in it
    assert parse_format("") == ("", 0, 0)
    assert parse_format("PD4.") == ("PD", 4, 0)  # ReadStat's grammar lacks 2-character names
