"""The fast engine against a plain reading of CONTRACT.md section 2, and the deferred reason and breakdown.

``evaluate`` scans the activities once without sorting them and renders the reason and the breakdown only
when they are read; these tests compare it with a slow reference written straight from the contract
(sort most recent first, take ``max_count``, decay each) and with eagerly built evaluations.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Activity, Contribution, Evaluation, Model, Previous, evaluate
from scoring.records import json_points, round_places, text_points
from tests.unit.scoring.helpers import AS_OF, MIDNIGHT, model_from

RULES: dict[str, Any] = {
    "fit": [{"label": "Senior", "when": {"title": {"matches": "(?i)vp|director"}}, "points": 15},
            {"label": "Size", "when": {"employees": {"gte": 100}}, "points": 10}],
    "engagement": [
        {"label": "Pricing", "activity": "page_view", "when": {"url": {"contains": "/pricing"}}, "points": 7,
         "max_count": 2},
        {"label": "Visit", "activity": "page_view", "points": 1.5, "max_count": 3},
        {"label": "Download", "activity": "content_download", "points": 9, "half_life_days": 7},
        {"label": "Penalty", "activity": "email_open", "points": -2.5, "max_count": 2},
    ],
    "disqualify": [{"label": "Student", "when": {"title": {"contains": "student"}}}],
    "fast_track": [{"label": "Demo", "activity": "form_submission", "when": {"form": {"contains": "demo"}},
                    "within_days": 14},
                   {"label": "Any form", "activity": "form_submission"}],
    "mql": {"fit_min": 15, "engagement_min": 20},
    "engaged": {"engagement_min": 5},
    "grades": {"A": 25, "B": 15, "C": 5},
}
WINDOWED = model_from({**RULES, "decay": {"half_life_days": 20, "window_days": 120}}, reason_max_length=90)
# no window: ages run past the precomputed table of decayed values (4000 days)
UNBOUNDED = model_from({**RULES, "decay": {"half_life_days": 900}})
NO_DECAY = model_from(RULES)

EAST, WEST = timezone(timedelta(hours=5)), timezone(timedelta(hours=-8))


def reference_engagement(model: Model, activities: list[Activity], as_of: date,
                         ) -> tuple[list[Contribution], list[tuple[str, int, date]]]:
    """CONTRACT.md section 2 read plainly: de-duplicate by id, drop what is outside the window, sort most
    recent first (stable), then per rule the first max_count matching activities, each decayed."""
    midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    seen: set[str] = set()
    rows = []
    for activity in activities:
        if activity.id is not None:
            if activity.id in seen:
                continue
            seen.add(activity.id)
        at = activity.at if activity.at.tzinfo else activity.at.replace(tzinfo=UTC)
        age = max(0, math.floor((midnight - at) / timedelta(days=1)))
        if model.window_days is not None and age > model.window_days:
            continue
        rows.append((at, age, activity))
    rows.sort(key=lambda row: row[0], reverse=True)
    engagement = []
    for rule, check in zip(model.scoring.engagement, model.engagement, strict=True):
        matching = [(at, age) for at, age, a in rows if a.type == rule.activity and check.test(a.attributes)]
        values = [check.points if check.half_life_days is None else check.points * 0.5 ** (age / check.half_life_days)
                  for _, age in matching[:check.limit]]
        if values:
            engagement.append(Contribution("engagement", rule.label, len(values), math.fsum(values)))
    fast = []
    for fast_rule, fast_check in zip(model.scoring.fast_track, model.fast_track, strict=True):
        within = math.inf if fast_check.within_days is None else fast_check.within_days
        matching = [(at, age) for at, age, a in rows
                    if a.type == fast_rule.activity and age <= within and fast_check.test(a.attributes)]
        if matching:
            fast.append((fast_rule.label, len(matching), matching[0][0].astimezone(UTC).date()))
    return engagement, fast


activity = st.builds(
    lambda kind, value, minutes, zone, ident: Activity(
        kind[0], (MIDNIGHT - timedelta(minutes=minutes)).astimezone(zone) if zone else
        (MIDNIGHT - timedelta(minutes=minutes)).replace(tzinfo=None), {kind[1]: value}, ident),
    st.sampled_from([("page_view", "url"), ("content_download", "asset"), ("email_open", "campaign"),
                     ("form_submission", "form"), ("meeting", "title")]),
    st.sampled_from(["/pricing", "/blog", "Book a demo", "ebook"]),
    # whole days (ties and midnight exactly) as well as any minute; some in the future, some very old
    st.one_of(st.integers(-3, 200).map(lambda days: days * 1440), st.integers(-3 * 1440, 200 * 1440),
              st.integers(3990 * 1440, 4010 * 1440)),
    st.sampled_from([UTC, EAST, WEST, None]),
    st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])),
)
people = st.fixed_dictionaries({"title": st.sampled_from(["VP Sales", "Engineer", "Student", None]),
                                "employees": st.sampled_from([None, 50, 500])})
previous = st.one_of(st.none(), st.builds(Previous, st.sampled_from(["mql", "lead", None]),
                                          st.sampled_from([None, AS_OF - timedelta(days=40)])))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([WINDOWED, UNBOUNDED, NO_DECAY]), people, st.lists(activity, max_size=14), previous,
       st.sampled_from([AS_OF, AS_OF + timedelta(days=45)]))
def test_engine_matches_the_plain_reading(model: Model, fields: dict[str, Any], acts: list[Activity],
                                          prev: Previous | None, as_of: date) -> None:
    evaluation = evaluate(model, fields, acts, as_of, prev)
    engagement, fast = reference_engagement(model, acts, as_of)
    assert [c for c in evaluation.breakdown if c.kind == "engagement"] == engagement
    assert [(c.label, c.count) for c in evaluation.breakdown if c.kind == "fast_track"] == [
        (label, count) for label, count, _ in fast]
    if fast and evaluation.status != "disqualified":
        label, _, last = fast[0]
        assert evaluation.mql_reason.startswith(f"Fast-track: {label} ({last.isoformat()}).")
        assert evaluation.status == "mql"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([WINDOWED, UNBOUNDED]), people, st.lists(activity, max_size=10), previous,
       st.sampled_from(["reason", "breakdown", "dict", "eq", "repr"]))
def test_deferred_reason_and_breakdown_equal_eager(model: Model, fields: dict[str, Any], acts: list[Activity],
                                                   prev: Previous | None, first: str) -> None:
    """Whatever is read first, the evaluation is the same as one built eagerly from its values."""
    evaluation = evaluate(model, fields, acts, AS_OF, prev)
    other = evaluate(model, fields, acts, AS_OF, prev)
    if first == "reason":
        assert isinstance(evaluation.mql_reason, str)
    elif first == "breakdown":
        assert isinstance(evaluation.breakdown, tuple)
    elif first == "dict":
        evaluation.to_dict("p")
    elif first == "eq":
        assert evaluation == other
    else:
        repr(evaluation)
    eager = Evaluation(evaluation.fit, evaluation.engagement, evaluation.score, evaluation.grade,
                       evaluation.status, evaluation.mql_at, evaluation.mql_reason, evaluation.breakdown,
                       evaluation.kept)
    assert evaluation == eager == other
    assert hash(evaluation) == hash(eager) == hash(other)
    assert repr(evaluation) == repr(eager)
    assert evaluation.to_dict("p") == eager.to_dict("p") == other.to_dict("p")
    assert (other.mql_reason, other.breakdown) == (eager.mql_reason, eager.breakdown)


def test_evaluation_behaves_like_a_frozen_dataclass() -> None:
    evaluation = evaluate(WINDOWED, {"title": "VP"}, [Activity("page_view", MIDNIGHT, {"url": "/pricing"})], AS_OF)
    with pytest.raises(FrozenInstanceError):
        evaluation.status = "lead"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del evaluation.fit
    assert repr(evaluation) == (
        "Evaluation(fit=15, engagement=9, score=24, grade='B', status='engaged', mql_at=None, "
        "mql_reason='Fit 15: Senior +15. Engagement 9: Pricing +7, Visit +1.5.', "
        "breakdown=(Contribution(kind='fit', label='Senior', count=1, points=15.0), "
        "Contribution(kind='engagement', label='Pricing', count=1, points=7.0), "
        "Contribution(kind='engagement', label='Visit', count=1, points=1.5)), kept=False)")
    assert evaluation != repr(evaluation)
    assert {evaluation: 1}[evaluate(WINDOWED, {"title": "VP"}, [Activity("page_view", MIDNIGHT, {"url": "/pricing"})],
                                    AS_OF)] == 1
    assert pickle.loads(pickle.dumps(evaluation)) == evaluation     # noqa: S301  (our own bytes)
    match evaluation:
        case Evaluation(fit, _, _, grade, status):
            assert (fit, grade, status) == (15, "B", "engaged")


def test_old_activities_past_the_value_table_still_decay() -> None:
    model = model_from({"decay": {"half_life_days": 1000}, "mql": {"engagement_min": 1000},
                        "engagement": [{"label": "Visit", "activity": "page_view", "points": 64}]})
    old = Activity("page_view", MIDNIGHT - timedelta(days=6000), {})
    assert evaluate(model, {}, [old], AS_OF).breakdown == (Contribution("engagement", "Visit", 1, 1.0),)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).filter(lambda v: not v.is_integer()))
def test_json_points_is_round_places_to_two(value: float) -> None:
    rounded = round_places(value, 2)
    expected = int(rounded) if rounded.is_integer() else rounded
    assert json_points(value) == expected
    assert type(json_points(value)) is type(expected)


@pytest.mark.parametrize("value", [2.675, -2.675, 1.005, 0.125, -0.125, 7.995, 0.004999, 0.005])
def test_json_points_near_ties(value: float) -> None:
    rounded = round_places(value, 2)
    assert json_points(value) == (int(rounded) if rounded.is_integer() else rounded)


def test_activity_is_an_immutable_record() -> None:
    at = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    activity = Activity("page_view", at, {"url": "/pricing"}, id="a1")
    assert (activity.type, activity.at, activity.attributes, activity.id) == ("page_view", at, {"url": "/pricing"}, "a1")
    assert Activity("page_view", at, {}).id is None
    with pytest.raises(AttributeError):
        activity.id = "a2"  # type: ignore[misc]


def test_score_lines_build_activities() -> None:
    from sync.cli.score_cmd import parse_line

    _, _, activities, _ = parse_line(b'{"activities": [{"type": "page_view", "at": "2026-11-02T14:30:00+02:00", '
                                     b'"id": 7, "url": "/pricing"}, {"type": "email_open", "at": "2026-11-02"}]}')
    assert [type(a) for a in activities] == [Activity, Activity]
    assert activities[0] == Activity("page_view", datetime(2026, 11, 2, 12, 30, tzinfo=UTC), {"url": "/pricing"}, "7")
    assert activities[1] == Activity("email_open", datetime(2026, 11, 2, tzinfo=UTC), {}, None)
    assert activities[1].at.tzinfo is UTC


def decimal_text(value: float) -> str:
    """text_points read from the value's shortest decimal text (what a person expects)."""
    tenths = Decimal(repr(abs(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    body = str(tenths).removesuffix(".0")
    if body == "0":
        return "+0"
    return ("+" if value > 0 else "-") + body


@settings(max_examples=400, deadline=None)
@given(st.floats(min_value=-5000, max_value=5000, allow_nan=False).filter(
    lambda v: not v.is_integer() and abs((abs(v) * 10) % 1 - 0.5) > 1e-5))
def test_text_points_is_the_decimal_reading(value: float) -> None:
    assert text_points(value) == decimal_text(value)


@pytest.mark.parametrize(("value", "text"), [
    (199.94, "+199.9"), (199.96, "+200"), (-199.96, "-200"), (200.04, "+200"), (250.25, "+250.3"),
    (-0.35, "-0.4"), (0.04, "+0"), (-0.04, "+0"), (1234.56, "+1234.6"), (7.25, "+7.3"),
])
def test_text_points_both_sides_of_the_table(value: float, text: str) -> None:
    assert text_points(value) == text == decimal_text(value)
