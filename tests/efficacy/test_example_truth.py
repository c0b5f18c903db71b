"""The example trial's derived responses and event dates equal its truth/ (issue #6 item 6).

The example generator (cartrial.example) writes SDTM plus truth tables computed by its own small,
independent IMWG implementation. Known, documented differences from that truth:
- pPCL marrow: the IMWG 2013 PCL table (Fernández de Larrea C et al., Leukemia 2013;27:780-91)
requires marrow plasma cells < 5 % for VGPR
  and cartrial downgrades a pPCL VGPR to PR while no post-baseline marrow exists (missing data
  downgrade) or while the last marrow (carried forward) shows >= 5 %; the example ignores
  marrow for pPCL. Subjects with such an assessment are compared only up to it. (The pPCL
  6-week persistence and the PCL urine "and" rule are now in the example too, so the comparison
  runs with the protocol's default settings);
- best response: the example reports NE for a patient whose only confirmed category is PD or
  whose single response is unconfirmed at the last assessment; cartrial reports PD / SD
  (admiralonco adrs_imwg table). Those subjects are checked to have no confirmed PR or better.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial import example  # the engine-vs-truth tests fail if the example breaks, never skip
from cartrial.data import load_study
from cartrial.efficacy import efficacy_from_study
from cartrial.protocol import load_protocol

if not hasattr(example, "simulate_trial"):  # pragma: no cover - generator not there yet
    pytest.skip("cartrial.example.simulate_trial not available", allow_module_level=True)


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", None))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "scenario", "n"), [(20240228, "default", None), (1, "ppcl-heavy", 40)]
)
def test_derived_responses_equal_truth(tmp_path, seed, scenario, n):
    proto = load_protocol("ct071")
    trial = example.simulate_trial(proto, seed=seed, n_patients=n, scenario=scenario)
    example.write_example(trial, tmp_path)
    res, imwg, _ = efficacy_from_study(load_study(tmp_path), proto)
    truth = trial.truth
    r = truth["responses"].assign(ADT=lambda d: pd.to_datetime(d["dtc"]))
    m = r.merge(
        imwg.assessments[["USUBJID", "ADT", "AVALC", "CONFC", "BMPC_USED"]],
        on=["USUBJID", "ADT"],
        how="left",
    )
    marrow_rule = (
        m["population"].eq("PPCL")
        & (m["BMPC_USED"].isna() | (m["BMPC_USED"] >= 5))
        & m["response"].isin(["VGPR", "CR"])
        & m["AVALC"].eq("PR")
    )
    first_rule = m[marrow_rule].groupby("USUBJID")["ADT"].min()
    assert len(first_rule) <= 0.25 * m["USUBJID"].nunique()  # the comparison stays broad
    cut = m["USUBJID"].map(first_rule)
    m = m[cut.isna() | (m["ADT"] < cut)]  # rows before the marrow rule first acts
    assert (m["response"] == m["AVALC"]).all(), m[m["response"] != m["AVALC"]].head()
    conf = m[(m["confirmed"] != "") & ~m["USUBJID"].isin(first_rule.index)]
    assert (conf["confirmed"] == conf["CONFC"]).all(), conf[conf["confirmed"] != conf["CONFC"]]

    ts = truth["subjects"].set_index("USUBJID")
    ts = ts[~ts.index.isin(first_rule.index)]
    ds = imwg.subjects.set_index("USUBJID").reindex(ts.index)
    assert (
        (_dates(ts["first_response_dtc"]).fillna(pd.NaT) == ds["FRSPDT"])
        .where(ds["FRSPDT"].notna() | _dates(ts["first_response_dtc"]).notna(), True)
        .all()
    )
    pdt = _dates(ts["pd_dtc"])
    assert ((pdt == ds["PDDT"]) | (pdt.isna() & ds["PDDT"].isna())).all()
    bor = ds["BOR"].fillna("NE")
    known = ts["best_confirmed_response"].eq("NE")
    assert (ts.loc[~known, "best_confirmed_response"] == bor[~known]).all()
    assert bor[known].isin(["NE", "SD", "PD"]).all()
    # infused subjects only are assessed; the never-infused count as NE in the rates
    assert res.rates.query("group == 'Overall' and endpoint == 'ORR'")["N"].iloc[0] >= len(ts)
