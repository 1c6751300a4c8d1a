"""The MQL reason: basis, contributions largest first with counts, number format, truncation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from scoring import Activity, Previous, evaluate
from scoring.reason import ELLIPSIS, join_reason
from scoring.records import json_points, text_points
from tests.unit.scoring.helpers import AS_OF, form, model_from, page_view

CONTRACT_MODEL: dict[str, Any] = {
    "fit": [
        {"label": "Software", "when": {"industry": "Software"}, "points": 10},
        {"label": "Senior title", "when": {"title": {"matches": "(?i)vp"}}, "points": 15},
        {"label": "200-5000 employees", "when": {"employees": {"between": [200, 5000]}}, "points": 10},
        {"label": "Free-mail address", "when": {"email": {"domain_in": ["gmail.com"]}}, "points": -5},
    ],
    "engagement": [
        {"label": "Webinar attended", "activity": "webinar_attended", "points": 14},
        {"label": "Pricing page visit", "activity": "page_view", "when": {"url": {"contains": "/pricing"}},
         "points": 8, "max_count": 3},
    ],
    "disqualify": [{"label": "Student or intern", "when": {"title": {"matches": "(?i)student|intern"}}},
                   {"label": "Competitor", "when": {"email": {"domain_in": ["rival.example"]}}}],
    "fast_track": [{"label": "Demo request", "activity": "form_submission", "when": {"form": {"matches": "(?i)demo"}},
                    "within_days": 30}],
    "mql": {"fit_min": 20, "engagement_min": 30},
}
PERSON = {"title": "VP Sales", "industry": "software", "employees": 400, "email": "ann@acme.com"}
WEBINAR = Activity("webinar_attended", datetime(2026, 11, 5, tzinfo=UTC), {"name": "Data 101"})
ENGAGED = [page_view(1), page_view(2), page_view(3), page_view(4), WEBINAR]


def test_contract_example() -> None:
    demo = [form(20, "Other demo"), form(8, "Demo request"), *ENGAGED]    # most recent matching: Nov 2
    evaluation = evaluate(model_from(CONTRACT_MODEL), PERSON, demo, AS_OF)
    assert evaluation.mql_reason == (
        "Fast-track: Demo request (2026-11-02). Fit 35: Senior title +15, Software +10, 200-5000 employees +10. "
        "Engagement 38: Pricing page visit x3 +24, Webinar attended +14.")


def test_thresholds_basis_and_negative_points_last() -> None:
    person = {**PERSON, "email": "ann@gmail.com"}
    evaluation = evaluate(model_from(CONTRACT_MODEL), person, ENGAGED, AS_OF)
    assert evaluation.status == "mql"
    assert evaluation.mql_reason == (
        "Thresholds met: fit 30 >= 20, engagement 38 >= 30. Fit 30: Senior title +15, Software +10, "
        "200-5000 employees +10, Free-mail address -5. Engagement 38: Pricing page visit x3 +24, Webinar attended +14.")


def test_disqualified_reason_names_the_rules_only() -> None:
    person = {**PERSON, "title": "Intern", "email": "x@rival.example"}
    evaluation = evaluate(model_from(CONTRACT_MODEL), person, ENGAGED, AS_OF)
    assert evaluation.mql_reason == "Disqualified: Student or intern, Competitor."


def test_lead_gets_contributions_so_far_and_empty_when_none() -> None:
    model = model_from(CONTRACT_MODEL)
    lead = evaluate(model, {"industry": "Software"}, [page_view(0)], AS_OF)
    assert (lead.status, lead.mql_reason) == ("lead", "Fit 10: Software +10. Engagement 8: Pricing page visit +8.")
    assert evaluate(model, {}, [], AS_OF).mql_reason == ""


def test_sticky_reason_keeps_the_first_date() -> None:
    evaluation = evaluate(model_from(CONTRACT_MODEL), {"industry": "Software"}, [], AS_OF,
                          Previous("mql", date(2026, 9, 30)))
    assert evaluation.mql_reason == "Kept as MQL since 2026-09-30 (thresholds no longer met). Fit 10: Software +10."


def test_decayed_points_print_one_decimal() -> None:
    model = model_from({**CONTRACT_MODEL, "decay": {"half_life_days": 30}})
    evaluation = evaluate(model, {}, [page_view(15), page_view(30)], AS_OF)
    # 8 * 0.5 ** 0.5 + 8 * 0.5 = 9.656854... -> engagement 10, shown +9.7
    assert evaluation.mql_reason == "Engagement 10: Pricing page visit x2 +9.7."


def test_cut_to_max_length_with_an_ellipsis() -> None:
    model = model_from(CONTRACT_MODEL, reason_max_length=40)
    evaluation = evaluate(model, PERSON, ENGAGED, AS_OF)
    assert len(evaluation.mql_reason) == 40
    assert evaluation.mql_reason == "Thresholds met: fit 35 >= 20, engagemen" + ELLIPSIS


@pytest.mark.parametrize(("text", "limit", "out"), [
    ("abc", 3, "abc"), ("abcd", 3, "ab" + ELLIPSIS), ("ab cd", 4, "ab" + ELLIPSIS), ("", 5, ""),
])
def test_join_reason(text: str, limit: int, out: str) -> None:
    assert join_reason((text,), limit) == out


@pytest.mark.parametrize(("points", "text", "json"), [
    (15.0, "+15", 15), (-5.0, "-5", -5), (7.5, "+7.5", 7.5), (0.0, "+0", 0), (0.04, "+0", 0.04),
    (2.25, "+2.3", 2.25), (-2.25, "-2.3", -2.25), (9.656854249492381, "+9.7", 9.66), (2.675, "+2.7", 2.68),
    (-0.04, "+0", -0.04), (1e-9, "+0", 0),
])
def test_points_format(points: float, text: str, json: float) -> None:
    assert text_points(points) == text
    assert json_points(points) == json
    assert type(json_points(points)) is type(json)
