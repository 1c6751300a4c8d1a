"""A tenant's scoring block compiled once into predicates and lookup tables: :func:`compile_model`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple

from config.models import Scoring, Thresholds
from scoring.predicates import Predicate, compile_condition
from scoring.reason import disqualified_basis, join_reason
from scoring.records import Contribution, json_points, round_half_away, text_points

DEFAULT_REASON_MAX_LENGTH = 1000

UNLIMITED = 2**62

# Decayed values are looked up by age (whole days) up to this many days, computed beyond.
VALUE_TABLE_DAYS = 4000

# The hot loop's view of a rule, as plain tuples (cheaper to unpack than attributes to read).
# test None: the rule has no `when` and matches every activity of its type.
EngagementSlot = tuple[int, "Predicate | None"]              # index, test
FastTrackSlot = tuple[int, int, "Predicate | None"]          # index, within_days, test
RuleTest = tuple[int, Predicate]                             # bit (1 << file position), test

# Combinations of matching fit (or disqualify) rules whose outcome a model keeps (the first ones seen);
# others are worked out each time.
COMBINATIONS_KEPT = 4096

# An engagement rule's reason piece up to this count is a prepared prefix ("Pricing page visit x3 ").
PREFIX_COUNTS = 64


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


class SinglePieces(dict[int, tuple[str, dict[str, Any]]]):
    """age in days -> the reason piece (``"Meeting +7.7"``) and the breakdown entry in JSON (a template:
    copied for each output) of an engagement rule that one activity of that age matched (its points are
    ``values[age]``): worked out on first use, kept for the ages of the value table."""

    __slots__ = ("days", "label", "worth")

    def __init__(self, label: str, worth: ValueTable, days: int) -> None:
        super().__init__()
        self.label = label
        self.worth = worth
        self.days = days

    def __missing__(self, age: int) -> tuple[str, dict[str, Any]]:
        points = self.worth[age]
        single = (f"{self.label} {text_points(points)}",
                  {"kind": "engagement", "label": self.label, "count": 1, "points": json_points(points)})
        if age <= self.days:
            self[age] = single
        return single


@dataclass(frozen=True, slots=True)
class FitCheck:
    label: str
    test: Predicate
    points: float
    contribution: Contribution      # built once: a fit rule always contributes the same
    piece: str                      # its part of the reason, e.g. "Senior title +15"
    rank: int                       # its place in the reason: largest points first, ties in file order
    entry: dict[str, Any]           # its breakdown entry in JSON (copied for each output, never handed out)


@dataclass(frozen=True, slots=True)
class DisqualifyCheck:
    label: str
    test: Predicate
    contribution: Contribution
    entry: dict[str, Any]           # its breakdown entry in JSON (copied for each output, never handed out)


@dataclass(frozen=True, slots=True)
class EngagementCheck:
    index: int                        # position among the engagement rules (file order)
    label: str
    test: Predicate
    points: float
    limit: int                        # max_count, or UNLIMITED
    half_life_days: float | None      # the rule's own, else the model's; None: no decay
    values: ValueTable                # values[age]: one matching activity's worth at that age
    prefixes: tuple[str, ...]         # prefixes[count]: its reason piece before the points ("Visit x3 ")
    singles: SinglePieces             # singles[age]: reason piece and JSON entry when one activity counts
    entries: tuple[dict[str, Any], ...]   # entries[count]: its JSON entry without the points (a template)

    def prefix(self, count: int) -> str:
        """``"Visit "`` for one matching activity, ``"Visit x3 "`` for three."""
        if count < len(self.prefixes):
            return self.prefixes[count]
        return f"{self.label} x{count} "


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


class FitOutcome(NamedTuple):
    """What a set of matching fit rules makes: the (rounded, clamped) fit, its grade, the fit section of
    the reason (``""`` when no rule matched) and the rules' breakdown entries (file order)."""

    fit: int
    grade: str | None
    text: str
    contributions: tuple[Contribution, ...]
    entries: tuple[dict[str, Any], ...]       # JSON templates: copied for each output


class DisqualifyOutcome(NamedTuple):
    """What a set of matching disqualify rules makes: the whole reason (the basis alone, cut to length)
    and the breakdown entries (file order)."""

    reason: str
    contributions: tuple[Contribution, ...]
    entries: tuple[dict[str, Any], ...]       # JSON templates: copied for each output


_RANK = attrgetter("rank")


class FitOutcomes(dict[int, FitOutcome]):
    """matching fit rules (bit ``1 << i`` for the i-th rule in file order) -> :class:`FitOutcome`, worked
    out on first use; the first :data:`COMBINATIONS_KEPT` combinations are kept."""

    __slots__ = ("caps", "checks", "grades")

    def __init__(self, checks: tuple[FitCheck, ...], caps: tuple[int, int],
                 grades: tuple[tuple[str, float], ...]) -> None:
        super().__init__()
        self.checks = checks
        self.caps = caps
        self.grades = grades

    def __missing__(self, mask: int) -> FitOutcome:
        matched = [check for i, check in enumerate(self.checks) if mask >> i & 1]
        fit = round_half_away(math.fsum([check.points for check in matched])) if matched else 0
        low, high = self.caps
        fit = low if fit < low else high if fit > high else fit
        grade = None
        if self.grades:
            grade = next((letter for letter, threshold in self.grades if fit >= threshold), "D")
        text = ""
        if matched:
            text = f"Fit {fit}: {', '.join([check.piece for check in sorted(matched, key=_RANK)])}."
        outcome = FitOutcome(fit, grade, text, tuple(check.contribution for check in matched),
                             tuple(check.entry for check in matched))
        if len(self) < COMBINATIONS_KEPT:
            self[mask] = outcome
        return outcome


class DisqualifyOutcomes(dict[int, DisqualifyOutcome]):
    """matching disqualify rules (bit ``1 << i``, file order; never 0) -> :class:`DisqualifyOutcome`, worked
    out on first use; the first :data:`COMBINATIONS_KEPT` combinations are kept."""

    __slots__ = ("checks", "reason_max_length")

    def __init__(self, checks: tuple[DisqualifyCheck, ...], reason_max_length: int) -> None:
        super().__init__()
        self.checks = checks
        self.reason_max_length = reason_max_length

    def __missing__(self, mask: int) -> DisqualifyOutcome:
        matched = [check for i, check in enumerate(self.checks) if mask >> i & 1]
        reason = join_reason((disqualified_basis([check.label for check in matched]),), self.reason_max_length)
        outcome = DisqualifyOutcome(reason, tuple(check.contribution for check in matched),
                                    tuple(check.entry for check in matched))
        if len(self) < COMBINATIONS_KEPT:
            self[mask] = outcome
        return outcome


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
    # the hot path's view of the fit and disqualify rules: (bit, test) per rule, and the outcome per
    # combination of matching rules
    fit_tests: tuple[RuleTest, ...] = field(compare=False, repr=False)
    fit_outcomes: FitOutcomes = field(compare=False, repr=False)
    disqualify_tests: tuple[RuleTest, ...] = field(compare=False, repr=False)
    disqualify_outcomes: DisqualifyOutcomes = field(compare=False, repr=False)
    # mql and engaged as minimum fit, engagement and score (-inf where not given): every one holds
    mql_minimums: tuple[float, float, float] | None = field(compare=False, repr=False)
    engaged_minimums: tuple[float, float, float] | None = field(compare=False, repr=False)


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
                        rule.max_count or UNLIMITED, half_life, values, _prefixes(rule.label, rule.max_count),
                        SinglePieces(rule.label, values, table_days), _entries(rule.label, rule.max_count))
        for i, rule in enumerate(scoring.engagement)
        for half_life in (rule.half_life_days or default_half_life,)
        for values in (ValueTable(rule.points, half_life, table_days),))
    fast_track = tuple(FastTrackCheck(i, rule.label, compile_condition(rule.when), rule.within_days)
                       for i, rule in enumerate(scoring.fast_track))
    fit = _fit_checks(scoring)
    disqualify = tuple(DisqualifyCheck(rule.label, compile_condition(rule.when),
                                       Contribution("disqualify", rule.label, 1, 0.0),
                                       {"kind": "disqualify", "label": rule.label, "count": 1, "points": 0})
                       for rule in scoring.disqualify)
    fit_caps = _whole(scoring.caps.fit)
    grades = tuple(sorted((scoring.grades or {}).items(), key=lambda item: item[1], reverse=True))
    return Model(
        version=scoring.fingerprint(),
        scoring=scoring,
        fit=fit,
        disqualify=disqualify,
        engagement=engagement,
        fast_track=fast_track,
        by_type=_by_type(scoring, engagement, fast_track),
        engagement_values=tuple((check.limit, check.values.__getitem__) for check in engagement),
        window_days=window_days,
        mql=_limits(scoring.mql),
        engaged=_limits(scoring.engaged),
        grades=grades,
        fit_caps=fit_caps,
        engagement_caps=_whole(scoring.caps.engagement),
        reason_max_length=reason_max_length,
        fit_tests=tuple((1 << i, check.test) for i, check in enumerate(fit)),
        fit_outcomes=FitOutcomes(fit, fit_caps, grades),
        disqualify_tests=tuple((1 << i, check.test) for i, check in enumerate(disqualify)),
        disqualify_outcomes=DisqualifyOutcomes(disqualify, reason_max_length),
        mql_minimums=_minimums(scoring.mql),
        engaged_minimums=_minimums(scoring.engaged),
    )


def _fit_checks(scoring: Scoring) -> tuple[FitCheck, ...]:
    order = sorted(range(len(scoring.fit)), key=lambda i: -scoring.fit[i].points)
    rank = {index: place for place, index in enumerate(order)}
    return tuple(FitCheck(rule.label, compile_condition(rule.when), rule.points,
                          Contribution("fit", rule.label, 1, rule.points), f"{rule.label} {text_points(rule.points)}",
                          rank[i], {"kind": "fit", "label": rule.label, "count": 1, "points": json_points(rule.points)})
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


def _entries(label: str, max_count: int | None) -> tuple[dict[str, Any], ...]:
    """An engagement rule's breakdown entries by count (as :func:`_prefixes`), points to be set."""
    last = PREFIX_COUNTS if max_count is None else min(max_count, PREFIX_COUNTS)
    return tuple({"kind": "engagement", "label": label, "count": count, "points": 0} for count in range(last + 1))


def _prefixes(label: str, max_count: int | None) -> tuple[str, ...]:
    """An engagement rule's reason prefixes by count: ``""`` (0, unused), ``"Visit "``, ``"Visit x2 "`` ..."""
    last = PREFIX_COUNTS if max_count is None else min(max_count, PREFIX_COUNTS)
    return ("", f"{label} ", *[f"{label} x{count} " for count in range(2, last + 1)])


def _decayed(points: float, half_life_days: float | None, age: int) -> float:
    """CONTRACT.md section 2: ``points * 0.5 ** (age_days / half_life_days)`` in double precision."""
    return points if half_life_days is None else points * 0.5 ** (age / half_life_days)


def _limits(thresholds: Thresholds | None) -> Limits | None:
    if thresholds is None:
        return None
    return Limits(thresholds.fit_min, thresholds.engagement_min, thresholds.total_min)


def _minimums(thresholds: Thresholds | None) -> tuple[float, float, float] | None:
    if thresholds is None:
        return None
    return tuple(-math.inf if value is None else value    # type: ignore[return-value]
                 for value in (thresholds.fit_min, thresholds.engagement_min, thresholds.total_min))


def _whole(cap: tuple[float, float]) -> tuple[int, int]:
    """Caps as whole numbers inside the given range (scores are integers)."""
    low, high = math.ceil(cap[0]), math.floor(cap[1])
    return (low, max(low, high))
