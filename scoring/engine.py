"""``evaluate``: one person's fit, engagement, score, grade, status and reason (CONTRACT.md section 2).

Pure: no I/O, no clock. The same model, inputs and ``as_of`` always give the same evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from scoring.model import Model
from scoring.reason import (
    contributions_text,
    disqualified_basis,
    fast_track_basis,
    fit_text,
    join_reason,
    kept_basis,
    thresholds_basis,
)
from scoring.records import Activity, Contribution, Evaluation, Previous, round_half_away

_AT = itemgetter(0)

# One activity in play: (at in UTC, age in days, type, attributes).
Row = tuple[datetime, int, str, Mapping[str, Any]]


def evaluate(model: Model, fields: Mapping[str, Any], activities: Sequence[Activity], as_of: date,
             previous: Previous | None = None) -> Evaluation:
    """Score one person as of the start (00:00 UTC) of ``as_of``."""
    fit_checks = [check for check in model.fit if check.test(fields)]
    fit = _clamp(round_half_away(math.fsum([check.points for check in fit_checks])), model.fit_caps)
    disqualifiers = [check for check in model.disqualify if check.test(fields)]

    rows = _timeline(model, activities, as_of)
    engagement_hits, engagement_raw, fast_hits, fast_basis = _activities(model, rows)
    engagement = _clamp(round_half_away(engagement_raw), model.engagement_caps)
    score = fit + engagement
    grade = _grade(model, fit)

    status, mql_at, kept, basis = _status(model, as_of, previous, [c.label for c in disqualifiers], fast_basis,
                                          fit, engagement, score)
    if disqualifiers:
        reason = join_reason((basis,), model.reason_max_length)
    else:
        reason = join_reason((basis, fit_text(fit, fit_checks),
                              contributions_text("Engagement", engagement, engagement_hits)),
                             model.reason_max_length)
    breakdown = (*[check.contribution for check in fit_checks], *engagement_hits,
                 *[check.contribution for check in disqualifiers], *fast_hits)
    return Evaluation(fit, engagement, score, grade, status, mql_at, reason, breakdown, kept)


def _status(model: Model, as_of: date, previous: Previous | None, disqualifiers: list[str], fast_basis: str,
            fit: int, engagement: int, score: int) -> tuple[str, date | None, bool, str]:
    """(status, mql_at, kept by stickiness, basis of the reason): the first of disqualified, mql (fast-track,
    thresholds, or sticky), engaged, lead. A person was MQL when the previous state says so or has an
    mql_at; disqualification keeps that date as history."""
    was_mql = previous is not None and (previous.status == "mql" or previous.mql_at is not None)
    first_mql = previous.mql_at if previous is not None else None
    if disqualifiers:
        return "disqualified", first_mql, False, disqualified_basis(disqualifiers)
    mql_at = first_mql if was_mql and first_mql else as_of
    if fast_basis:
        return "mql", mql_at, False, fast_basis
    if model.mql is not None and model.mql.hold(fit, engagement, score):
        return "mql", mql_at, False, thresholds_basis(model.mql, fit, engagement, score)
    if was_mql:
        return "mql", mql_at, True, kept_basis(mql_at)
    if model.engaged is not None and model.engaged.hold(fit, engagement, score):
        return "engaged", None, False, ""
    return "lead", None, False, ""


def _timeline(model: Model, activities: Sequence[Activity], as_of: date) -> list[Row]:
    """Activities that count: de-duplicated by id (first kept), of a type some rule reads, inside the
    window; most recent first, ties in input order."""
    day = as_of.toordinal()
    window = model.window_days
    by_type = model.by_type
    seen: set[str] | None = None
    rows: list[Row] = []
    for activity in activities:
        activity_id = activity.id
        if activity_id is not None:
            if seen is None:
                seen = set()
            elif activity_id in seen:
                continue
            seen.add(activity_id)
        kind = activity.type
        if kind not in by_type:
            continue
        at = activity.at
        if at.tzinfo is not UTC:
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        # floor((as_of_midnight - at) / 1 day) without timedelta arithmetic: whole days between the
        # dates, one less when `at` is past midnight.
        age = day - at.toordinal()
        if at.hour or at.minute or at.second or at.microsecond:
            age -= 1
        if age < 0:
            age = 0
        elif window is not None and age > window:
            continue
        rows.append((at, age, kind, activity.attributes))
    if len(rows) > 1:
        rows.sort(key=_AT, reverse=True)     # stable: equal timestamps keep input order
    return rows


def _activities(model: Model, rows: list[Row]) -> tuple[list[Contribution], float, list[Contribution], str]:
    """One pass over the timeline (most recent first) for the engagement and fast-track rules.

    Engagement: each rule's first ``max_count`` matching activities, decayed; returns the rules that
    counted something and the exact total. Fast-track: the rules that hold (count = matching activities
    within their days) and the basis text of the first of them in file order, dated by its most
    recent matching activity."""
    counted: list[list[float] | None] = [None] * len(model.engagement)
    fast_counts = [0] * len(model.fast_track)
    fast_latest: list[datetime | None] = [None] * len(model.fast_track)
    by_type = model.by_type
    for at, age, kind, attributes in rows:
        engagement_checks, fast_checks = by_type[kind]
        for index, limit, test, points, half_life in engagement_checks:
            got = counted[index]
            if got is not None and len(got) >= limit:
                continue
            if test is None or test(attributes):
                value = points if half_life is None else points * 0.5 ** (age / half_life)
                if got is None:
                    counted[index] = [value]
                else:
                    got.append(value)
        for index, within, test in fast_checks:
            if age <= within and (test is None or test(attributes)):
                fast_counts[index] += 1
                if fast_latest[index] is None:
                    fast_latest[index] = at
    hits = [Contribution("engagement", check.label, len(got), math.fsum(got))
            for check, got in zip(model.engagement, counted, strict=True) if got]
    if len(hits) > 1:
        total = math.fsum([value for got in counted if got for value in got])
    else:
        total = hits[0].points if hits else 0.0
    if not model.fast_track:
        return hits, total, [], ""
    fast_hits = [Contribution("fast_track", fast.label, fast_counts[fast.index], 0.0)
                 for fast in model.fast_track if fast_counts[fast.index]]
    basis = ""
    for fast in model.fast_track:
        last = fast_latest[fast.index]
        if last is not None:
            basis = fast_track_basis(fast.label, last.date())
            break
    return hits, total, fast_hits, basis


def _grade(model: Model, fit: int) -> str | None:
    if not model.grades:
        return None
    for letter, threshold in model.grades:
        if fit >= threshold:
            return letter
    return "D"


def _clamp(value: int, caps: tuple[int, int]) -> int:
    low, high = caps
    return low if value < low else high if value > high else value
