"""A tenant's scoring block compiled once into predicates and lookup tables: :func:`compile_model`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from config.models import Scoring, Thresholds
from scoring.predicates import Predicate, compile_condition
from scoring.records import Contribution, text_points

DEFAULT_REASON_MAX_LENGTH = 1000

UNLIMITED = 2**62

# Decayed values are looked up by age (whole days) up to this many days, computed beyond.
VALUE_TABLE_DAYS = 4000

# The hot loop's view of a rule, as plain tuples (cheaper to unpack than attributes to read).
# test None: the rule has no `when` and matches every activity of its type.
EngagementSlot = tuple[int, "Predicate | None"]              # index, test
FastTrackSlot = tuple[int, int, "Predicate | None"]          # index, within_days, test


class ValueTable(dict[int, float]):
    """age in days -> one matching activity's worth, ``points * 0.5 ** (age / half_life_days)`` (CONTRACT.md
    section 2, double precision): looked up for the usual ages, computed (not kept) for older ones."""

    __slots__ = ("half_life_days", "points")

    def __init__(self, points: float, half_life_days: float | None, days: int) -> None:
        super().__init__((age, _decayed(points, half_life_days, age)) for age in range(days + 1))
        self.points = points
        self.half_life_days = half_life_days

    def __missing__(self, age: int) -> float:
        return _decayed(self.points, self.half_life_days, age)


@dataclass(frozen=True, slots=True)
class FitCheck:
    label: str
    test: Predicate
    points: float
    contribution: Contribution      # built once: a fit rule always contributes the same
    piece: str                      # its part of the reason, e.g. "Senior title +15"
    rank: int                       # its place in the reason: largest points first, ties in file order


@dataclass(frozen=True, slots=True)
class DisqualifyCheck:
    label: str
    test: Predicate
    contribution: Contribution


@dataclass(frozen=True, slots=True)
class EngagementCheck:
    index: int                        # position among the engagement rules (file order)
    label: str
    test: Predicate
    points: float
    limit: int                        # max_count, or UNLIMITED
    half_life_days: float | None      # the rule's own, else the model's; None: no decay
    values: ValueTable                # values[age]: one matching activity's worth at that age


@dataclass(frozen=True, slots=True)
class FastTrackCheck:
    index: int
    label: str
    test: Predicate
    within_days: int | None


@dataclass(frozen=True, slots=True)
class Limits:
    """Thresholds as plain numbers (``None``: not given)."""

    fit_min: float | None
    engagement_min: float | None
    total_min: float | None

    def hold(self, fit: int, engagement: int, score: int) -> bool:
        return ((self.fit_min is None or fit >= self.fit_min)
                and (self.engagement_min is None or engagement >= self.engagement_min)
                and (self.total_min is None or score >= self.total_min))


@dataclass(frozen=True, slots=True)
class Model:
    """A compiled scoring model. ``version`` is the tenant's ``Scoring.fingerprint()``."""

    version: str
    scoring: Scoring
    fit: tuple[FitCheck, ...]
    disqualify: tuple[DisqualifyCheck, ...]
    engagement: tuple[EngagementCheck, ...]
    fast_track: tuple[FastTrackCheck, ...]
    by_type: dict[str, tuple[tuple[EngagementSlot, ...], tuple[FastTrackSlot, ...]]]   # activity type ->
    engagement_values: tuple[tuple[int, Callable[[int], float]], ...]     # per engagement rule: limit, worth
    window_days: int | None
    mql: Limits | None
    engaged: Limits | None
    grades: tuple[tuple[str, float], ...]      # highest letter first; empty: no grades
    fit_caps: tuple[int, int]
    engagement_caps: tuple[int, int]
    reason_max_length: int


def compile_model(scoring: Scoring, reason_max_length: int = DEFAULT_REASON_MAX_LENGTH) -> Model:
    """Compile ``scoring`` once per tenant; apply the result to many people with ``evaluate``."""
    if reason_max_length < 2:
        raise ValueError(f"reason_max_length must be at least 2, got {reason_max_length}")
    decay = scoring.decay
    default_half_life = decay.half_life_days if decay else None
    window_days = decay.window_days if decay else None
    table_days = VALUE_TABLE_DAYS if window_days is None else min(window_days, VALUE_TABLE_DAYS)
    engagement = tuple(
        EngagementCheck(i, rule.label, compile_condition(rule.when), rule.points,
                        rule.max_count or UNLIMITED, half_life,
                        ValueTable(rule.points, half_life, table_days))
        for i, rule in enumerate(scoring.engagement)
        for half_life in (rule.half_life_days or default_half_life,))
    fast_track = tuple(FastTrackCheck(i, rule.label, compile_condition(rule.when), rule.within_days)
                       for i, rule in enumerate(scoring.fast_track))
    return Model(
        version=scoring.fingerprint(),
        scoring=scoring,
        fit=_fit_checks(scoring),
        disqualify=tuple(DisqualifyCheck(rule.label, compile_condition(rule.when),
                                         Contribution("disqualify", rule.label, 1, 0.0))
                         for rule in scoring.disqualify),
        engagement=engagement,
        fast_track=fast_track,
        by_type=_by_type(scoring, engagement, fast_track),
        engagement_values=tuple((check.limit, check.values.__getitem__) for check in engagement),
        window_days=window_days,
        mql=_limits(scoring.mql),
        engaged=_limits(scoring.engaged),
        grades=tuple(sorted((scoring.grades or {}).items(), key=lambda item: item[1], reverse=True)),
        fit_caps=_whole(scoring.caps.fit),
        engagement_caps=_whole(scoring.caps.engagement),
        reason_max_length=reason_max_length,
    )


def _fit_checks(scoring: Scoring) -> tuple[FitCheck, ...]:
    order = sorted(range(len(scoring.fit)), key=lambda i: -scoring.fit[i].points)
    rank = {index: place for place, index in enumerate(order)}
    return tuple(FitCheck(rule.label, compile_condition(rule.when), rule.points,
                          Contribution("fit", rule.label, 1, rule.points), f"{rule.label} {text_points(rule.points)}",
                          rank[i])
                 for i, rule in enumerate(scoring.fit))


def _by_type(scoring: Scoring, engagement: tuple[EngagementCheck, ...], fast_track: tuple[FastTrackCheck, ...],
             ) -> dict[str, tuple[tuple[EngagementSlot, ...], tuple[FastTrackSlot, ...]]]:
    """Activity type -> the engagement and fast-track rules that read it (file order)."""
    table: dict[str, tuple[list[EngagementSlot], list[FastTrackSlot]]] = {}
    for rule, check in zip(scoring.engagement, engagement, strict=True):
        slots = table.setdefault(rule.activity, ([], []))
        slots[0].append((check.index, None if rule.when is None else check.test))
    for fast_rule, fast in zip(scoring.fast_track, fast_track, strict=True):
        slots = table.setdefault(fast_rule.activity, ([], []))
        within = UNLIMITED if fast.within_days is None else fast.within_days
        slots[1].append((fast.index, within, None if fast_rule.when is None else fast.test))
    return {kind: (tuple(eng), tuple(fast)) for kind, (eng, fast) in table.items()}


def _decayed(points: float, half_life_days: float | None, age: int) -> float:
    """CONTRACT.md section 2: ``points * 0.5 ** (age_days / half_life_days)`` in double precision."""
    return points if half_life_days is None else points * 0.5 ** (age / half_life_days)


def _limits(thresholds: Thresholds | None) -> Limits | None:
    if thresholds is None:
        return None
    return Limits(thresholds.fit_min, thresholds.engagement_min, thresholds.total_min)


def _whole(cap: tuple[float, float]) -> tuple[int, int]:
    """Caps as whole numbers inside the given range (scores are integers)."""
    low, high = math.ceil(cap[0]), math.floor(cap[1])
    return (low, max(low, high))
