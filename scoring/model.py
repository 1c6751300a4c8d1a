"""A tenant's scoring block compiled once into predicates and lookup tables: :func:`compile_model`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from config.models import Scoring, Thresholds
from scoring.predicates import Predicate, compile_condition
from scoring.records import Contribution, text_points

DEFAULT_REASON_MAX_LENGTH = 1000

UNLIMITED = 2**62

# The hot loop's view of a rule, as plain tuples (cheaper to unpack than attributes to read).
# test None: the rule has no `when` and matches every activity of its type.
EngagementSlot = tuple[int, int, "Predicate | None", float, "float | None"]   # index, limit, test, points, half-life
FastTrackSlot = tuple[int, int, "Predicate | None"]                            # index, within_days, test


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
    engagement = tuple(
        EngagementCheck(i, rule.label, compile_condition(rule.when), rule.points,
                        rule.max_count or UNLIMITED,
                        rule.half_life_days or default_half_life)
        for i, rule in enumerate(scoring.engagement))
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
        window_days=decay.window_days if decay else None,
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
        slots[0].append((check.index, check.limit, None if rule.when is None else check.test, check.points,
                         check.half_life_days))
    for fast_rule, fast in zip(scoring.fast_track, fast_track, strict=True):
        slots = table.setdefault(fast_rule.activity, ([], []))
        within = UNLIMITED if fast.within_days is None else fast.within_days
        slots[1].append((fast.index, within, None if fast_rule.when is None else fast.test))
    return {kind: (tuple(eng), tuple(fast)) for kind, (eng, fast) in table.items()}


def _limits(thresholds: Thresholds | None) -> Limits | None:
    if thresholds is None:
        return None
    return Limits(thresholds.fit_min, thresholds.engagement_min, thresholds.total_min)


def _whole(cap: tuple[float, float]) -> tuple[int, int]:
    """Caps as whole numbers inside the given range (scores are integers)."""
    low, high = math.ceil(cap[0]), math.floor(cap[1])
    return (low, max(low, high))
