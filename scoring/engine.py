"""``evaluate``: one person's fit, engagement, score, grade, status and reason (CONTRACT.md section 2).

Pure: no I/O, no clock. The same model, inputs and ``as_of`` always give the same evaluation.

The numbers and the status are computed at once, in one pass over the activities; the reason and the
breakdown are rendered from the same evaluation when first read (:class:`_Render`, from the state the
evaluation carries).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from operator import itemgetter
from typing import Any

from scoring.model import UNLIMITED, EngagementCheck, Model
from scoring.reason import ELLIPSIS, fast_track_basis, kept_basis, thresholds_basis
from scoring.records import Activity, Contribution, Evaluation, Previous, json_points, round_half_away, text_points

# Basis of the reason (the sentence before the contributions).
_NO_BASIS, _DISQUALIFIED, _FAST_TRACK, _THRESHOLDS, _KEPT = range(5)

# Contribution(kind, label, count, points) without the named tuple's Python-level __new__
_contribution = tuple.__new__
_new = object.__new__
_set = object.__setattr__

_MIDNIGHT_UTC = time(tzinfo=UTC)
_MIDNIGHTS: dict[date, datetime] = {}       # as_of -> 00:00 UTC of it (the last few)

_POINTS = itemgetter(2)       # (check, count, points, ages)
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def evaluate(model: Model, fields: Mapping[str, Any], activities: Sequence[Activity], as_of: date,
             previous: Previous | None = None) -> Evaluation:
    """Score one person as of the start (00:00 UTC) of ``as_of``."""
    matched = 0
    for bit, test in model.fit_tests:
        if test(fields):
            matched |= bit
    fit_outcome = model.fit_outcomes[matched]       # the fit, its grade, and their part of the outputs
    fit = fit_outcome[0]
    matched = 0
    for bit, test in model.disqualify_tests:
        if test(fields):
            matched |= bit
    disqualified = model.disqualify_outcomes[matched] if matched else None

    counted, fast_counts, fast_latest, fast_index = _scan(model, activities, as_of)
    engagement_raw = 0.0
    if counted:
        rules = model.engagement_values
        every: list[float] = []
        for index, ages in counted.items():
            limit, value_of = rules[index]
            if len(ages) > limit:             # the most recent max_count: the smallest ages
                ages.sort()
                del ages[limit:]
            every += map(value_of, ages)
        engagement_raw = math.fsum(every)
    if engagement_raw >= 0:       # round_half_away(engagement_raw) without its call
        engagement = int(engagement_raw)
        if engagement_raw - engagement >= 0.5:
            engagement += 1
    else:
        engagement = round_half_away(engagement_raw)
    low, high = model.engagement_caps
    engagement = low if engagement < low else high if engagement > high else engagement
    score = fit + engagement

    # status, first that holds: disqualified, mql (fast-track, thresholds, sticky), engaged, lead. A person
    # was MQL when the previous state says so or has an mql_at; disqualification keeps that date as history.
    was_mql = previous is not None and (previous.status == "mql" or previous.mql_at is not None)
    first_mql = previous.mql_at if previous is not None else None
    kept = False
    if disqualified is not None:
        status, mql_at, basis = "disqualified", first_mql, _DISQUALIFIED
    else:
        mql_at = first_mql if was_mql and first_mql else as_of
        minimums = model.mql_minimums
        if fast_index >= 0:
            status, basis = "mql", _FAST_TRACK
        elif minimums is not None and fit >= minimums[0] and engagement >= minimums[1] and score >= minimums[2]:
            status, basis = "mql", _THRESHOLDS
        elif was_mql:
            status, basis, kept = "mql", _KEPT, True
        else:
            mql_at, basis = None, _NO_BASIS
            minimums = model.engaged_minimums
            engaged = (minimums is not None and fit >= minimums[0] and engagement >= minimums[1]
                       and score >= minimums[2])
            status = "engaged" if engaged else "lead"
    # Evaluation.deferred(..., _RENDER, *state) without its call; the state as _Render reads it
    evaluation = _new(Evaluation)
    _set(evaluation, "_fields", (fit, engagement, score, fit_outcome[1], status, mql_at, None, None, kept, _RENDER,
                                 model, fit_outcome, disqualified, counted, fast_counts, fast_latest, fast_index,
                                 basis, [None, None, None]))
    return evaluation


def _scan(model: Model, activities: Sequence[Activity], as_of: date,
          ) -> tuple[dict[int, list[int]], list[int] | None, list[datetime | None] | None, int]:
    """One pass over the activities that count: de-duplicated by id (first kept), of a type some rule
    reads, inside the window.

    Returns, per engagement rule that matched (by index), the ages of its matching activities in input
    order (the engine keeps the ``max_count`` smallest: the most recent; equal ages are worth the same);
    per fast-track rule, the matching activities within its days and the most recent of them (ties: the
    first in input order); ``None`` for both when the model has no fast-track rule; and the first
    fast-track rule (file order) that holds, -1 when none does."""
    midnight = _MIDNIGHTS.get(as_of)
    if midnight is None:
        if len(_MIDNIGHTS) >= 64:
            _MIDNIGHTS.clear()
        midnight = _MIDNIGHTS[as_of] = datetime.combine(as_of, _MIDNIGHT_UTC)
    window = UNLIMITED if model.window_days is None else model.window_days
    by_type = model.by_type
    counted: dict[int, list[int]] = {}
    fast_counts: list[int] | None = None
    fast_latest: list[datetime | None] | None = None
    if model.fast_track:
        fast_counts = [0] * len(model.fast_track)
        fast_latest = [None] * len(model.fast_track)
    fast_index = -1
    seen: set[str] = set()
    see = seen.add
    for kind, at, attributes, activity_id in activities:
        if activity_id is not None:
            if activity_id in seen:
                continue
            see(activity_id)
        slots = by_type.get(kind)
        if slots is None:
            continue
        # floor((as_of_midnight - at) / 1 day): timedelta keeps days floored (seconds are never negative);
        # aware datetimes in other zones subtract as UTC; a naive one (it cannot subtract) is read as UTC.
        try:
            age = (midnight - at).days
        except TypeError:
            if at.tzinfo is not None:
                raise
            at = at.replace(tzinfo=UTC)
            age = (midnight - at).days
        if age > window:
            continue
        if age < 0:
            age = 0
        engagement_slots, fast_slots = slots
        for index, test in engagement_slots:
            if test is None or test(attributes):
                ages = counted.get(index)
                if ages is None:
                    counted[index] = [age]
                else:
                    ages.append(age)
        if fast_slots:
            assert fast_counts is not None and fast_latest is not None
            for index, within, test in fast_slots:
                if age <= within and (test is None or test(attributes)):
                    fast_counts[index] += 1
                    last = fast_latest[index]
                    if last is None or at > last:
                        fast_latest[index] = at
                    if fast_index < 0 or index < fast_index:
                        fast_index = index
    return counted, fast_counts, fast_latest, fast_index


# The state a deferred evaluation carries after its renderer (_fields[10:]): model, fit outcome, disqualify
# outcome (None: not disqualified), counted (engagement rule index -> the ages that count), fast-track counts
# and latest (None: the model has no fast-track rule), fast_index (the first fast-track rule, file order,
# that holds; -1: none), basis, and a list keeping what was rendered: reason, engagement contributions,
# breakdown (None until made).
_MODEL, _FIT, _DISQUALIFIED, _COUNTED, _FAST_COUNTS, _FAST_LATEST, _FAST_INDEX, _BASIS, _KEPT = range(10, 19)

Engaged = list[tuple[EngagementCheck, int, float, list[int]]]     # rule, count, exact points, ages


class _Render:
    """Renders the reason and the breakdown of evaluations made by :func:`evaluate` (from their state)."""

    __slots__ = ()

    def reason(self, evaluation: Evaluation) -> str:
        """``evaluation``'s ``mql_reason`` (kept)."""
        fields = evaluation._fields
        kept = fields[_KEPT]
        reason: str | None = kept[0]
        if reason is not None:
            return reason
        disqualified = fields[_DISQUALIFIED]
        if disqualified is not None:
            reason = kept[0] = disqualified.reason
            return reason
        model = fields[_MODEL]
        # join_reason((basis, fit, engagement), max_length) without its calls
        basis = fields[_BASIS]
        reason = "" if basis == _NO_BASIS else _basis(evaluation, basis)
        text = fields[_FIT].text
        if text:
            reason = f"{reason} {text}" if reason else text
        counted = fields[_COUNTED]
        if counted:
            # "Engagement 38: Pricing page visit x3 +24, Webinar attended +14.": largest first (ties: file
            # order; sorting in reverse keeps them), counts above 1
            engagement = kept[1]
            if engagement is None:
                engagement = kept[1] = _engagement(model, counted)
            ordered = sorted(engagement, key=_POINTS, reverse=True) if len(engagement) > 1 else engagement
            pieces = []
            for check, count, points, ages in ordered:
                if count == 1:
                    pieces.append(check.singles[ages[0]][0])
                else:
                    prefixes = check.prefixes
                    pieces.append((prefixes[count] if count < len(prefixes) else check.prefix(count))
                                  + text_points(points))
            text = f"Engagement {fields[1]}: {', '.join(pieces)}."
            reason = f"{reason} {text}" if reason else text
        max_length = model.reason_max_length
        if len(reason) > max_length:
            reason = reason[: max_length - 1].rstrip() + ELLIPSIS
        kept[0] = reason
        return reason

    def outputs(self, evaluation: Evaluation) -> tuple[str, list[dict[str, Any]]]:
        """``evaluation``'s ``mql_reason`` (kept) and breakdown as JSON objects (new ones), as ``to_dict``
        shows them: when the reason is still to be made, its engagement pieces and the engagement entries
        in one pass (as :meth:`reason` and :meth:`breakdown_dicts` make them)."""
        fields = evaluation._fields
        kept = fields[_KEPT]
        if kept[0] is not None or fields[_DISQUALIFIED] is not None:
            return self.reason(evaluation), self.breakdown_dicts(evaluation)
        fit = fields[_FIT]
        dicts = list(map(dict.copy, fit.entries))
        basis = fields[_BASIS]
        reason = "" if basis == _NO_BASIS else _basis(evaluation, basis)
        text = fit.text
        if text:
            reason = f"{reason} {text}" if reason else text
        model = fields[_MODEL]
        counted = fields[_COUNTED]
        if counted:
            checks = model.engagement
            add = dicts.append
            scored = []                 # (exact points, reason piece), file order
            for index in sorted(counted) if len(counted) > 1 else counted:
                ages = counted[index]
                check = checks[index]
                count = len(ages)
                if count == 1:
                    piece, entry = check.singles[ages[0]]
                    add(entry.copy())
                    scored.append((check.values[ages[0]], piece))
                    continue
                points = math.fsum(map(check.values.__getitem__, ages))
                if count < len(check.entries):
                    entry = check.entries[count].copy()
                    entry["points"] = json_points(points)
                    piece = check.prefixes[count] + text_points(points)
                else:
                    entry = {"kind": "engagement", "label": check.label, "count": count, "points": json_points(points)}
                    piece = check.prefix(count) + text_points(points)
                add(entry)
                scored.append((points, piece))
            if len(scored) > 1:
                scored.sort(key=_FIRST, reverse=True)       # largest first; reversed, ties stay in file order
                text = f"Engagement {fields[1]}: {', '.join(map(_SECOND, scored))}."
            else:
                text = f"Engagement {fields[1]}: {scored[0][1]}."
            reason = f"{reason} {text}" if reason else text
        max_length = model.reason_max_length
        if len(reason) > max_length:
            reason = reason[: max_length - 1].rstrip() + ELLIPSIS
        kept[0] = reason
        fast_index = fields[_FAST_INDEX]
        if fast_index >= 0:
            dicts += [{"kind": "fast_track", "label": label, "count": count, "points": 0}
                      for label, count in _fast_hits(model, fields[_FAST_COUNTS], fast_index)]
        return reason, dicts

    def breakdown(self, evaluation: Evaluation) -> tuple[Contribution, ...]:
        """``evaluation``'s ``breakdown`` (kept): fit, engagement, disqualify, fast-track; file order in each."""
        fields = evaluation._fields
        kept = fields[_KEPT]
        breakdown: tuple[Contribution, ...] | None = kept[2]
        if breakdown is not None:
            return breakdown
        model, counted, disqualified = fields[_MODEL], fields[_COUNTED], fields[_DISQUALIFIED]
        engagement = kept[1]
        if engagement is None:
            engagement = kept[1] = _engagement(model, counted) if counted else []
        breakdown = kept[2] = (
            *fields[_FIT].contributions,
            *[_contribution(Contribution, ("engagement", check.label, count, points))
              for check, count, points, _ in engagement],
            *(disqualified.contributions if disqualified is not None else ()),
            *[_contribution(Contribution, ("fast_track", label, count, 0.0))
              for label, count in _fast_hits(model, fields[_FAST_COUNTS], fields[_FAST_INDEX])])
        return breakdown

    def breakdown_dicts(self, evaluation: Evaluation) -> list[dict[str, Any]]:
        """``evaluation``'s breakdown as JSON objects (new ones on each call), as ``to_dict`` shows it."""
        fields = evaluation._fields
        dicts = list(map(dict.copy, fields[_FIT].entries))
        counted = fields[_COUNTED]
        if counted:
            add = dicts.append
            checks = fields[_MODEL].engagement
            for index in sorted(counted) if len(counted) > 1 else counted:     # file order
                ages = counted[index]
                check = checks[index]
                count = len(ages)
                if count == 1:
                    add(check.singles[ages[0]][1].copy())
                    continue
                points = math.fsum(map(check.values.__getitem__, ages))
                if count < len(check.entries):
                    entry = check.entries[count].copy()
                    entry["points"] = json_points(points)
                    add(entry)
                else:
                    add({"kind": "engagement", "label": check.label, "count": count, "points": json_points(points)})
        disqualified = fields[_DISQUALIFIED]
        if disqualified is not None:
            dicts += map(dict.copy, disqualified.entries)
        fast_index = fields[_FAST_INDEX]
        if fast_index >= 0:
            dicts += [{"kind": "fast_track", "label": label, "count": count, "points": 0}
                      for label, count in _fast_hits(fields[_MODEL], fields[_FAST_COUNTS], fast_index)]
        return dicts


_RENDER = _Render()


def _engagement(model: Model, counted: dict[int, list[int]]) -> Engaged:
    """Per engagement rule that counts (file order): the rule, its count, its exact points, the ages."""
    checks = model.engagement
    engagement = []
    for index in sorted(counted) if len(counted) > 1 else counted:     # file order
        ages = counted[index]
        check = checks[index]
        if len(ages) == 1:
            # math.fsum of one value: that value (but -0.0 gives 0.0)
            engagement.append((check, 1, check.values[ages[0]] + 0.0, ages))
        else:
            engagement.append((check, len(ages), math.fsum(map(check.values.__getitem__, ages)), ages))
    return engagement


def _fast_hits(model: Model, counts: list[int] | None, fast_index: int) -> list[tuple[str, int]]:
    if fast_index < 0 or counts is None:
        return []
    return [(fast.label, counts[fast.index]) for fast in model.fast_track if counts[fast.index]]


def _basis(evaluation: Evaluation, basis: int) -> str:
    fields = evaluation._fields
    model = fields[_MODEL]
    if basis == _FAST_TRACK:
        fast_latest, fast_index = fields[_FAST_LATEST], fields[_FAST_INDEX]
        last = fast_latest[fast_index]
        if last.tzinfo is not UTC:
            last = last.astimezone(UTC)
        return fast_track_basis(model.fast_track[fast_index].label, last.date())
    if basis == _THRESHOLDS:
        assert model.mql is not None
        return thresholds_basis(model.mql, evaluation.fit, evaluation.engagement, evaluation.score)
    assert evaluation.mql_at is not None
    return kept_basis(evaluation.mql_at)
