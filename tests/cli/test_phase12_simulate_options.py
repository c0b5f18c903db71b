"""Every setting of the phase I/II simulators from the command line (issue #20, points 4 and 6).

The outside reference: the MD Anderson BOIN12 web app's operating characteristics published in
S. Englert, "Discrepancies in BOIN12 simulation results", GitHub issue #8 of the R package
escalation (brockk/escalation, 2025-02-25): the web app (trialdesign.org) with its defaults, extra
dose exploration de-selected and correlation 0 (5 doses, phi_T 0.35, phi_E 0.25, utilities
100 / 40 / 60 / 0 for (response, no DLT) / (neither) / (response, DLT) / (DLT, no response), N* 6,
c_T 0.95, c_E 0.9, cohorts of 3, stop once 12 patients are at a dose, at most 36 patients;
p_T 0.03, 0.17, 0.35, 0.50, 0.65; p_E 0.12, 0.39, 0.43, 0.55, 0.65), 10,000 trials: dose 2
selected in 57.3 %, dose 3 in 21.3 %. The CLI run must land within 3 combined Monte Carlo
standard errors of both.

The other tests are option-parsing and regression tests: an option reaches the design it
names (compared with the engine called directly, i.e. the code against itself), a protocol's
setting is overridden with a note, and a bad value exits 2 naming option, value and rule.
"""

from __future__ import annotations

import json
import math

import pytest
import yaml
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.design.boin12 import Boin12
from cartrial.design.boinet import BoinEt
from cartrial.design.simulate_boin12 import simulate_boin12
from cartrial.design.simulate_boinet import simulate_boinet
from cartrial.protocol import load_protocol

runner = CliRunner()
TOX = "0.03,0.17,0.35,0.50,0.65"
EFF = "0.12,0.39,0.43,0.55,0.65"
WEB_APP = {2: 57.3, 3: 21.3}  # % selected, escalation issue #8, 10,000 trials
WEB_APP_TRIALS = 10_000
# the web app's settings, each spelled out as an option
WEB_APP_ARGS = ["design", "boin12", "simulate", "--true-tox", TOX, "--true-eff", EFF,
                "--target", "0.35", "--phi-e", "0.25", "--u11", "60", "--u00", "40",
                "--n-star", "6", "--c-t", "0.95", "--c-e", "0.9", "--cohort-size", "3",
                "--cap-per-dose", "12", "--max-n", "36", "--no-explore"]


def _run(args: list[str]) -> dict:
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _mcse(pct: float, n: int) -> float:
    return 100 * math.sqrt(pct / 100 * (1 - pct / 100) / n)


def test_web_app_scenario_from_the_command_line():
    """Issue #8's web-app figures (57.3 % dose 2, 21.3 % dose 3) within 3 combined MCSE."""
    out = _run([*WEB_APP_ARGS, "--trials", "4000", "--seed", "20250225"])
    assert out["settings"]["n_explore"] is None and out["settings"]["cap_per_dose"] == 12
    for dose, pub in WEB_APP.items():
        ours = out["per_dose"][dose - 1]["selected_pct"]
        se = math.hypot(_mcse(pub, WEB_APP_TRIALS), _mcse(ours, 4000))
        assert abs(ours - pub) <= 3 * se, (dose, ours, pub, se)
    assert out["notes"] == []


def test_options_reach_the_design():
    """Regression: the CLI's numbers are the engine's for the same design (code vs itself)."""
    out = _run([*WEB_APP_ARGS, "--trials", "300", "--seed", "3", "--start-dose", "2"])
    d = Boin12(n_doses=5, target=0.35, phi_e=0.25, max_sample_size=36, n_explore=None,
               cap_per_dose=12)
    want = simulate_boin12(d, [0.03, 0.17, 0.35, 0.50, 0.65], [0.12, 0.39, 0.43, 0.55, 0.65],
                           n_trials=300, seed=3, start_dose=1)
    assert [r["selected_pct"] for r in out["per_dose"]] == want.per_dose["selected_pct"].tolist()
    assert out["settings"]["start_dose"] == 2
    s = _run(["design", "boin12", "simulate", "--true-tox", "0.1,0.2", "--true-eff", "0.3,0.5",
              "--trials", "50", "--n-explore", "12", "--c-t", "0.9", "--c-e", "0.8",
              "--u11", "30", "--u00", "70"])["settings"]
    assert (s["n_explore"], s["c_t"], s["c_e"], s["response_dlt"]) == (12, 0.9, 0.8, 30.0)


def _protocol(tmp_path, design: dict) -> str:
    src = yaml.safe_load(load_protocol("ct071").model_dump_json())
    src["design"].update(design)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(src), encoding="utf-8")
    return str(path)


def _k() -> int:
    return len(load_protocol("ct071").dose_levels)


def test_protocol_settings_overridden_with_a_note(tmp_path):
    p = _protocol(tmp_path, {"name": "boin12", "target": 0.35, "cap_per_dose": None,
                             "boin12": {"phi_e": 0.25}})
    k = _k()
    base = ["design", "boin12", "simulate", "--protocol", p, "--true-tox", ",".join(["0.1"] * k),
            "--true-eff", ",".join(["0.4"] * k), "--trials", "50"]
    plain = _run(base)
    assert plain["notes"] == [] and plain["settings"]["n_explore"] == 9
    out = _run([*base, "--no-explore", "--cap-per-dose", "12", "--c-e", "0.8"])
    assert (out["settings"]["n_explore"], out["settings"]["cap_per_dose"]) == (None, 12)
    notes = " | ".join(out["notes"])
    assert "--cap-per-dose 12 overrides the protocol" in notes and "(cap_per_dose none)" in notes
    assert "--no-explore overrides" in notes and "(n_explore 9)" in notes
    assert "--c-e 0.8" in notes and "(c_e 0.9)" in notes
    text = runner.invoke(app, [*base, "--c-e", "0.8"])
    assert text.exit_code == 0 and "note: --c-e 0.8 overrides the protocol" in text.output
    wrong = runner.invoke(app, [*base[:5], "--true-tox", ",".join(["0.1"] * (k + 1)),
                                "--true-eff", ",".join(["0.3"] * (k + 1))])
    assert wrong.exit_code == 2 and f"the scenario has {k + 1} doses" in wrong.output


def test_tite_windows_and_accrual_override_the_protocol(tmp_path):
    p = _protocol(tmp_path, {"name": "tite-boin12", "target": 0.35, "cap_per_dose": None,
                             "boin12": {"phi_e": 0.25}})
    k = _k()
    out = _run(["design", "boin12", "simulate", "--protocol", p, "--true-tox",
                ",".join(["0.1"] * k), "--true-eff", ",".join(["0.4"] * k), "--trials", "50",
                "--eff-window", "56", "--max-pending", "0.3", "--patients-per-month", "3"])
    s = out["settings"]
    assert (s["tox_window"], s["eff_window"], s["max_pending"]) == (28.0, 56.0, 0.3)
    assert s["patients_per_month"] == 3.0
    notes = " | ".join(out["notes"])
    assert "--eff-window 56 overrides" in notes and "(eff_window 35)" in notes
    assert "--patients-per-month 3 overrides" in notes and "(accrual 2 a month)" in notes


def test_uboin_every_setting(tmp_path):
    out = _run(["design", "uboin", "simulate", "--true-tox", "0.1,0.3,0.5", "--true-eff",
                "0.3,0.5,0.6", "--trials", "50", "--c-t", "0.9", "--c-e", "0.8", "--prior", "0.5",
                "--stage1-target", "0.25", "--stage1-per-dose", "6", "--cap", "12",
                "--start-dose", "2", "--max-n", "24"])
    s = out["settings"]
    assert (s["c_t"], s["c_e"], s["prior"], s["stage1_per_dose"]) == (0.9, 0.8, 0.5, 6)
    assert (s["cap_per_dose"], s["start_dose"], s["max_sample_size"]) == (12, 2, 24)
    assert s["stage1_target"] == 0.25
    k = _k()
    p = _protocol(tmp_path, {"name": "u-boin", "max_sample_size": 24,
                             "uboin": {"phi_e": 0.3}})
    out = _run(["design", "uboin", "simulate", "--protocol", p, "--true-tox",
                ",".join(["0.1"] * k), "--true-eff", ",".join(["0.4"] * k), "--trials", "20",
                "--phi-e", "0.25", "--cap-per-dose", "15"])
    assert out["settings"]["phi_e"] == 0.25 and out["settings"]["cap_per_dose"] == 15
    assert any("--phi-e 0.25 overrides" in n and "(phi_e 0.3)" in n for n in out["notes"])


def test_boinet_every_setting():
    """Regression: the options build the BoinEt they name (engine called directly)."""
    args = ["design", "boinet", "simulate", "--true-tox", "0.05,0.1,0.3", "--true-eff",
            "0.2,0.4,0.6", "--trials", "200", "--seed", "4", "--max-n", "18", "--phi1", "0.05",
            "--delta1", "0.3", "--c-t", "0.9", "--c-e", "0.95", "--cap-per-dose", "9",
            "--obd-method", "utility-scoring", "--u11", "50", "--u00", "50", "--w1", "0.5"]
    out = _run(args)
    d = BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=18, phi1=0.05, delta1=0.3,
               stop_t=0.9, stop_e=0.95, cap_per_dose=9, obd_method="utility-scoring",
               psi11=50, psi00=50, w1=0.5)
    want = simulate_boinet(d, [0.05, 0.1, 0.3], [0.2, 0.4, 0.6], n_trials=200, seed=4)
    assert out["lambda1"] == d.boundaries.lambda1
    s = out["settings"]
    assert (s["stop_t"], s["stop_e"], s["cap_per_dose"], s["psi11"]) == (0.9, 0.95, 9, 50)
    assert [r["selected_pct"] for r in out["per_dose"]] == want["selected_pct"].tolist()


BOIN12 = ["design", "boin12", "simulate", "--true-tox", "0.1,0.2", "--true-eff", "0.3,0.5",
          "--trials", "20"]
UBOIN = ["design", "uboin", "simulate", "--true-tox", "0.1,0.2", "--true-eff", "0.3,0.5",
         "--trials", "20"]
BOINET = ["design", "boinet", "simulate", "--true-tox", "0.1,0.2", "--true-eff", "0.3,0.5",
          "--trials", "20"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([*BOIN12, "--c-t", "1.2"], "--c-t 1.2: must be a posterior cut-off in (0.5, 1)"),
        ([*BOIN12, "--c-e", "0.4"], "--c-e 0.4: must be a posterior cut-off in (0.5, 1)"),
        ([*BOIN12, "--phi-e", "1.5"], "--phi-e 1.5: must be a probability in (0, 1)"),
        ([*BOIN12, "--u11", "70"], "--u11 70"),
        ([*BOIN12, "--u11", "120", "--u00", "-20"], "--u11 120: must be a utility in [0, 100]"),
        ([*BOIN12, "--cap-per-dose", "0"], "--cap-per-dose 0: must be a whole number >= 1"),
        ([*BOIN12, "--n-star", "0"], "--n-star 0: must be a whole number >= 1"),
        ([*BOIN12, "--n-explore", "0"], "--n-explore 0: must be a whole number >= 1"),
        ([*BOIN12, "--no-explore", "--n-explore", "9"], "--no-explore with --n-explore 9"),
        ([*BOIN12, "--start-dose", "3"], "--start-dose 3: outside 1..2"),
        ([*BOIN12, "--trials", "0"], "--trials 0: must be a whole number >= 1"),
        ([*BOIN12, "--gumbel-psi", "inf"], "--gumbel-psi inf: must be a finite number"),
        ([*BOIN12, "--patients-per-month", "0"], "--patients-per-month 0: must be a number > 0"),
        ([*BOIN12, "--tite", "--patients-per-month", "2", "--max-pending", "1.5"],
         "--max-pending 1.5: must be a fraction in (0, 1]"),
        ([*BOIN12, "--tite", "--patients-per-month", "2", "--tox-window", "0"],
         "--tox-window 0: must be a number > 0"),
        ([*BOIN12, "--eff-window", "56"], "--eff-window not used here: they are TITE-BOIN12"),
        ([*BOIN12, "--tite", "--patients-per-month", "2", "--assessment-days", "30",
          "--random-ties"], "--assessment-days, --random-ties not used here"),
        ([*UBOIN, "--prior", "0"], "--prior 0: must be a number > 0"),
        ([*UBOIN, "--stage1-target", "0.9"], "--stage1-target 0.9: must be a DLT probability"),
        ([*UBOIN, "--c-t", "1"], "--c-t 1: must be a posterior cut-off in (0.5, 1)"),
        ([*BOINET, "--c-e", "2"], "--c-e 2: must be a posterior cut-off in (0.5, 1)"),
        ([*BOINET, "--delta1", "0.7"], "--delta1 0.7"),
        ([*BOINET, "--obd-method", "best"], "--obd-method 'best': obd-method must be one of"),
    ],
)
def test_bad_values_exit_2_naming_option_value_and_rule(args, expected):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert expected in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(
    ("verb", "options"),
    [
        ("boin12", ["--target", "--phi-e", "--u11", "--u00", "--cohort-size", "--max-n",
                    "--n-star", "--no-explore", "--n-explore", "--c-t", "--c-e",
                    "--cap-per-dose", "--start-dose", "--gumbel-psi", "--patients-per-month",
                    "--assessment-days", "--tite", "--tox-window", "--eff-window",
                    "--max-pending", "--protocol", "--trials", "--seed"]),
        ("uboin", ["--target", "--phi-e", "--u11", "--u00", "--cohort-size", "--max-n",
                   "--c-t", "--c-e", "--cap-per-dose", "--start-dose", "--gumbel-psi",
                   "--prior", "--stage1-per-dose", "--stage1-target", "--protocol"]),
        ("boinet", ["--target", "--delta", "--phi1", "--phi2", "--delta1", "--cohort-size",
                    "--max-n", "--c-t", "--c-e", "--cap-per-dose", "--u11", "--u00", "--w1",
                    "--w2", "--estimate", "--obd-method"]),
    ],
)
def test_help_lists_every_setting(verb, options):
    r = runner.invoke(app, ["design", verb, "simulate", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    for o in options:
        assert o in r.output, o


def test_tables_take_the_same_options_and_override_a_protocol(tmp_path):
    """Regression: `boin12 tables` and `uboin table` build the design their options name (the
    elimination counts of the engine's own table, code against itself) and note overrides."""
    from cartrial.design.boin12_tables import boundary_table
    from cartrial.design.uboin import Uboin
    from cartrial.design.uboin_tables import posterior_table

    out = _run(["design", "boin12", "tables", "--sizes", "3,6,9", "--c-t", "0.9", "--c-e", "0.8"])
    want = boundary_table(Boin12(n_doses=5, target=0.35, phi_e=0.25, max_sample_size=30,
                                 c_t=0.9, c_e=0.8), [3, 6, 9])
    assert [r for r in out["boundaries"]] == json.loads(want.to_json(orient="records"))
    assert out["notes"] == []
    p = _protocol(tmp_path, {"name": "boin12", "target": 0.35, "cap_per_dose": None,
                             "boin12": {"phi_e": 0.25}})
    out = _run(["design", "boin12", "tables", "--protocol", p, "--phi-e", "0.3", "--sizes", "3"])
    assert out["notes"] == [f"--phi-e 0.3 overrides the protocol {p} (phi_e 0.25)"]
    u = _run(["design", "uboin", "table", "--sizes", "3", "--prior", "0.5", "--c-e", "0.8"])
    frame = posterior_table(Uboin(n_doses=1, target=0.3, phi_e=0.2, prior=0.5, c_e=0.8), [3])
    assert u["settings"]["prior"] == 0.5
    assert [r["utility"] for r in u["rows"]] == frame["utility"].tolist()


def test_protocol_text_takes_the_same_overrides_and_refuses_them_for_u_boin(tmp_path):
    """`design protocol-text` ignored --target and the other options when --protocol was
    given; now they override a BOIN12 protocol with a note on stderr, and a U-BOIN protocol
    (whose text is written from the protocol) refuses them (exit 2)."""
    p = _protocol(tmp_path, {"name": "boin12", "target": 0.35, "cap_per_dose": None,
                             "boin12": {"phi_e": 0.25}})
    k = _k()
    args = ["design", "protocol-text", "--protocol", p, "--true-tox", ",".join(["0.1"] * k),
            "--true-eff", ",".join(["0.4"] * k), "--trials", "50"]
    plain = runner.invoke(app, args)
    over = runner.invoke(app, [*args, "--target", "0.3"])
    assert plain.exit_code == 0 and over.exit_code == 0, over.output
    assert "note: --target 0.3 overrides the protocol" in over.stderr
    assert "0.35" in plain.stdout and over.stdout != plain.stdout
    u = _protocol(tmp_path, {"name": "u-boin", "target": 0.3, "cap_per_dose": None,
                             "max_sample_size": 18, "boin12": None,
                             "uboin": {"phi_e": 0.2, "stage1_per_dose": 6}})
    bad = runner.invoke(app, ["design", "protocol-text", "--protocol", u, "--u11", "70"])
    assert bad.exit_code == 2 and "--u11: the U-BOIN / randomised-stage text" in bad.output
