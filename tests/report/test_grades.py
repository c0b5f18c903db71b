"""One CRS distribution in the example's report (issue #16 point 1), checked against the example
generator's own truth (``sdtm/truth/episodes.csv``: the ASTCT 2019 grade the simulator built
each episode to, and the grade it had the investigator report), which the grading code never
reads, and against the ADaM datasets.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.report._pipeline import analysed


def _row(path, label: str) -> list[str]:
    """Cells of the text table's row ``label`` (columns are two or more spaces apart)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith(label):
            return re.split(r"\s{2,}", line.strip())[1:]
    raise AssertionError(f"{label!r} not in {path.name}")


def _n(cell: str) -> int:
    return int(cell.split()[0])


def test_teae_table_crs_table_adam_and_truth_agree(tmp_path_factory) -> None:
    s = analysed(tmp_path_factory)
    t = s.out / "tables"
    truth = pd.read_csv(s.out.parent / "sdtm" / "truth" / "subjects.csv")
    infused = truth[truth["infusion_dtc"].notna()]
    want = [int((infused["crs_max_grade"] == g).sum()) for g in range(1, 6)]
    # Table 14.3.1.1: Overall columns grade 1..5 of the CRS preferred term
    teae = [_n(c) for c in _row(t / "table_14_3_1_1.txt", "Cytokine release syndrome")]
    crs = [_n(_row(t / "table_14_3_2.txt", f"CRS: grade {g}")[-1]) for g in range(1, 6)]
    assert teae == crs == want  # 10 / 3 / 2 / 0 / 0 in the example
    adae = pd.read_csv(s.out / "adam" / "adae.csv")
    c = adae[(adae["CRSFL"] == "Y") & (adae["TRTEMFL"] == "Y")]
    worst = c.groupby("USUBJID")["ATOXGRN"].max()
    assert [int((worst == g).sum()) for g in range(1, 6)] == want
    assert set(c["ATOXGRSC"]) == {"DERIVED"}


def test_reconciliation_lists_exactly_the_events_the_investigator_graded_otherwise(
        tmp_path_factory) -> None:
    s = analysed(tmp_path_factory)
    ep = pd.read_csv(s.out.parent / "sdtm" / "truth" / "episodes.csv")
    differ = ep[ep["max_grade"] != ep["investigator_grade"]]
    text = (s.out / "tables" / "table_14_3_2_1.txt").read_text(encoding="utf-8")
    rows = [ln.split() for ln in text.splitlines() if re.match(r"^\d+\s+CT071-", ln)]
    got = sorted((r[1], r[2], int(r[4]), int(r[5])) for r in rows)
    want = sorted(zip(differ["USUBJID"], differ["syndrome"],
                      differ["investigator_grade"].astype(int), differ["max_grade"].astype(int),
                      strict=True))
    assert got == want and len(got) == 3
    assert all(" by " in ln for ln in text.splitlines() if re.match(r"^\d+\s+CT071-", ln))
    adae = pd.read_csv(s.out / "adam" / "adae.csv")
    flagged = adae[adae["GRDDIFFL"] == "Y"]
    assert sorted(flagged["USUBJID"]) == sorted(differ["USUBJID"])
    # the footnote names the primary grade source on every safety table that grades CRS
    for name in ("table_14_3_1.txt", "table_14_3_1_1.txt", "table_14_3_2.txt",
                 "table_14_3_3.txt"):
        assert "the protocol's primary grade source" in (s.out / "tables" / name).read_text(
            encoding="utf-8").replace("\n", " ")


def test_reported_source_gives_the_investigator_distribution_everywhere(tmp_path_factory) -> None:
    """With ``crs_icans_grade_source: reported`` the TEAE table and the CRS table both give the
    investigator's distribution (the simulator's ``investigator_grade``)."""
    from cartrial.data import load_study
    from cartrial.protocol import load_protocol
    from cartrial.safety import analyse_safety, safety_inputs

    s = analysed(tmp_path_factory)
    sdtm = s.out.parent / "sdtm"
    p = load_protocol("ct071")
    p = p.model_copy(update={"safety": p.safety.model_copy(
        update={"crs_icans_grade_source": "reported"})})
    res = analyse_safety(safety_inputs(load_study(sdtm), p), p)
    ep = pd.read_csv(sdtm / "truth" / "episodes.csv")
    inv = ep[ep["syndrome"] == "CRS"].groupby("USUBJID")["investigator_grade"].max()
    want = [int((inv == g).sum()) for g in range(1, 6)]
    teae = res.tables["teae_grade"]
    row = teae[teae["ROW"].str.endswith("Cytokine release syndrome")
               & (teae["COLUMN"] == "Overall")]
    assert row.set_index("STATISTIC").loc[[f"grade {g}" for g in range(1, 6)], "N"].tolist() == want
    crs = res.tables["crs"]
    crs = crs[crs["COLUMN"] == "Overall"].set_index("ROW")["N"]
    assert [int(crs[f"CRS: grade {g}"]) for g in range(1, 6)] == want  # 7 / 6 / 2 in the example
    assert res.method["crs_icans_grade_source"] == "reported"


def test_safety_and_kinetics_commands_use_the_same_grade(tmp_path_factory) -> None:
    """`cartrial safety` prints the reconciliation and `cartrial kinetics` groups by the
    primary grade: the simulator's maximum CRS grade per infused patient."""
    import json

    from typer.testing import CliRunner

    from cartrial.cli.main import app

    s = analysed(tmp_path_factory)
    sdtm = s.out.parent / "sdtm"
    runner = CliRunner()
    out = tmp_path_factory.mktemp("safety")
    r = runner.invoke(app, ["safety", str(sdtm), "--protocol", "ct071", "--out", str(out)],
                      terminal_width=240)
    assert r.exit_code == 0, r.output
    assert "reported and derived grades differ" in r.output
    rec = pd.read_csv(out / "grade_reconciliation.csv")
    ep = pd.read_csv(sdtm / "truth" / "episodes.csv")
    assert sorted(rec["USUBJID"]) == sorted(ep.loc[ep["max_grade"] != ep["investigator_grade"],
                                                   "USUBJID"])
    r = runner.invoke(app, ["kinetics", str(sdtm), "--protocol", "ct071", "--json"])
    assert r.exit_code == 0, r.output
    k = json.loads(r.stdout)
    assert "primary grade source" in k["method"]["crs_grade_source"]
    truth = pd.read_csv(sdtm / "truth" / "subjects.csv").set_index("USUBJID")["crs_max_grade"]
    got = {x["USUBJID"]: x["CRSGR"] for x in k["subjects"]}
    assert got and all(int(truth[u]) == g for u, g in got.items())


def test_ctcae_label_names_the_version_the_protocol_pins():
    from cartrial.errors import InputError
    from cartrial.report.grades import ctcae_label

    assert ctcae_label("6.0") == "NCI CTCAE v6.0"
    assert ctcae_label("5.0") == "NCI CTCAE v5.0"
    with pytest.raises(InputError, match="CTCAE version"):
        ctcae_label(None)


def test_table_14_3_4_names_the_protocols_ctcae_version(tmp_path_factory):
    """The example report's cytopenia table and DLT table footnotes carry the version pinned by
    the protocol (safety.ctcae_version), not a fixed "v5.0"."""
    from cartrial.protocol import load_protocol

    pinned = load_protocol("ct071").safety.ctcae_version
    out = analysed(tmp_path_factory).out / "tables"
    assert f"NCI CTCAE v{pinned} grades from laboratory values" in (
        out / "table_14_3_4.txt").read_text(encoding="utf-8")
    assert f"cytopenias by NCI CTCAE v{pinned}" in (out / "table_14_2_3.txt").read_text(
        encoding="utf-8")
