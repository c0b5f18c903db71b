"""The patient list a page at a time (issue #18 point 2): server-side filters, sort and paging,
the whole list as CSV, and the rendered page shared by every reader of the same snapshot.

Behavioural tests of the list (no clinical rule is computed here): the expected subjects are
the minimal study's hand-written DM / EX / DS records (tests/data/minimal_study.py: three
patients, CT071-001-003 never infused after a manufacturing failure) and hand-made rows.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store, patient_list
from cartrial.committee.patient_list import ListQuery, list_csv, list_page, parse_query, select
from cartrial.committee.web import create_app
from cartrial.data import write_study
from cartrial.errors import InputError
from tests.committee.helpers import hidden
from tests.committee.test_overview_cache import _client
from tests.data.minimal_study import minimal_domains

IDS = ("CT071-001-001", "CT071-001-002", "CT071-001-003")


def _rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": [f"CT071-{i:04d}" for i in range(n)],
        "DOSE": ["DL1 (0.1 x10^6/kg)" if i % 2 else "DL2 (0.3 x10^6/kg)" for i in range(n)],
        "PART": ["Dose expansion" if i >= 20 else "Dose escalation" for i in range(n)],
        "COHORT": "", "INFUSION": [f"2024-{1 + i % 12:02d}-01" for i in range(n)],
        "STATUS": ["Not infused: withdrawal" if i % 7 == 0 else "Infused" for i in range(n)]})


def test_pages_of_a_thousand_patients_hold_every_patient_once_in_order() -> None:
    rows = _rows(1089)
    pages = [list_page(rows, ListQuery(page=n)) for n in range(1, 12)]
    assert {p.pages for p in pages} == {11} and all(p.total == p.matching == 1089 for p in pages)
    assert [len(p.rows) for p in pages] == [100] * 10 + [89]
    assert [r["USUBJID"] for p in pages for r in p.rows] == rows["USUBJID"].tolist()
    assert (pages[-1].first, pages[-1].last) == (1001, 1089)
    with pytest.raises(InputError, match=r"page=12 is after the last page \(11\) of the 1089"):
        list_page(rows, ListQuery(page=12))


def test_filters_combine_and_sort_is_stable() -> None:
    rows = _rows(60)
    q = ListQuery(dose="DL1 (0.1 x10^6/kg)", part="Dose escalation", infused="yes")
    chosen = select(rows, q)
    by_hand = [f"CT071-{i:04d}" for i in range(20) if i % 2 and i % 7]
    assert chosen["USUBJID"].tolist() == by_hand
    assert select(rows, ListQuery(q="0059"))["USUBJID"].tolist() == ["CT071-0059"]
    assert select(rows, ListQuery(q="ct071-005"))["USUBJID"].tolist() == [
        f"CT071-{i:04d}" for i in range(50, 60)]  # case-insensitive
    by_date = select(rows, ListQuery(sort="infusion", order="desc"))
    assert by_date["INFUSION"].is_monotonic_decreasing
    december = by_date[by_date["INFUSION"] == "2024-12-01"]["USUBJID"].tolist()
    assert december == ["CT071-0011", "CT071-0023", "CT071-0035", "CT071-0047", "CT071-0059"]


def test_a_query_that_cannot_mean_anything_is_refused_by_name() -> None:
    for params, named in (({"page": "0"}, "page='0'"), ({"page": "2x"}, "page='2x'"),
                          ({"sort": "AGE"}, "sort='AGE'"), ({"order": "up"}, "order='up'"),
                          ({"infused": "maybe"}, "infused='maybe'"), ({"q": "x" * 101}, "q ")):
        with pytest.raises(InputError, match=re.escape(named)):
            parse_query(params)
    q = parse_query({"page": "2", "dose": "DL1 (0.1 x10^6/kg)", "sort": "status"})
    assert parse_query(dict(parse_qsl(urlsplit(q.link()).query))) == q  # links keep the query


def test_the_csv_holds_the_rows_as_shown() -> None:
    rows = _rows(5)
    back = list(csv.reader(io.StringIO(list_csv(rows))))
    assert back[0] == ["Patient", "Dose level", "Study part", "Cohort", "CAR-T infusion",
                       "Status"]
    assert back[1:] == rows.astype(str).values.tolist()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    sdtm = tmp_path_factory.mktemp("list") / "sdtm"
    write_study(minimal_domains(), sdtm)
    store = open_store(f"sqlite:///{sdtm / 'committee.sqlite'}")
    add_user(store, "view", "sturdy-pass-v", "viewer")
    add_user(store, "chair", "sturdy-pass-c", "member")
    return create_app("ct071", sdtm, settle_seconds=0)


def _listed(page: str) -> list[str]:
    table = page[page.index('<table id="patient-list">'):]
    return re.findall(r'<td><a href="/patients/([^"]+)">', table[:table.index("</table>")])


def test_the_list_is_paged_filtered_and_sorted_by_the_server(app, monkeypatch) -> None:
    monkeypatch.setattr(patient_list, "ROWS_PER_PAGE", 2)
    c = _client(app, "view", "sturdy-pass-v")
    first = c.get("/patients").text
    assert _listed(first) == list(IDS[:2]) and "page 1 of 2" in first
    assert 'href="/patients?page=2" rel="next"' in first and "<strong>3</strong> of 3" in first
    second = c.get("/patients?page=2").text
    assert _listed(second) == [IDS[2]] and 'href="/patients" rel="prev"' in second
    assert _listed(c.get("/patients?sort=patient&order=desc").text) == [IDS[2], IDS[1]]
    not_infused = c.get("/patients?infused=no").text
    assert _listed(not_infused) == [IDS[2]] and "<strong>1</strong> of 3" in not_infused
    assert "match the filters" in not_infused and "Manufacturing failure" in not_infused
    assert 'href="/patients.csv?infused=no"' in not_infused
    infused = c.get("/patients?infused=yes&sort=patient&order=desc").text
    assert _listed(infused) == [IDS[1], IDS[0]]
    for bad, named in (("page=3", "page=3 is after the last page (2)"),
                       ("sort=AGE", "sort=&#x27;AGE&#x27;")):
        r = c.get(f"/patients?{bad}")
        assert r.status_code == 400 and named in r.text


def test_the_whole_list_downloads_as_csv(app) -> None:
    c = _client(app, "view", "sturdy-pass-v")
    r = c.get("/patients.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == "attachment; filename=patients.csv"
    back = list(csv.reader(io.StringIO(r.text)))
    assert [row[0] for row in back[1:]] == list(IDS)
    assert back[3][5].startswith("Not infused: Manufacturing failure")
    only = list(csv.reader(io.StringIO(c.get("/patients.csv?infused=no").text)))
    assert [row[0] for row in only[1:]] == [IDS[2]]
    assert TestClient(app).get("/patients.csv", follow_redirects=False).status_code == 303


def test_readers_share_the_rendered_list_and_patient_page(app, monkeypatch) -> None:
    """Regression test of the memo: one rendering per snapshot and query for every reader,
    while each reader keeps their own name and CSRF token."""
    from cartrial.committee import routes_patients

    calls: list[str] = []
    real_list, real_page = routes_patients.list_page, routes_patients.patient_page
    monkeypatch.setattr(routes_patients, "list_page",
                        lambda rows, q: calls.append(f"list {q.infused}") or real_list(rows, q))
    monkeypatch.setattr(routes_patients, "patient_page",
                        lambda w, u, s: calls.append(u) or real_page(w, u, s))
    view, chair = _client(app, "view", "sturdy-pass-v"), _client(app, "chair", "sturdy-pass-c")
    a, b = view.get("/patients?infused=yes").text, chair.get("/patients?infused=yes").text
    assert calls == ["list yes"] and "view (viewer)" in a and "chair (member)" in b
    assert hidden(a, "csrf_token") != hidden(b, "csrf_token")
    assert a[a.index("<main>"):] == b[b.index("<main>"):]     # the list itself: one rendering
    view.get("/patients/CT071-001-002")
    chair.get("/patients/CT071-001-002")
    assert calls == ["list yes", "CT071-001-002"]
