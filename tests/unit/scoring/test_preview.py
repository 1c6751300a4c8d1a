"""``compare_models`` (preview of a scoring change) and ``fill_from_company``."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from scoring import Activity, Previous, compare_models, fill_from_company
from tests.unit.scoring.helpers import AS_OF, form, model_from, page_view

OLD: dict[str, Any] = {
    "fit": [{"label": "Senior", "when": {"title": {"contains": "vp"}}, "points": 20}],
    "engagement": [{"label": "Pricing", "activity": "page_view", "when": {"url": {"contains": "/pricing"}},
                    "points": 10}],
    "disqualify": [{"label": "Student", "when": {"title": {"contains": "student"}}}],
    "mql": {"fit_min": 20, "engagement_min": 20},
}
GMAIL = {"label": "Gmail", "when": {"email": {"domain_in": ["gmail.com"]}}}
NEW: dict[str, Any] = {**OLD, "mql": {"fit_min": 20, "engagement_min": 30}, "disqualify": [*OLD["disqualify"], GMAIL]}

Person = tuple[str, dict[str, Any], list[Activity], Previous | None]
PEOPLE: list[Person] = [
    ("a", {"title": "VP"}, [page_view(0)] * 2, None),                              # mql -> lead
    ("b", {"title": "VP"}, [page_view(0)] * 3, None),                              # mql -> mql
    ("c", {"title": "VP"}, [page_view(0)] * 2, Previous("mql", date(2026, 10, 1))),  # mql -> mql (kept)
    ("d", {"title": "VP", "email": "x@gmail.com"}, [page_view(0)] * 3, None),      # mql -> disqualified
    ("e", {"title": "Engineer"}, [], None),                                        # lead -> lead
    ("f", {"title": "VP"}, [page_view(0)] * 2, None),                              # mql -> lead
]


def test_transitions_examples_and_changed_fields() -> None:
    report = compare_models(model_from(OLD), model_from(NEW), PEOPLE, AS_OF, max_examples=1)
    assert report.people == 6
    assert report.transitions == {"lead->lead": 1, "mql->disqualified": 1, "mql->lead": 2, "mql->mql": 1,
                                  "mql->mql (kept)": 1}
    assert report.status_changes == 4
    assert list(report.examples) == ["mql->disqualified", "mql->lead", "mql->mql (kept)"]
    (lost,) = report.examples["mql->lead"]
    assert lost.id == "a"
    assert lost.old.mql_reason.startswith("Thresholds met: fit 20 >= 20, engagement 20 >= 20.")
    assert lost.new.mql_reason == "Fit 20: Senior +20. Engagement 20: Pricing x2 +20."
    assert report.examples["mql->mql (kept)"][0].new.mql_reason.startswith("Kept as MQL since 2026-10-01")
    assert report.changed_fields == {"fit": 0, "engagement": 0, "score": 0, "grade": 0, "status": 3,
                                     "mql_at": 3, "mql_reason": 5}
    assert report.old_version != report.new_version
    assert report.to_dict()["examples"]["mql->lead"][0]["new"]["status"] == "lead"


def test_same_model_changes_nothing() -> None:
    model = model_from(OLD)
    report = compare_models(model, model, PEOPLE, AS_OF)
    assert report.status_changes == 0
    assert report.examples == {}
    assert set(report.changed_fields.values()) == {0}


def test_fast_track_example_reason() -> None:
    new = {**OLD, "fast_track": [{"label": "Demo", "activity": "form_submission"}]}
    report = compare_models(model_from(OLD), model_from(new), [("z", {}, [form(3, "demo")], None)], AS_OF)
    assert report.transitions == {"lead->mql": 1}
    assert report.examples["lead->mql"][0].new.mql_reason == "Fast-track: Demo (2026-11-07)."


@pytest.mark.parametrize(("person", "company", "merged"), [
    ({"industry": None, "employees": ""}, {"industry": "Software", "employees": 300},
     {"industry": "Software", "employees": 300}),
    ({"industry": "Banking", "employees": 0}, {"industry": "Software", "employees": 300},
     {"industry": "Banking", "employees": 0}),                                     # 0 is a value
    ({"title": "VP"}, {"country": "DE", "annual_revenue": 1e6, "name": "Acme"},
     {"title": "VP", "country": "DE", "annual_revenue": 1e6}),                     # only the four fields
    ({"country": "  "}, {"country": None}, {"country": "  "}),                     # empty company: unchanged
    ({"country": "US"}, None, {"country": "US"}),
])
def test_fill_from_company(person: dict[str, Any], company: dict[str, Any] | None, merged: dict[str, Any]) -> None:
    before = dict(person)
    assert fill_from_company(person, company) == merged
    assert person == before                                                          # a copy, input untouched
