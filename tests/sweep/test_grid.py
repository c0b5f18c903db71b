"""Sweep grid: expansion of designs x scenarios, stable ids and seeds, error reporting."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.errors import FindingsError, InputError
from cartrial.sweep.grid import cell_seed, expand_grid, load_grid

EXAMPLE = Path(__file__).parents[2] / "examples" / "sweep_grid.yaml"
BASE = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 30,
        "dlt_window_days": 28}  # fmt: skip


def small_grid(**over):
    g = {
        "n_trials": 500,
        "seed": 5,
        "designs": [{"id": "a"} | BASE, {"id": "b"} | BASE | {"name": "3+3"}],
        "scenarios": [
            {"id": "s1", "true_tox": [0.05, 0.1, 0.3, 0.5]},
            {"id": "s2", "true_tox": [0.3, 0.4, 0.5, 0.6], "true_mtd": 0},
        ],
    }
    return g | over


def test_example_grid_expands():
    g = load_grid(EXAMPLE)
    raw = yaml.safe_load(EXAMPLE.read_text())
    n_product = int(np.prod([len(v) for v in raw["design_grid"][0]["vary"].values()]))
    assert len(g.designs) == len(raw["designs"]) + n_product
    assert len(g.scenarios) == len(raw["scenarios"]) + raw["random_scenarios"][0]["count"]
    assert len(g.cells()) == len(g.designs) * len(g.scenarios)
    assert "boin[cohort_size=1,max_sample_size=24,elimination_cutoff=0.9]" in {
        d.id for d in g.designs
    }


def test_product_sets_dotted_nested_fields():
    g = expand_grid(
        small_grid(
            designs=[],
            design_grid=[
                {
                    "id_prefix": "bf",
                    "base": BASE,
                    "vary": {"backfill.enabled": [False, True], "cohort_size": [2, 3]},
                }
            ],
        )  # fmt: skip
    )
    ids = [d.id for d in g.designs]
    assert ids == [
        "bf[backfill.enabled=false,cohort_size=2]",
        "bf[backfill.enabled=false,cohort_size=3]",
        "bf[backfill.enabled=true,cohort_size=2]",
        "bf[backfill.enabled=true,cohort_size=3]",
    ]
    assert [d.spec.backfill.enabled for d in g.designs] == [False, False, True, True]
    assert [d.spec.cohort_size for d in g.designs] == [2, 3, 2, 3]


def test_true_mtd_is_one_based_in_the_file():
    g = expand_grid(small_grid())
    by_id = {s.id: s for s in g.scenarios}
    assert by_id["s1"].true_mtd == "auto"
    assert by_id["s2"].true_mtd is None  # 0 = no acceptable dose
    g = expand_grid(small_grid(scenarios=[{"id": "x", "true_tox": [0.1, 0.2], "true_mtd": 2}]))
    assert g.scenarios[0].true_mtd == 1


def test_seed_formula_and_common_random_numbers():
    g = expand_grid(small_grid())
    cells = {(c.design_id, c.scenario_id): c for c in g.cells()}
    # documented formula: SeedSequence(seed, spawn_key=(first 8 bytes of sha256(id), LE))
    sid = int.from_bytes(hashlib.sha256(b"s1").digest()[:8], "little")
    st_ = np.random.SeedSequence(5, spawn_key=(sid,)).generate_state(2, np.uint32)
    assert cells[("a", "s1")].seed == (int(st_[1]) << 32 | int(st_[0])) & ((1 << 63) - 1)
    assert cells[("a", "s1")].seed == cells[("b", "s1")].seed  # seeding: scenario
    assert cells[("a", "s1")].seed != cells[("a", "s2")].seed
    g2 = expand_grid(small_grid(seeding="cell"))
    c2 = {(c.design_id, c.scenario_id): c for c in g2.cells()}
    assert c2[("a", "s1")].seed != c2[("b", "s1")].seed


def test_cells_do_not_depend_on_listing_order():
    g = small_grid()
    r = small_grid(designs=g["designs"][::-1], scenarios=g["scenarios"][::-1])
    a = {(c.design_id, c.scenario_id): c for c in expand_grid(g).cells()}
    b = {(c.design_id, c.scenario_id): c for c in expand_grid(r).cells()}
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].seed == b[k].seed
        assert a[k].cell_hash == b[k].cell_hash
        assert a[k].file_name == b[k].file_name


def test_grid_hash_ignores_formatting_but_not_content(tmp_path):
    p1, p2 = tmp_path / "a.yaml", tmp_path / "b.yaml"
    p1.write_text(yaml.safe_dump(small_grid()))
    p2.write_text("# a comment\n" + yaml.safe_dump(small_grid(), default_flow_style=True))
    assert load_grid(p1).grid_hash == load_grid(p2).grid_hash
    assert expand_grid(small_grid(n_trials=501)).grid_hash != load_grid(p1).grid_hash


@settings(max_examples=30, deadline=None)
@given(base=st.integers(0, 2**63), key=st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=2))
def test_cell_seed_is_a_63_bit_deterministic_integer(base, key):
    s = cell_seed(base, tuple(key))
    assert 0 <= s < 2**63
    assert s == cell_seed(base, tuple(key))


def _variables(exc: FindingsError) -> set[str]:
    return {f.variable for f in exc.findings}


def test_all_problems_reported_with_key_paths():
    bad = small_grid(
        designs=[
            {"id": "a"} | BASE | {"target": 0.9},
            {"id": "b"} | BASE,
            {"id": "b"} | BASE,
            BASE,
        ],
        scenarios=[{"id": "s1", "true_tox": [0.1, 1.5]}, {"id": "s1", "true_tox": [0.1, 0.2]}],
    )
    with pytest.raises(FindingsError) as ei:
        expand_grid(bad)
    v = _variables(ei.value)
    assert "designs[0].target" in v  # DesignSpec: target <= 0.6
    assert "designs[3].id" in v  # missing id
    assert "designs.id" in v and "scenarios.id" in v  # duplicates
    assert "scenarios[s1].true_tox" in v
    f = next(f for f in ei.value.findings if f.variable == "designs[0].target")
    assert f.value == 0.9 and f.domain == "sweep grid"


def test_unknown_keys_and_empty_grid_are_refused(tmp_path):
    with pytest.raises(FindingsError) as ei:
        expand_grid(small_grid(n_trails=10))
    assert "n_trails" in _variables(ei.value)
    with pytest.raises(FindingsError) as ei:
        expand_grid({"n_trials": 10})
    assert {"designs", "scenarios"} <= _variables(ei.value)
    with pytest.raises(InputError):
        load_grid(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("designs: [unclosed")
    with pytest.raises(InputError):
        load_grid(tmp_path / "bad.yaml")


def test_start_dose_beyond_doses_is_refused():
    with pytest.raises(FindingsError) as ei:
        expand_grid(small_grid(start_dose=5))
    assert "start_dose" in _variables(ei.value)
