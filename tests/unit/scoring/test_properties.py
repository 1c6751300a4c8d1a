"""Invariants over generated people and activities (Hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Activity, Previous, evaluate
from tests.unit.scoring.helpers import AS_OF, MIDNIGHT, model_from

POSITIVE: dict[str, Any] = {
    "decay": {"half_life_days": 20, "window_days": 120},
    "fit": [{"label": "Senior", "when": {"title": {"matches": "(?i)vp|director"}}, "points": 15},
            {"label": "Size", "when": {"employees": {"gte": 100}}, "points": 10}],
    "engagement": [
        {"label": "Pricing", "activity": "page_view", "when": {"url": {"contains": "/pricing"}}, "points": 7,
         "max_count": 3},
        {"label": "Visit", "activity": "page_view", "points": 1.5},
        {"label": "Download", "activity": "content_download", "points": 9, "max_count": 2, "half_life_days": 7},
        {"label": "Open", "activity": "email_open", "points": 0.5, "max_count": 4},
    ],
    "disqualify": [{"label": "Student", "when": {"title": {"contains": "student"}}}],
    "fast_track": [{"label": "Demo", "activity": "form_submission", "when": {"form": {"contains": "demo"}},
                    "within_days": 14}],
    "mql": {"fit_min": 15, "engagement_min": 20},
    "engaged": {"engagement_min": 5},
    "grades": {"A": 25, "B": 15, "C": 5},
}
MODEL = model_from(POSITIVE)
MAX_COUNTS = {"Pricing": 3, "Download": 2, "Open": 4}

titles = st.sampled_from(["VP Sales", "Director", "Engineer", "Student", "", None, "Student director"])
fields = st.fixed_dictionaries({"title": titles, "employees": st.one_of(st.none(), st.integers(0, 5000),
                                                                       st.sampled_from(["250", "abc"]))})
activity = st.builds(
    lambda kind, url, minutes, ident: Activity(kind[0], MIDNIGHT - timedelta(minutes=minutes),
                                               {kind[1]: url}, ident),
    st.sampled_from([("page_view", "url"), ("content_download", "asset"), ("email_open", "campaign"),
                     ("form_submission", "form"), ("meeting", "title")]),
    st.sampled_from(["/pricing", "/blog", "demo", "ebook"]),
    st.integers(-3 * 24 * 60, 200 * 24 * 60),
    st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
)
activities = st.lists(activity, max_size=15)
previous = st.one_of(st.none(), st.builds(Previous, st.sampled_from(["mql", "lead", "disqualified", None]),
                                          st.sampled_from([None, AS_OF - timedelta(days=40)])))


@settings(max_examples=150, deadline=None)
@given(fields, activities, previous)
def test_deterministic(person: dict[str, Any], acts: list[Activity], prev: Previous | None) -> None:
    first = evaluate(MODEL, person, acts, AS_OF, prev)
    again = evaluate(MODEL, dict(person), list(acts), AS_OF, prev)
    assert first == again
    assert first.to_dict("x") == again.to_dict("x")


@settings(max_examples=150, deadline=None)
@given(fields, activities, previous)
def test_disqualification_always_wins(person: dict[str, Any], acts: list[Activity], prev: Previous | None) -> None:
    student = {**person, "title": "Student"}
    evaluation = evaluate(MODEL, student, acts, AS_OF, prev)
    assert evaluation.status == "disqualified"
    assert evaluation.mql_reason == "Disqualified: Student."


@settings(max_examples=150, deadline=None)
@given(fields, activities, activity)
def test_adding_a_matching_activity_never_lowers_engagement(person: dict[str, Any], acts: list[Activity],
                                                           extra: Activity) -> None:
    fresh = Activity(extra.type, extra.at, extra.attributes, None)   # a new id: never a duplicate
    before = evaluate(MODEL, person, acts, AS_OF)
    after = evaluate(MODEL, person, [*acts, fresh], AS_OF)
    assert after.engagement >= before.engagement


@settings(max_examples=150, deadline=None)
@given(activities, st.integers(1, 400))
def test_decay_never_raises_points(acts: list[Activity], days: int) -> None:
    # the same activities evaluated later (older) are worth no more, rule by rule
    now = {c.label: c.points for c in evaluate(MODEL, {}, acts, AS_OF).breakdown if c.kind == "engagement"}
    later = {c.label: c.points for c in evaluate(MODEL, {}, acts, AS_OF + timedelta(days=days)).breakdown
             if c.kind == "engagement"}
    for label, points in later.items():
        assert points <= now[label] + 1e-9


@settings(max_examples=150, deadline=None)
@given(activities)
def test_max_count_bounds_a_rule(acts: list[Activity]) -> None:
    evaluation = evaluate(MODEL, {}, acts, AS_OF)
    points = {"Pricing": 7, "Download": 9, "Open": 0.5}
    for c in evaluation.breakdown:
        if c.label in MAX_COUNTS:
            assert c.count <= MAX_COUNTS[c.label]
            assert c.points <= points[c.label] * MAX_COUNTS[c.label]


@settings(max_examples=100, deadline=None)
@given(fields, activities)
def test_outputs_stay_inside_caps_and_reason_limit(person: dict[str, Any], acts: list[Activity]) -> None:
    evaluation = evaluate(model_from(POSITIVE, reason_max_length=30), person, acts, AS_OF)
    assert 0 <= evaluation.fit <= 100
    assert 0 <= evaluation.engagement <= 100
    assert evaluation.score == evaluation.fit + evaluation.engagement
    assert len(evaluation.mql_reason) <= 30
