"""Every stage of ``analyze`` reads the large findings domains (LB, FA, QS, VS) only through
:meth:`cartrial.data.Study.frame` (the variables and records it uses), never whole (issue #18:
a domain held encoded is decoded only for what is asked).

The example trial is analysed in full (``run_analysis``, forked processes included) with a
study that logs every read of a large domain whole: ``study[name]``, ``study.get(name)``,
``study.domains[name]`` / ``.get`` / ``.items()`` / ``.values()``, ``{**study.domains}``, to a
file the forked processes append to. ``frame``, ``variables`` and ``records`` are not reads of
the whole domain. A read is charged to the innermost ``cartrial`` function outside
``cartrial.data``; reads made inside ``cartrial.data`` (loading, validation, snapshots) are that
package's own business and are not listed here. Studies derived from the one read (the
escalation subjects' subset, a snapshot) are small frames of their own and are not watched.

A fact about the code, independent of machine speed. The deliberate exceptions are listed with
their reasons in ``EXCEPTIONS``.
"""

from __future__ import annotations

import json
import os
import traceback
from datetime import datetime
from pathlib import Path

import pytest

from cartrial.data import Study, load_study

pytestmark = pytest.mark.slow

LARGE = ("LB", "FA", "QS", "VS")
#: (domain, where) -> why a whole read is allowed
EXCEPTIONS = {
    ("LB", "adam/build.py:build_adam"):
        "ADLB reads every LB record and variable; the held domain is handed to ADLB as it is "
        "stored (adam/adlb_batched.py, STORE's part of issue #18)",
    **{(d, "report/held_study.py:release_unread"):
       "the study freed after ADaM: the domains are dropped or cut, not decoded (STORE's part)"
       for d in LARGE},
}


class _Reads(dict):
    """A study's domains that log each whole read of a large domain to ``log``."""

    def __init__(self, domains: dict, log: str) -> None:
        super().__init__(domains)
        self.log, self.quiet = log, 0

    def _note(self, name: str, how: str) -> None:
        if name not in LARGE or self.quiet:
            return
        frames = [f for f in traceback.extract_stack()[:-2]
                  if "/cartrial/" in f.filename and not f.filename.endswith("/data/study.py")]
        if frames and "/cartrial/data/" in frames[-1].filename:
            return  # cartrial.data's own read (loading, validation, snapshot)
        where = (f"{frames[-1].filename.split('/cartrial/')[-1]}:{frames[-1].name}" if frames
                 else "outside cartrial")
        with open(self.log, "a") as fh:  # appended by the forked processes too
            fh.write(json.dumps({"domain": name, "how": how, "where": where,
                                 "pid": os.getpid()}) + "\n")

    def __reduce__(self):  # the study sent by the process that read it: not a consumer's read
        return _Reads, ({k: dict.__getitem__(self, k) for k in dict.keys(self)}, self.log)

    def __getitem__(self, name):
        self._note(name, "domains[name]")
        return super().__getitem__(name)

    def get(self, name, default=None):
        self._note(name, "get")
        return super().get(name, default)

    def __iter__(self):  # names only; its presence makes {**d} and dict(d) go by __getitem__
        return iter(list(super().keys()))

    def items(self):
        for name in super().keys():
            self._note(name, "items()")
        return super().items()

    def values(self):
        for name in super().keys():
            self._note(name, "values()")
        return super().values()


class _Watched(Study):
    """A Study whose own ``frame``/``variables``/``records`` are not counted as whole reads."""

    def _quietly(self, method, *args, **kwargs):
        d = self.domains
        if isinstance(d, _Reads):
            d.quiet += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            if isinstance(d, _Reads):
                d.quiet -= 1

    def frame(self, *args, **kwargs):
        return self._quietly(Study.frame, *args, **kwargs)

    def variables(self, *args, **kwargs):
        return self._quietly(Study.variables, *args, **kwargs)

    def records(self, *args, **kwargs):
        return self._quietly(Study.records, *args, **kwargs)


def _watched_load(log: str):
    def load(data_dir, *args, **kwargs):
        st = load_study(data_dir, *args, **kwargs)
        out = _Watched(**{k: getattr(st, k) for k in st.__dataclass_fields__})
        out.domains = _Reads(st.domains, log)
        with open(log, "a") as fh:
            fh.write(json.dumps({"loaded": str(data_dir)}) + "\n")
        return out
    return load


def test_the_counting_sees_a_whole_read(tmp_path):
    """The guard itself: a read through each path is logged and charged to its caller."""
    import pandas as pd

    log = str(tmp_path / "reads.jsonl")
    st = _Watched({})
    st.domains = _Reads({"LB": pd.DataFrame({"LBTESTCD": ["IL6"]}), "DM": pd.DataFrame()}, log)
    st["LB"], st.get("LB"), st.get("DM"), {**st.domains}, st.frame("LB", ["LBTESTCD"])
    hows = [json.loads(line)["how"] for line in Path(log).read_text().splitlines()]
    assert hows == ["domains[name]", "get", "domains[name]"]


def test_no_stage_reads_a_large_domain_whole(tmp_path, monkeypatch):
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol
    from cartrial.report import study_read
    from cartrial.report.pipeline import run_analysis

    write_example(simulate_trial(load_protocol("ct071"), seed=20240228), tmp_path / "sdtm")
    log = str(tmp_path / "reads.jsonl")
    Path(log).touch()
    monkeypatch.setattr(study_read, "load_study", _watched_load(log))
    run_analysis(tmp_path / "sdtm", "ct071", tmp_path / "out", run_date=datetime(2025, 6, 1))
    lines = [json.loads(line) for line in Path(log).read_text().splitlines()]
    assert any("loaded" in r for r in lines), "the watched study was not the one analysed"
    reads = [r for r in lines if "loaded" not in r]
    whole = {(r["domain"], r["where"]) for r in reads} - set(EXCEPTIONS)
    assert not whole, "stages reading a large domain whole (ask Study.frame for what they use):\n" \
        + "\n".join(f"{d} by {w}" for d, w in sorted(whole))
