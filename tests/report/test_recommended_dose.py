"""Section 14.6 "Recommended dose" (issue #20 point 6) on the example trial.

Outside references: the example's truth files, written by the simulator before and independently
of the SDTM the engines read (``truth/dlt.csv``: each patient's DLT; ``truth/subjects.csv``: best
confirmed response; ``truth/episodes.csv``: each CRS / ICANS episode's grade;
``truth/escalation.csv``: the dose the conduct simulator selected), and Clopper-Pearson intervals
from SciPy's ``binomtest(...).proportion_ci(method="exact")`` (an implementation the report does
not use).
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest
import yaml
from scipy.stats import binomtest

from cartrial.data import load_study
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol, parse_protocol, protocol_text
from cartrial.report.recommended_dose import recommended_dose_section, selection_table
from tests._scratch import scratch_dir

pytestmark = pytest.mark.slow


@cache
def example():
    out = scratch_dir(prefix="cartrial-rd-")
    write_example(simulate_trial(load_protocol("ct071"), seed=1, scenario="default"), out)
    study = load_study(out)
    proto = load_protocol(out / "protocol.yaml")
    from cartrial.efficacy.sdtm import efficacy_from_study
    from cartrial.kinetics import analyse_kinetics
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import safety_inputs

    safety = analyse_safety(safety_inputs(study, proto), proto)
    eff, imwg = efficacy_from_study(study, proto)[:2]
    kin = analyse_kinetics(study.domains, proto)
    return out, study, proto, safety, eff, kin, imwg


def _ci(x: int, n: int) -> str:
    ci = binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    return f"{x}/{n} ({100 * x / n:.0f}%) [{100 * ci.low:.1f}, {100 * ci.high:.1f}]"


def test_profile_against_the_truth():
    """Table 14.6.1 as the report builds it: from the ADaM datasets (build_adam) alone."""
    from cartrial.adam import build_adam
    from cartrial.efficacy.sdtm import mrd_from_sdtm
    from cartrial.report.dose_profile_adam import with_adam_profile

    out, study, proto, safety, eff, kin, imwg = example()
    ds = build_adam(study, proto, safety=safety, imwg=imwg, efficacy=eff,
                    mrd=mrd_from_sdtm(study["LB"]), kinetics=kin).datasets
    sec = with_adam_profile(recommended_dose_section(study, proto, safety, eff, kin), ds, proto)
    assert sec.title == "14.6 Recommended dose"
    assert [t.number for t in sec.items][:2] == ["14.6.1", "14.6.2"]
    w = sec.items[0].wide()
    assert "in whole blood" in " ".join(sec.items[0].footnotes)  # the example's PCSPEC
    dlt = pd.read_csv(out / "truth" / "dlt.csv")
    subj = pd.read_csv(out / "truth" / "subjects.csv")
    # by the dose received (as treated): an out-of-specification product counts at its level
    received = pd.read_csv(out / "truth" / "exposure.csv")[["USUBJID", "received_dose_level"]]
    infused = subj[subj["infusion_dtc"].notna()].merge(
        received.rename(columns={"received_dose_level": "dose"}), on="USUBJID")
    ep = pd.read_csv(out / "truth" / "episodes.csv")
    for d in proto.dose_levels:
        col = f"{d.id} {d.label}"
        at = infused[infused["dose"] == d.id]
        assert w.loc["Patients infused, n", col] == str(len(at))
        # every infused patient of the example completes the DLT window or has a DLT
        dl = dlt[dlt["USUBJID"].isin(at["USUBJID"])]
        assert w.loc["DLT, n/N (%) [CI]", col] == _ci(int((dl["dlt"] == "Y").sum()), len(dl))
        for syn in ("CRS", "ICANS"):
            g = ep[ep["syndrome"] == syn].groupby("USUBJID")["max_grade"].max()
            x = int((at["USUBJID"].map(g).fillna(0) >= 2).sum())
            assert w.loc[f"{syn} grade >= 2, n/N (%) [CI]", col] == _ci(x, len(at))
        bor = at["best_confirmed_response"]
        orr = int(bor.isin(["PR", "VGPR", "CR", "sCR"]).sum())
        assert w.loc["Overall response (PR or better), n/N (%) [CI]", col] == _ci(orr, len(at))
        crp = int(bor.isin(["CR", "sCR"]).sum())
        assert w.loc["CR or better, n/N (%) [CI]", col] == _ci(crp, len(at))


def test_boin_states_the_mtd_of_the_truth_and_no_obd():
    out, study, proto, *_ = example()
    t, intro = selection_table(study, proto)
    esc = pd.read_csv(out / "truth" / "escalation.csv", keep_default_na=False)
    chosen = esc.loc[esc["action"] == "select", "next_dose"].iloc[0]
    w = t.wide()
    sel = [c.split(" ")[0] for c in w.columns if w.loc["Selected", c] == "MTD"]
    assert sel == [chosen]
    assert intro.startswith(f"Maximum tolerated dose (MTD) by the protocol's design (BOIN): "
                            f"{chosen}")
    assert "no optimal biological dose is named" in t.footnotes[0]
    assert "OBD" not in " ".join(w.loc["Selected"])


def test_boin12_names_the_obd_with_its_utility():
    """Regression on the engine's selection (BOIN12's selection equals R phase12designs in
    tests/design): the table shows the engine's OBD, utilities and admissible set."""
    out, study, _, safety, eff, kin, _ = example()
    d = yaml.safe_load(protocol_text(out / "protocol.yaml")[1])
    d["design"].update(name="boin12", target=0.35, boin12={"phi_e": 0.25}, cap_per_dose=None)
    p = parse_protocol(yaml.safe_dump(d))
    t, intro = selection_table(study, p)
    w = t.wide()
    assert intro.startswith("Optimal biological dose (OBD) by the protocol's design (BOIN12)")
    assert "Utility estimate (0-100)" in w.index
    assert list(w.loc["Selected"]).count("OBD") == 1
    assert "Reason: OBD dose" in t.footnotes[0] and "Admissible set:" in t.footnotes[0]
    # the responses by day 28 + 7 among escalation patients: the truth's assessments
    r = pd.read_csv(out / "truth" / "responses.csv")
    yes = set(r.loc[r["response"].isin(["PR", "VGPR", "CR", "sCR"]) & (r["day"] <= 35),
                    "USUBJID"])
    dlt = pd.read_csv(out / "truth" / "dlt.csv")
    esc = dlt[dlt["phase"] == "ESCALATION"]
    want = [str(len(set(esc.loc[esc["dose"] == d, "USUBJID"]) & yes)) for d in ("DL1", "DL2")]
    assert w.loc["Responses (PR or better by day 28 (window +7 days)), n"].tolist() == want
    # the utility row is the paper's u(p_T, p_E) = 100 p_E (1 - p_T) + 60 p_E p_T
    # + 40 (1 - p_E)(1 - p_T) of the two estimate rows (Lin et al. 2020, utility table)
    for c in w.columns:
        pt = float(w.loc["DLT probability (isotonic estimate)", c])
        pe = float(w.loc["Response probability (unimodal, model-averaged estimate)", c])
        u = 100 * pe * (1 - pt) + 60 * pe * pt + 40 * (1 - pe) * (1 - pt)
        assert float(w.loc["Utility estimate (0-100)", c]) == pytest.approx(u, abs=0.2)
