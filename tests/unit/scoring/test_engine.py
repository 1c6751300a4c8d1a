"""Engagement arithmetic, rounding, caps, grades, status order and stickiness (CONTRACT.md section 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from scoring import Activity, Contribution, Evaluation, Model, Previous, evaluate
from scoring.records import round_half_away
from tests.unit.scoring.helpers import AS_OF, MIDNIGHT, form, model_from, page_view

PRICING = {"label": "Pricing", "activity": "page_view", "when": {"url": {"contains": "/pricing"}}, "points": 10}


def engagement_model(*rules: dict[str, Any], decay: dict[str, Any] | None = None, **extra: Any) -> Model:
    scoring: dict[str, Any] = {"engagement": list(rules), "mql": {"engagement_min": 1000}, **extra}
    if decay is not None:
        scoring["decay"] = decay
    return model_from(scoring)


def contribution(evaluation: Evaluation, label: str) -> Contribution:
    return next(c for c in evaluation.breakdown if c.label == label)


# --------------------------------------------------------------------------- decay and window
@pytest.mark.parametrize(("age", "expected"), [
    (0, 10.0), (15, 7.0710678118654755), (30, 5.0), (60, 2.5), (90, 1.25), (45, 3.5355339059327378),
])
def test_decay_arithmetic(age: int, expected: float) -> None:
    model = engagement_model(PRICING, decay={"half_life_days": 30})
    evaluation = evaluate(model, {}, [page_view(age)], AS_OF)
    assert contribution(evaluation, "Pricing").points == expected == 10 * 0.5 ** (age / 30)
    assert evaluation.engagement == round_half_away(expected)


def test_age_is_whole_days_floored() -> None:
    model = engagement_model(PRICING, decay={"half_life_days": 1})
    # 1 day 23h59 before as_of midnight: age 1 -> 5 points; one microsecond before midnight: age 0 -> 10
    almost_two = Activity("page_view", MIDNIGHT - timedelta(days=2) + timedelta(minutes=1), {"url": "/pricing"})
    just_before = Activity("page_view", MIDNIGHT - timedelta(microseconds=1), {"url": "/pricing"})
    assert contribution(evaluate(model, {}, [almost_two], AS_OF), "Pricing").points == 5.0
    assert contribution(evaluate(model, {}, [just_before], AS_OF), "Pricing").points == 10.0


def test_future_activities_have_age_zero() -> None:
    model = engagement_model(PRICING, decay={"half_life_days": 1})
    later = Activity("page_view", MIDNIGHT + timedelta(days=3, hours=5), {"url": "/pricing"})
    assert contribution(evaluate(model, {}, [later], AS_OF), "Pricing").points == 10.0


def test_timezones_and_naive_times_are_utc() -> None:
    model = engagement_model(PRICING, decay={"half_life_days": 1})
    plus_two = timezone(timedelta(hours=2))
    # 01:00 at +02:00 on Nov 10 is 23:00 UTC on Nov 9: age 0. A naive 23:00 on Nov 8 is UTC: age 1.
    east = Activity("page_view", datetime(2026, 11, 10, 1, tzinfo=plus_two), {"url": "/pricing"})
    naive = Activity("page_view", datetime(2026, 11, 8, 23), {"url": "/pricing"})
    assert evaluate(model, {}, [east], AS_OF).breakdown[0].points == 10.0
    assert evaluate(model, {}, [naive], AS_OF).breakdown[0].points == 5.0


def test_window_ignores_old_activities_everywhere() -> None:
    model = model_from({
        "decay": {"window_days": 30},
        "engagement": [PRICING],
        "fast_track": [{"label": "Demo", "activity": "form_submission", "when": {"form": "demo"}}],
    })
    inside = evaluate(model, {}, [page_view(30), form(30, "demo")], AS_OF)
    outside = evaluate(model, {}, [page_view(31), form(31, "demo")], AS_OF)
    assert (inside.engagement, inside.status) == (10, "mql")       # window only: no decay
    assert (outside.engagement, outside.status, outside.breakdown) == (0, "lead", ())


def test_no_decay_block_means_no_decay_and_no_window() -> None:
    model = engagement_model(PRICING)
    assert evaluate(model, {}, [page_view(5000)], AS_OF).engagement == 10


def test_rule_half_life_overrides_the_model() -> None:
    fast = {**PRICING, "label": "Fast", "half_life_days": 10}
    model = engagement_model(PRICING, fast, decay={"half_life_days": 30})
    evaluation = evaluate(model, {}, [page_view(30)], AS_OF)
    assert contribution(evaluation, "Pricing").points == 5.0
    assert contribution(evaluation, "Fast").points == 1.25
    assert evaluation.engagement == 6      # fsum 6.25 -> 6


def test_rule_half_life_without_decay_block() -> None:
    model = engagement_model({**PRICING, "half_life_days": 10})
    assert evaluate(model, {}, [page_view(20)], AS_OF).breakdown[0].points == 2.5


# --------------------------------------------------------------------------- max_count, order, ties, dedupe
def test_max_count_takes_the_most_recent() -> None:
    model = engagement_model({**PRICING, "max_count": 2}, decay={"half_life_days": 30})
    evaluation = evaluate(model, {}, [page_view(60), page_view(0), page_view(30)], AS_OF)
    assert evaluation.breakdown == (Contribution("engagement", "Pricing", 2, 15.0),)


def test_without_max_count_every_activity_counts() -> None:
    model = engagement_model(PRICING)
    assert evaluate(model, {}, [page_view(i) for i in range(7)], AS_OF).engagement == 70


def test_ties_keep_input_order() -> None:
    # Same timestamp, max_count 1: the first in input order counts (10 points, not 1).
    rule = {"label": "Any page", "activity": "page_view", "points": 10, "max_count": 1}
    cheap = {"label": "Pricing", "activity": "page_view", "when": {"url": {"contains": "/pricing"}}, "points": 1}
    model = engagement_model(rule, cheap)
    a, b = page_view(3, url="/home"), page_view(3, url="/pricing")
    assert evaluate(model, {}, [a, b], AS_OF).breakdown[0] == Contribution("engagement", "Any page", 1, 10.0)
    # both count for a rule without max_count, even with identical content
    assert evaluate(model, {}, [b, b], AS_OF).breakdown[1] == Contribution("engagement", "Pricing", 2, 2.0)


def test_dedupe_by_id_never_by_content() -> None:
    model = engagement_model(PRICING)
    same_id = [page_view(1, id="a"), page_view(2, url="/pricing/other", id="a"), page_view(1, id="b")]
    assert evaluate(model, {}, same_id, AS_OF).engagement == 20
    no_ids = [page_view(1), page_view(1)]
    assert evaluate(model, {}, no_ids, AS_OF).engagement == 20


def test_an_activity_counts_for_every_matching_rule() -> None:
    model = engagement_model(PRICING, {"label": "Visit", "activity": "page_view", "points": 1})
    assert evaluate(model, {}, [page_view(0)], AS_OF).engagement == 11


def test_other_activity_types_are_ignored() -> None:
    model = engagement_model(PRICING)
    assert evaluate(model, {}, [form(0, "/pricing")], AS_OF).engagement == 0


# --------------------------------------------------------------------------- rounding and caps
@pytest.mark.parametrize(("value", "expected"), [
    (2.5, 3), (-2.5, -3), (2.4999999, 2), (0.5, 1), (-0.5, -1), (3.0, 3),
    (0.49999999999999994, 0), (1e15 + 0.5, 1e15 + 1),
])
def test_round_half_away(value: float, expected: int) -> None:
    assert round_half_away(value) == expected


@pytest.mark.parametrize(("points", "caps", "fit"), [
    ([2.25, 0.25], None, 3),          # fsum 2.5 -> 3
    ([1.5, 1], None, 3),              # 2.5 -> 3
    ([-2.5], [-10, 10], -3),          # -2.5 -> -3
    ([-5], None, 0),                  # default caps [0, 100]
    ([60, 70], None, 100),
    ([60, 70], [0, 120], 120),
    ([0.1] * 10, None, 1),            # exact sum 1.0 (a plain sum gives 0.9999999999999999)
])
def test_fit_sum_round_and_clamp(points: list[float], caps: list[float] | None, fit: int) -> None:
    scoring: dict[str, Any] = {"fit": [{"label": f"R{i}", "points": p} for i, p in enumerate(points)],
                               "mql": {"fit_min": 1000}}
    if caps is not None:
        scoring["caps"] = {"fit": caps}
    assert evaluate(model_from(scoring), {}, [], AS_OF).fit == fit


def test_score_is_not_clamped_and_engagement_has_own_caps() -> None:
    model = model_from({"fit": [{"label": "F", "points": 100}], "engagement": [{**PRICING, "points": 60}],
                        "caps": {"engagement": [0, 50]}, "mql": {"total_min": 1000}})
    evaluation = evaluate(model, {}, [page_view(0)], AS_OF)
    assert (evaluation.fit, evaluation.engagement, evaluation.score) == (100, 50, 150)


# --------------------------------------------------------------------------- grades
@pytest.mark.parametrize(("fit_points", "grade"), [(45, "A"), (40, "A"), (39, "B"), (25, "B"), (10, "C"), (9, "D"),
                                                   (-5, "D")])
def test_grades_by_clamped_fit(fit_points: int, grade: str) -> None:
    model = model_from({"fit": [{"label": "F", "points": fit_points}], "mql": {"fit_min": 1000},
                        "grades": {"A": 40, "B": 25, "C": 10}})
    assert evaluate(model, {}, [], AS_OF).grade == grade


def test_grade_uses_clamped_fit_and_none_without_grades() -> None:
    capped = model_from({"fit": [{"label": "F", "points": 80}], "mql": {"fit_min": 1000}, "grades": {"A": 60},
                         "caps": {"fit": [0, 50]}})
    assert evaluate(capped, {}, [], AS_OF).grade == "D"
    plain = model_from({"fit": [{"label": "F", "points": 80}], "mql": {"fit_min": 1000}})
    assert evaluate(plain, {}, [], AS_OF).grade is None


# --------------------------------------------------------------------------- status
STATUS_MODEL: dict[str, Any] = {
    "fit": [{"label": "Senior", "when": {"title": {"contains": "vp"}}, "points": 30}],
    "engagement": [PRICING],
    "disqualify": [{"label": "Student", "when": {"title": {"contains": "student"}}}],
    "fast_track": [{"label": "Demo", "activity": "form_submission", "when": {"form": {"matches": "(?i)demo"}},
                    "within_days": 7}],
    "mql": {"fit_min": 20, "engagement_min": 30},
    "engaged": {"engagement_min": 10},
}


@pytest.mark.parametrize(("title", "activities", "status"), [
    ("VP", [page_view(0)] * 3, "mql"),                              # both thresholds
    ("VP", [page_view(0)] * 2, "engaged"),                          # engagement 20: not MQL, engaged
    ("Engineer", [page_view(0)] * 5, "engaged"),                    # fit 0 < 20
    ("Engineer", [], "lead"),
    ("Engineer", [form(7, "Demo request")], "mql"),                 # fast-track on its last day
    ("Engineer", [form(8, "Demo request")], "lead"),                # too old for within_days
    ("VP Student", [page_view(0)] * 3 + [form(0, "demo")], "disqualified"),   # disqualification wins
])
def test_status_order(title: str, activities: list[Activity], status: str) -> None:
    evaluation = evaluate(model_from(STATUS_MODEL), {"title": title}, activities, AS_OF)
    assert evaluation.status == status
    assert evaluation.mql_at == (AS_OF if status == "mql" else None)


def test_total_min_threshold() -> None:
    model = model_from({"fit": [{"label": "F", "points": 20}], "engagement": [PRICING], "mql": {"total_min": 30}})
    assert evaluate(model, {}, [page_view(0)], AS_OF).status == "mql"
    assert evaluate(model, {}, [], AS_OF).status == "lead"


def test_fast_track_without_within_days_holds_in_the_window() -> None:
    model = model_from({"decay": {"window_days": 90},
                        "fast_track": [{"label": "Demo", "activity": "form_submission"}]})
    assert evaluate(model, {}, [form(90, "x")], AS_OF).status == "mql"
    assert evaluate(model, {}, [form(91, "x")], AS_OF).status == "lead"


def test_engaged_two_step() -> None:
    model = model_from({**STATUS_MODEL, "engaged": {"fit_min": 30, "engagement_min": 10}})
    assert evaluate(model, {"title": "VP"}, [page_view(0)], AS_OF).status == "engaged"
    assert evaluate(model, {"title": "Engineer"}, [page_view(0)], AS_OF).status == "lead"


# --------------------------------------------------------------------------- stickiness
def test_mql_is_sticky_with_the_first_date() -> None:
    model = model_from(STATUS_MODEL)
    first = date(2026, 10, 1)
    kept = evaluate(model, {"title": "Engineer"}, [], AS_OF, Previous("mql", first))
    assert (kept.status, kept.mql_at, kept.kept) == ("mql", first, True)
    assert kept.mql_reason == "Kept as MQL since 2026-10-01 (thresholds no longer met)."
    still = evaluate(model, {"title": "VP"}, [page_view(0)] * 3, AS_OF, Previous("mql", first))
    assert (still.status, still.mql_at, still.kept) == ("mql", first, False)


def test_only_disqualification_overrides_sticky_mql() -> None:
    model = model_from(STATUS_MODEL)
    first = date(2026, 10, 1)
    out = evaluate(model, {"title": "Student"}, [], AS_OF, Previous("mql", first))
    assert (out.status, out.mql_at) == ("disqualified", first)          # the history is kept
    back = evaluate(model, {"title": "Engineer"}, [], AS_OF, Previous("disqualified", first))
    assert (back.status, back.mql_at) == ("mql", first)


def test_previous_without_a_date_starts_today() -> None:
    model = model_from(STATUS_MODEL)
    assert evaluate(model, {}, [], AS_OF, Previous("mql", None)).mql_at == AS_OF
    assert evaluate(model, {}, [], AS_OF, Previous("lead", None)).status == "lead"


def test_activity_dates_in_other_zones_are_reported_in_utc() -> None:
    model = model_from(STATUS_MODEL)
    late = Activity("form_submission", datetime(2026, 11, 9, 23, 30, tzinfo=UTC).astimezone(
        timezone(timedelta(hours=5))), {"form": "demo"})
    assert evaluate(model, {}, [late], AS_OF).mql_reason.startswith("Fast-track: Demo (2026-11-09).")


def test_worked_example_of_the_docs() -> None:
    """docs/scoring.md, "Worked example"."""
    webinar = {"label": "Webinar attended", "activity": "webinar_attended", "points": 14}
    model = engagement_model({**PRICING, "label": "Pricing page visit", "max_count": 3}, webinar,
                             decay={"half_life_days": 30})
    attended = Activity("webinar_attended", MIDNIGHT - timedelta(days=45), {"name": "Data 101"})
    evaluation = evaluate(model, {}, [page_view(60), page_view(0), page_view(15), page_view(30), attended], AS_OF)
    assert contribution(evaluation, "Pricing page visit").points == 22.071067811865476
    assert contribution(evaluation, "Webinar attended").points == 4.949747468305833
    assert evaluation.engagement == 27
