"""TU/TR plasmacytomas in long form: SPD summed over lesions per date, a new lesion, and the
TR record named for a negative diameter (IMWG 2016 plasmacytoma criteria: Kumar S et al.,
Lancet Oncol 2016;17:e328-46)."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.efficacy.sdtm_tumours import tumours_long
from cartrial.errors import RecordError


def _tr(values: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([{"USUBJID": "P1", "TRSEQ": i, "TRLNKID": lk, "TRTESTCD": code,
                          "TRDTC": "2024-03-01", "TRSTRESN": v}
                         for i, (lk, code, v) in enumerate(values, start=1)])


def test_spd_and_new_lesion_rows() -> None:
    tr = _tr([("T1", "ldiam", 20.0), ("T1", "LPERP", 10.0), ("T2", "LDIAM", 5.0),
              ("T2", "LPERP", 10.0)])
    tu = pd.DataFrame({"USUBJID": ["P1"], "TUORRES": [" new"], "TUDTC": ["2024-03-29"]})
    got = tumours_long(tu, tr)
    assert got[["col", "value"]].values.tolist() == [["SPD", 250.0], ["NEWLES", "Y"]]
    assert not got["BLFL"].any() and got["LBSEQ"].isna().all()
    assert tumours_long(None, None).empty


def test_negative_diameter_names_the_tr_record() -> None:
    with pytest.raises(RecordError, match="lesion diameter") as e:
        tumours_long(None, _tr([("T1", "LDIAM", 20.0), ("T1", "LPERP", -1.0)]))
    assert (e.value.finding.domain, e.value.finding.seq) == ("TR", 2)
