"""`cartrial design protocol-text --protocol P` for a phase I protocol without a randomised stage
(issue #20 point 6): the bundled CT071 protocol (plain BOIN) and TITE-BOIN, BF-BOIN, 3+3, i3+3,
mTPI-2, CRM and TITE-CRM variants of it get their whole statistical section as Markdown and DOCX.

Outside references: BOIN's boundaries for target 0.3 (Liu S, Yuan Y, J R Stat Soc C
2015;64:507-23: lambda_e 0.236, lambda_d 0.358) and its published decision table (escalate /
de-escalate / eliminate at n = 3..30 in cohorts of 3, also Yuan Y et al., Clin Cancer Res
2016;22:4291-301); the lowest-dose stopping row of the BOIN R package's ``get.boundary(extrasafe
= TRUE)`` committed in tests/design/data/boin_stop_boundary.csv (BOIN 2.7.2, provenance in
boin_stop_boundary.R); the CRM skeleton of the dfcrm R package's ``getprior(0.05, 0.25, 3, 5)``
committed in tests/design/data/dfcrm_trials.csv (dfcrm 0.2.2.1); the 3+3 probability of passing
a dose, (1-p)^3 + 3p(1-p)^2 (1-p)^3 = 0.7086 at p = 0.2 (Storer BE, Biometrics 1989;45:925-37).
The operating-characteristics rows are compared with ``exact_oc`` / ``simulate_oc`` run alone:
a REGRESSION check (cartrial against cartrial).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from docx import Document
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.exact_oc import exact_oc
from cartrial.design.simulate_oc import simulate_oc
from cartrial.protocol import load_protocol

runner = CliRunner()
DATA = __import__("pathlib").Path(__file__).parent / "data"
SCEN = ["--true-tox", "0.1,0.3", "--true-tox", "0.3,0.5"]
# Liu & Yuan 2015 / Yuan et al. 2016: BOIN decision table, target 0.3, cohorts of 3, n = 3..30
PUBLISHED = {
    "Escalate if # of DLT <=": [0, 1, 2, 2, 3, 4, 4, 5, 6, 7],
    "De-escalate if # of DLT >=": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    "Eliminate if # of DLT >=": [3, 4, 5, 7, 8, 9, 10, 11, 12, 14],
}


def _protocol(tmp_path, **design: object) -> str:
    data = load_protocol("ct071").model_dump(mode="json")
    data["design"].update(**design)
    path = tmp_path / f"{design.get('name', 'boin')}.yaml".replace("+", "p")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def _run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["design", "protocol-text", *args])
    return r.exit_code, r.stdout, r.stderr


def _text(*args: str) -> str:
    code, out, err = _run(*args)
    assert code == 0, out + err
    return out


def _table(text: str, first: str) -> list[list[str]]:
    """The pipe table whose header starts with ``first`` (cells of the body rows)."""
    lines = text.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith(f"| {first} |"))
    rows = []
    for x in lines[at + 2:]:
        if not x.startswith("|"):
            break
        rows.append([c.strip() for c in x.strip("|").split("|")])
    return rows


def test_ct071_boundaries_and_table_are_the_published_ones() -> None:
    text = _text("--protocol", "ct071")
    lam_e = float(re.search(r"lambda_e = ([0-9]+\.[0-9]+)", text).group(1))
    lam_d = float(re.search(r"lambda_d = ([0-9]+\.[0-9]+)", text).group(1))
    assert lam_e == pytest.approx(0.236, abs=6e-4) and lam_d == pytest.approx(0.358, abs=6e-4)
    rows = {r[0]: [int(v) for v in r[1:]] for r in _table(text, "Number of patients treated")}
    for label, want in PUBLISHED.items():  # CT071 caps a dose at 9 patients: n = 3, 6, 9
        assert rows[label] == want[:3]
    heads = [x for x in text.splitlines() if x.startswith("## ")]
    assert heads == ["## Design", "## Dose assignment", "## Decision table",
                     "## DLT assessment window and pending patients",
                     "## Stopping and MTD selection", "## Sample size", "## References"]
    assert "not boin12" not in text and "isotonic regression" in text
    assert "The selected MTD is the recommended dose (RD) for the expansion of 6 patients." in text
    assert "Dose levels: 1 = DL1 (0.1 x10^6/kg), 2 = DL2 (0.3 x10^6/kg)." in text


def test_a_scenario_with_every_dose_overly_toxic_reads_as_one() -> None:
    """Liu & Yuan 2015: phi2 = 1.4 x target = 0.42 is overly toxic; stopping is then right, and
    the scenario is left out of the correct-selection range of the sample-size section."""
    text = _text("--protocol", "ct071", "--true-tox", "0.1,0.3", "--true-tox", "0.5,0.6")
    r = exact_oc(load_protocol("ct071").design, [0.5, 0.6])
    stop = r.overall.pct_early_stop.iloc[0]
    assert (f"Every dose is overly toxic (true P(DLT) > phi2 = 0.42): the right outcome is to "
            f"stop with no dose selected, as in {stop:.1f}% of trials") in text
    ok = exact_oc(load_protocol("ct071").design, [0.1, 0.3]).overall.pct_correct_selection
    assert f"the MTD is selected correctly in {ok.iloc[0]:.1f}% of trials" in text


def test_whole_published_table_and_r_stopping_row(tmp_path) -> None:
    path = _protocol(tmp_path, cap_per_dose=None, max_sample_size=30, extrasafe=True)
    rows = {r[0]: r[1:] for r in _table(_text("--protocol", path), "Number of patients treated")}
    for label, want in PUBLISHED.items():
        assert [int(v) for v in rows[label]] == want
    r = pd.read_csv(DATA / "boin_stop_boundary.csv", comment="#")
    r = r[(r.target == 0.3) & (r.cutoff == 0.95) & (r.offset == 0.05) & (r.n % 3 == 0)]
    stop = rows["Stop the trial if # of DLT >= (lowest dose, extrasafe)"]
    assert stop == ["NA" if pd.isna(v) else str(int(v)) for v in r.stop_if_ge]


def test_oc_rows_equal_the_exact_enumeration_alone() -> None:
    """REGRESSION: the text's OC rows are exact_oc's, rounded (auto picks exact for CT071)."""
    code, text, err = _run("--protocol", "ct071", *SCEN)
    assert code == 0 and "chose exact enumeration" in err
    p = load_protocol("ct071")
    for i, tox in enumerate(([0.1, 0.3], [0.3, 0.5]), start=1):
        r = exact_oc(p.design, tox, start_dose=p.start_index)
        part = text.split(f"### Scenario {i}\n")[1]
        got = _table(part, "Dose")
        want = [[str(int(d.dose)), f"{d.true_tox:.2f}", f"{d.pct_selected:.1f}",
                 f"{d.mean_patients:.1f}", f"{d.mean_dlts:.1f}", f"{d.pct_treated:.1f}"]
                for d in r.per_dose.itertuples()]
        assert got == want
        assert f"Correct selection {r.overall.pct_correct_selection.iloc[0]:.1f}%;" in part
    assert "Each scenario: exact operating characteristics" in text
    assert "the MTD is selected correctly in" in text


def test_three_plus_three_passes_dose_one_as_storer(tmp_path) -> None:
    path = _protocol(tmp_path, name="3+3", cap_per_dose=None, max_sample_size=12)
    text = _text("--protocol", path, "--true-tox", "0.2,0.5")
    rows = _table(text.split("### Scenario 1\n")[1], "Dose")
    assert rows[1][5] == "70.9"  # (1-p)^3 + 3p(1-p)^2 (1-p)^3 = 0.7086 at p = 0.2
    assert "Storer BE. Design and analysis" in text and "0 DLTs among 3 patients" in text


@pytest.mark.parametrize("name, ref", [("i3+3", "J Biopharm Stat 2020;30:294-304"),
                                       ("mtpi2", "Contemp Clin Trials 2017;58:23-33")])
def test_interval_designs_have_their_rule_and_table(tmp_path, name: str, ref: str) -> None:
    text = _text("--protocol", _protocol(tmp_path, name=name), "--true-tox", "0.1,0.3")
    assert ref in text and "equivalence interval [0.25, 0.35]" in text
    assert "| # of DLT \\ patients | 3 | 6 | 9 |" in text  # the letter grid
    assert "## Operating characteristics" in text


def test_i3p3_grid_is_the_papers_rule_worked_by_hand(tmp_path) -> None:
    """Liu, Wang & Ji, J Biopharm Stat 2020;30:294-304: below the EI escalate, in it stay, above
    de-escalate unless (y - 1) / n is below the EI; with BOIN's elimination (scipy's beta)."""
    from scipy.stats import beta

    text = _text("--protocol", _protocol(tmp_path, name="i3+3"))
    grid = {int(r[0]): r[1:] for r in _table(text, "# of DLT \\ patients")}
    for j, n in enumerate((3, 6, 9)):
        for y in range(n + 1):
            r = y / n
            want = ("E" if r < 0.25 else "S" if r <= 0.35 or (y - 1) / n < 0.25 else "D")
            if beta.sf(0.3, 1 + y, 1 + n - y) > 0.95:
                want = "DU"
            assert grid[y][j] == want, (n, y)


def test_tite_boin_and_backfill_use_monte_carlo_as_the_simulator_alone(tmp_path) -> None:
    """REGRESSION: Monte Carlo rows equal simulate_oc with the same seed and trials."""
    path = _protocol(tmp_path, name="tite-boin", backfill={"enabled": True, "max_per_dose": 9})
    code, text, err = _run("--protocol", path, "--true-tox", "0.1,0.3", "--trials", "300",
                           "--seed", "5")
    assert code == 0, text + err
    assert "time-to-event extension TITE-BOIN (Yuan et al. 2018)" in text and "## Backfill" in text
    assert "pending ones included" in text and "are pooled and decide" in text
    assert "Clin Cancer Res 2024;30:673-679" in text and "2018;24:4921-4930" in text
    assert "300 simulated trials, numpy SeedSequence seed 5" in text
    spec = load_protocol(path).design
    r = simulate_oc(spec, [0.1, 0.3], 300, 5, start_dose=0)
    got = _table(text.split("### Scenario 1\n")[1], "Dose")
    assert [row[2] for row in got] == [f"{v:.1f}" for v in r.per_dose.pct_selected]


def test_same_inputs_same_bytes(tmp_path) -> None:
    for d in ("a", "b"):
        _text("--protocol", "ct071", *SCEN, "--out", str(tmp_path / d))
    for name in ("protocol_text.md", "protocol_text.docx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    doc = Document(str(tmp_path / "a" / "protocol_text.docx"))
    assert any(p.text == "Operating characteristics" for p in doc.paragraphs)
    assert len(doc.tables) == 3  # the decision table and one OC table per scenario


@pytest.mark.parametrize("args, words", [
    (["--true-tox", "0.1,0.2,0.3"], ["scenario 1", "3 values", "2 dose levels"]),
    (["--true-tox", "0.1,0.3", "--true-eff", "0.2,0.4"], ["--true-eff", "'boin'", "DLTs"]),
    (["--target", "0.25"], ["--target", "'boin'", "edit the protocol"]),
    (["--true-tox", "0.1,x"], ["--true-tox"]),
    (["--true-tox", "0.3,0.1"], ["scenario 1", "dose 2 has 0.1", "not decrease"]),
    (["--true-tox", "0.1,0.3", "--method", "exact", "--trials", "100"], ["--method exact"]),
    (["--method", "fast"], ["--method"]),
])
def test_bad_input_exits_2(args: list[str], words: list[str]) -> None:
    code, out, err = _run("--protocol", "ct071", *args)
    assert code == 2 and "Traceback" not in out + err
    for w in words:
        assert w in err


def _five_doses(tmp_path, name: str) -> str:
    data = load_protocol("ct071").model_dump(mode="json")
    unit = data["dose_levels"][0]["unit"]
    data["dose_levels"] = [{"id": f"DL{i}", "label": f"{v} x10^6/kg", "dose": v, "unit": unit}
                           for i, v in enumerate((0.1, 0.3, 0.6, 1.0, 1.5), start=1)]
    data["design"].update(name=name, target=0.25, cap_per_dose=None, max_sample_size=18,
                          crm={"prior_mtd_level": 3, "halfwidth": 0.05})
    path = tmp_path / f"{name}5.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def test_crm_skeleton_is_dfcrm_getprior(tmp_path) -> None:
    text = _text("--protocol", _five_doses(tmp_path, "crm"))
    head = (DATA / "dfcrm_trials.csv").read_text().splitlines()[0]
    prior = [float(v) for v in head.split(" = ")[2].split(";")[0].split()]
    got = [float(r[1]) for r in _table(text, "Dose level")]
    assert got == [round(v, 4) for v in prior]
    assert "p_j = s_j ^ exp(a)" in text and "Biometrics 1990;46:33-48" in text
    assert "escalation also ends" not in text  # CRM has no cap per dose


def test_tite_crm_oc_rows_equal_the_simulator_alone(tmp_path) -> None:
    """REGRESSION: the TITE-CRM rows equal simulate_oc with the same seed and trials."""
    path = _five_doses(tmp_path, "tite-crm")
    tox = [0.05, 0.1, 0.25, 0.4, 0.55]
    text = _text("--protocol", path, "--true-tox", ",".join(map(str, tox)), "--trials", "200",
                 "--seed", "3")
    assert "weight w = min(u / 28, 1)" in text and "Biometrics 2000;56:1177-1182" in text
    r = simulate_oc(load_protocol(path).design, tox, 200, 3, start_dose=0)
    got = _table(text.split("### Scenario 1\n")[1], "Dose")
    assert [row[2] for row in got] == [f"{v:.1f}" for v in r.per_dose.pct_selected]
    assert [row[3] for row in got] == [f"{v:.1f}" for v in r.per_dose.mean_patients]


def test_crm_then_rose_stage_keeps_the_crm_sections(tmp_path) -> None:
    stage = {"doses": ["DL1", "DL2"], "p_high": 0.8, "margin": 0.2}
    path = _protocol(tmp_path, name="crm", cap_per_dose=None, crm={"prior_mtd_level": 1},
                     randomised_stage=stage)
    text = _text("--protocol", path, "--true-tox", "0.05,0.15", "--true-eff", "0.5,0.8",
                 "--trials", "100")
    heads = [x for x in text.splitlines() if x.startswith("## ")]
    assert heads[:5] == ["## Design", "## Dose assignment",
                         "## DLT assessment window and pending patients",
                         "## Stopping and MTD selection",
                         "## Randomised dose-optimisation stage (ROSE)"]
    assert "| Dose level | Skeleton s_j |" in text and text.count("## References") == 1
    assert "Biometrics 1990;46:33-48" in text.split("## References")[1]
