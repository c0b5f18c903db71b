"""Fuzzing study folders through the public API: a damaged folder gives a clean result or a
cartrial error (InputError and its subclasses FindingsError / RecordError, which the CLI turns
into exit code 2), never another exception; when validation passes, ADaM holds every subject
and record of the input.

Mutations of a small example trial: random cell edits, deleted rows and columns, misspelt
headers, shuffled rows, swapped and truncated files, garbage bytes, one subject's records
removed from a domain. Bounded (``max_examples``) to keep the suite's run short; marked slow.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cartrial.data import load_study, validate_study
from cartrial.errors import InputError
from cartrial.protocol import load_protocol

pytestmark = pytest.mark.slow

FILES = ("ae", "cm", "dm", "ds", "ex", "fa", "is", "lb", "mh", "pc", "pr", "qs", "vs")
TRICKY = ["", " ", "abc", "39,7", "-61", "610", "1e309", "nan", "2223-01-01", "2024-02-30",
          "<0.5", "DL9", " Y", "cells/\u00b5L", "0", "-1", "99999999999999999999", "Y", "N",
          "CT071-999-999", "x" * 300, "\u00e9", "1.5", "2024-13"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    from cartrial.example import simulate_trial, write_example

    root = tmp_path_factory.mktemp("fuzz") / "base"
    write_example(simulate_trial(load_protocol("ct071"), seed=11, n_patients=4), root)
    shutil.rmtree(root / "truth")
    return root


def _rows(path: Path) -> list[list[str]]:
    # garbage bytes from an earlier mutation are kept as they are (surrogateescape)
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8", errors="surrogateescape"))


def _mutate(folder: Path, m: tuple) -> None:
    kind, name, a, b, value = m
    path = folder / f"{name}.csv"
    if not path.exists():
        return
    if kind in ("truncate", "garbage"):
        data = path.read_bytes()
        at = int(len(data) * a)
        path.write_bytes(data[:at] if kind == "truncate" else data[:at] + value + data[at:])
        return
    if kind == "swap":
        other = folder / f"{FILES[int(b * len(FILES))]}.csv"
        if other.exists() and other != path:
            tmp = folder / "swap.tmp"
            path.rename(tmp)
            other.rename(path)
            tmp.rename(other)
        return
    try:
        rows = _rows(path)
    except csv.Error:  # e.g. a NUL byte: the file stays as the earlier mutation left it
        return
    if not rows:
        return
    head, body = rows[0], rows[1:]
    col = int(a * len(head)) % len(head)
    if kind == "cell" and body:
        body[int(b * len(body)) % len(body)][col] = value
    elif kind == "drop_rows" and body:
        start = int(b * len(body))
        del body[start:start + 1 + int(a * 5)]
    elif kind == "drop_col":
        head, body = [h for i, h in enumerate(head) if i != col], [
            [v for i, v in enumerate(r) if i != col] for r in body]
    elif kind == "rename_col":
        head[col] = head[col][:-1] or "X"
    elif kind == "shuffle":
        body = [body[i] for i in sorted(range(len(body)), key=lambda i: (i * 7919 + int(b * 97))
                                        % max(len(body), 1))]
    elif kind == "drop_disposition" and "DSCAT" in head:  # one subject's end-of-study record
        cat = head.index("DSCAT")
        last = [i for i, r in enumerate(body) if r[cat] == "DISPOSITION EVENT"]
        if last:
            del body[last[int(b * len(last))]]
    elif kind == "drop_subject" and body and "USUBJID" in head:
        u = body[int(b * len(body)) % len(body)][head.index("USUBJID")]
        body = [r for r in body if r[head.index("USUBJID")] != u]
    _write(path, [head, *body])


mutation = st.tuples(
    st.sampled_from(["cell", "cell", "drop_rows", "drop_col", "rename_col", "shuffle", "swap",
                     "truncate", "garbage", "drop_subject", "drop_disposition"]),
    st.sampled_from(FILES),
    st.floats(0, 1, exclude_max=True),
    st.floats(0, 1, exclude_max=True),
    st.sampled_from(TRICKY) | st.text(max_size=6),
    st.binary(min_size=1, max_size=12),
)
mutations = st.lists(mutation, min_size=1, max_size=3)
# edits a validation can pass, so that analyze itself is exercised
benign = st.tuples(st.sampled_from(["shuffle", "drop_disposition", "cell"]),
                   st.sampled_from(FILES), st.floats(0, 1, exclude_max=True),
                   st.floats(0, 1, exclude_max=True), st.sampled_from(["", "Y", "N"]),
                   st.just(b"")).map(lambda m: m if m[0] != "drop_disposition" else
                                     (m[0], "ds", *m[2:]))


def _mutated(base: Path, muts: list[tuple], where: Path) -> Path:
    folder = where / "sdtm"
    shutil.copytree(base, folder)
    for kind, name, a, b, text, junk in muts:
        _mutate(folder, (kind, name, a, b, junk if kind == "garbage" else text))
    return folder


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(muts=mutations)
def test_validate_never_raises_anything_but_a_cartrial_error(base, muts) -> None:
    protocol = load_protocol("ct071")
    with tempfile.TemporaryDirectory() as tmp:
        folder = _mutated(base, muts, Path(tmp))
        try:
            report = validate_study(load_study(folder), protocol)
        except InputError:
            return
        assert set(report.findings["severity"]) <= {"error", "warning"}
        assert report.findings["rule_id"].notna().all()


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(muts=st.lists(benign, min_size=1, max_size=2) | mutations)
@example(muts=[("shuffle", "lb", 0.0, 0.5, "", b""), ("drop_disposition", "ds", 0.0, 0.0, "",
                                                         b"")])
def test_analyze_is_clean_or_refuses_and_keeps_every_record(base, muts) -> None:
    from cartrial.report.pipeline import run_analysis

    with tempfile.TemporaryDirectory() as tmp:
        folder = _mutated(base, muts, Path(tmp))
        try:
            summary = run_analysis(folder, "ct071", Path(tmp) / "out",
                                   run_date=datetime(2026, 1, 1))
        except InputError:
            return
        study = load_study(folder)
        assert summary.datasets["ADSL"] == len(study["DM"])
        assert summary.datasets["ADAE"] == len(study["AE"])
        assert summary.datasets["ADLB"] == len(study["LB"])
