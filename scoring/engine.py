"""``evaluate``: one person's fit, engagement, score, grade, status and reason (CONTRACT.md section 2).

Pure: no I/O, no clock. The same model, inputs and ``as_of`` always give the same evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from scoring.model import Model
from scoring.reason import (
    contributions_text,
    disqualified_basis,
    fast_track_basis,
    join_reason,
    kept_basis,
    thresholds_basis,
)
from scoring.records import Activity, Contribution, Evaluation, Previous, round_half_away

_DAY = timedelta(days=1)
_AT = itemgetter(0)

# One activity in play: (at as an aware datetime, age in days, the activity).
Row = tuple[datetime, int, Activity]


def evaluate(model: Model, fields: Mapping[str, Any], activities: Sequence[Activity], as_of: date,
             previous: Previous | None = None) -> Evaluation:
    """Score one person as of the start (00:00 UTC) of ``as_of``."""
    fit_hits = [Contribution("fit", check.label, 1, check.points) for check in model.fit if check.test(fields)]
    fit = _clamp(round_half_away(math.fsum([c.points for c in fit_hits])), model.fit_caps)
    disqualifiers = [check.label for check in model.disqualify if check.test(fields)]

    rows = _timeline(model, activities, as_of)
    engagement_hits, engagement_raw = _engagement(model, rows)
    fast_hits, fast_basis = _fast_track(model, rows)
    engagement = _clamp(round_half_away(engagement_raw), model.engagement_caps)
    score = fit + engagement
    grade = _grade(model, fit)

    was_mql = previous is not None and (previous.status == "mql" or previous.mql_at is not None)
    first_mql = previous.mql_at if previous is not None else None
    mql_holds = model.mql is not None and model.mql.hold(fit, engagement, score)
    kept = False
    basis = ""
    if disqualifiers:
        status, mql_at = "disqualified", first_mql
        basis = disqualified_basis(disqualifiers)
    elif fast_basis or mql_holds:
        status, mql_at = "mql", (first_mql if was_mql and first_mql else as_of)
        if fast_basis:
            basis = fast_basis
        elif model.mql is not None:
            basis = thresholds_basis(model.mql, fit, engagement, score)
    elif was_mql:
        status, mql_at, kept = "mql", first_mql or as_of, True
        basis = kept_basis(mql_at)
    elif model.engaged is not None and model.engaged.hold(fit, engagement, score):
        status, mql_at = "engaged", None
    else:
        status, mql_at = "lead", None

    if disqualifiers:
        reason = join_reason((basis,), model.reason_max_length)
    else:
        reason = join_reason((basis, contributions_text("Fit", fit, fit_hits),
                              contributions_text("Engagement", engagement, engagement_hits)),
                             model.reason_max_length)
    breakdown = (*fit_hits, *engagement_hits,
                 *(Contribution("disqualify", label, 1, 0.0) for label in disqualifiers), *fast_hits)
    return Evaluation(fit, engagement, score, grade, status, mql_at, reason, breakdown, kept)


def _timeline(model: Model, activities: Sequence[Activity], as_of: date) -> list[Row]:
    """Activities that count: de-duplicated by id (first kept), of a type some rule reads, inside the
    window; most recent first, ties in input order."""
    midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    window = model.window_days
    engagement_types = model.engagement_by_type
    fast_types = model.fast_track_by_type
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
        if kind not in engagement_types and kind not in fast_types:
            continue
        at = activity.at
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        age = (midnight - at) // _DAY
        if age < 0:
            age = 0
        elif window is not None and age > window:
            continue
        rows.append((at, age, activity))
    if len(rows) > 1:
        rows.sort(key=_AT, reverse=True)     # stable: equal timestamps keep input order
    return rows


def _engagement(model: Model, rows: list[Row]) -> tuple[list[Contribution], float]:
    if not model.engagement:
        return [], 0.0
    values: list[list[float]] = [[] for _ in model.engagement]
    by_type = model.engagement_by_type
    for _, age, activity in rows:
        checks = by_type.get(activity.type)
        if checks is None:
            continue
        attributes = activity.attributes
        for check in checks:
            counted = values[check.index]
            if check.max_count is not None and len(counted) >= check.max_count:
                continue
            if check.test(attributes):
                half_life = check.half_life_days
                counted.append(check.points if half_life is None else check.points * 0.5 ** (age / half_life))
    hits = [Contribution("engagement", check.label, len(counted), math.fsum(counted))
            for check, counted in zip(model.engagement, values, strict=True) if counted]
    total = math.fsum([value for counted in values for value in counted])
    return hits, total


def _fast_track(model: Model, rows: list[Row]) -> tuple[list[Contribution], str]:
    """Fast-track rules that hold (count = matching activities within their days), and the basis text of
    the first of them in file order, dated by its most recent matching activity."""
    if not model.fast_track:
        return [], ""
    counts = [0] * len(model.fast_track)
    latest: list[datetime | None] = [None] * len(model.fast_track)
    by_type = model.fast_track_by_type
    for at, age, activity in rows:
        checks = by_type.get(activity.type)
        if checks is None:
            continue
        for check in checks:
            if check.within_days is not None and age > check.within_days:
                continue
            if check.test(activity.attributes):
                counts[check.index] += 1
                if latest[check.index] is None:
                    latest[check.index] = at
    hits = [Contribution("fast_track", check.label, counts[check.index], 0.0)
            for check in model.fast_track if counts[check.index]]
    for check in model.fast_track:
        last = latest[check.index]
        if last is not None:
            return hits, fast_track_basis(check.label, last.astimezone(UTC).date())
    return hits, ""


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
