"""The study freed during the ADaM build (issue #18: memory): ``build_adam(release=...)``
calls ``release(still_read)`` after ADSL and after ADLB, and the rest of the build reads only
the domains it named (those :func:`cartrial.report.held_study.release_unread` keeps).

Regression tests: the datasets built with the release against those built without it on the
example trial (the path it replaces), compared frame by frame; the guard on which domains
the rest of the build reads is a fact about the code, not about numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.adam import BatchedDataset, build_adam
from cartrial.adam.build import READ_AFTER_ADLB, READ_AFTER_ADSL
from cartrial.data import Study, load_study
from cartrial.protocol import load_protocol
from cartrial.report.held_study import keep_after_adam, release_unread

P = load_protocol("ct071")
pytestmark = pytest.mark.slow


class _Watched(Study):
    """A study that records a domain read outside ``allowed`` (None: any is allowed)."""

    allowed: tuple | None = None
    bad: set

    def _see(self, name):
        if self.allowed is not None and name not in self.allowed:
            self.bad.add(name)

    def __getitem__(self, name):
        self._see(name)
        return super().__getitem__(name)

    def get(self, name):
        self._see(name)
        return super().get(name)

    def __contains__(self, name):
        self._see(name)
        return super().__contains__(name)


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    from cartrial.efficacy.sdtm import efficacy_from_study, mrd_from_sdtm
    from cartrial.example import simulate_trial, write_example
    from cartrial.kinetics import analyse_kinetics
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import safety_inputs

    root = tmp_path_factory.mktemp("release")
    write_example(simulate_trial(P), root)
    study = load_study(root)
    eff, imwg = efficacy_from_study(study, P)[:2]
    return study, dict(safety=analyse_safety(safety_inputs(study, P), P), imwg=imwg,
                       efficacy=eff, kinetics=analyse_kinetics(study.domains, P),
                       mrd=mrd_from_sdtm(study["LB"]), batched_adlb=True)


def _frames(res) -> dict[str, pd.DataFrame]:
    return {k: v.to_frame() if isinstance(v, BatchedDataset) else v
            for k, v in res.datasets.items()}


def test_released_twice_and_only_named_domains_read(engines):
    study, kw = engines
    st = _Watched(dict(study.domains))
    st.bad = set()
    calls = []

    def release(still_read):
        calls.append((tuple(still_read), sorted(st.domains)))
        release_unread(st, P, still_read)
        st.allowed = tuple(still_read)

    res = build_adam(st, P, release=release, **kw)
    assert [c[0] for c in calls] == [READ_AFTER_ADSL, READ_AFTER_ADLB]
    assert {"FA", "QS", "VS", "LB"} <= set(calls[0][1])  # whole when ADSL was derived
    assert not {"FA", "QS", "VS"} & set(calls[1][1])      # freed after ADSL
    assert not st.bad, st.bad  # nothing read after a release that it did not name
    assert not {"FA", "QS", "VS", "AE"} & set(st.domains)
    assert len(res.datasets["ADLB"]) == len(study["LB"])


def test_datasets_identical_with_and_without_release(engines):
    study, kw = engines
    want = _frames(build_adam(Study(dict(study.domains)), P, **kw))
    st = Study(dict(study.domains))
    got = _frames(build_adam(st, P, release=lambda still: release_unread(st, P, still),
                              **kw))
    assert list(got) == list(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True)
    assert len(st["LB"]) < len(study["LB"]) / 3  # LB was reduced during the build


def test_keep_after_adam_after_release_keeps_the_same_records(engines):
    study, _kw = engines
    once = Study(dict(study.domains))
    keep_after_adam(once, P)
    twice = Study(dict(study.domains))
    release_unread(twice, P, READ_AFTER_ADLB)
    lb = twice["LB"]
    keep_after_adam(twice, P)
    assert twice["LB"] is lb  # already reduced: not copied again
    assert list(twice.domains) == list(once.domains)
    for name in once.domains:
        pd.testing.assert_frame_equal(twice[name], once[name], check_exact=True)
