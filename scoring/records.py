"""The values the scoring engine takes and gives: activities, previous state, evaluations.

All are frozen dataclasses with slots. :class:`Evaluation.to_dict` is the JSON object that
``crmsync score`` prints (CONTRACT.md section 4), keys in the contract's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, NamedTuple

ContributionKind = Literal["fit", "engagement", "disqualify", "fast_track"]


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing a person did: a type from CONTRACT.md section 3, when (UTC), and its attributes.

    A naive ``at`` is read as UTC. ``id`` de-duplicates activities (never their content).
    """

    type: str
    at: datetime
    attributes: Mapping[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Previous:
    """What the last evaluation stored: needed for sticky MQL status and the first ``mql_at``."""

    status: str | None
    mql_at: date | None


class Contribution(NamedTuple):
    """One rule that held. ``points`` is exact (decayed, unrounded); 0 for disqualify and fast-track.

    A named tuple (immutable, and cheap to build: an evaluation makes several)."""

    kind: ContributionKind
    label: str
    count: int  # type: ignore[assignment]  # shadows tuple.count on purpose: the field is the API
    points: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "count": self.count, "points": json_points(self.points)}


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outputs for one person. ``kept`` is true when the status is MQL only by stickiness."""

    fit: int
    engagement: int
    score: int
    grade: str | None
    status: str
    mql_at: date | None
    mql_reason: str
    breakdown: tuple[Contribution, ...]
    kept: bool = False

    def to_dict(self, person_id: Any = None) -> dict[str, Any]:
        """The ``crmsync score`` output object: id, fit, engagement, score, grade, status, mql_at,
        mql_reason, breakdown."""
        return {
            "id": person_id,
            "fit": self.fit,
            "engagement": self.engagement,
            "score": self.score,
            "grade": self.grade,
            "status": self.status,
            "mql_at": None if self.mql_at is None else self.mql_at.isoformat(),
            "mql_reason": self.mql_reason,
            "breakdown": [c.to_dict() for c in self.breakdown],
        }


def round_half_away(value: float) -> int:
    """Round to the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    if value < 0:
        return -round_half_away(-value)
    whole = int(value)          # floor for value >= 0; value - whole is exact below 2**52
    return whole + 1 if value - whole >= 0.5 else whole


def round_places(value: float, places: int) -> float:
    """Round half away from zero to ``places`` decimals, as a person reading the value's shortest decimal
    text expects (2.675 -> 2.68). Exact: near a tie it decides on that decimal text."""
    scale = float(10**places)
    scaled = abs(value) * scale
    whole = int(scaled)
    rest = scaled - whole
    if abs(rest - 0.5) > 1e-6:
        out = (whole + 1 if rest > 0.5 else whole) / scale
    else:
        quantum = Decimal(1).scaleb(-places)
        out = float(Decimal(repr(abs(value))).quantize(quantum, rounding=ROUND_HALF_UP))
    return -out if value < 0 else out


def json_points(value: float) -> int | float:
    """Points as shown in JSON: two decimals, whole numbers without ``.0``."""
    if value.is_integer():
        return int(value)
    rounded = round_places(value, 2)
    return int(rounded) if rounded.is_integer() else rounded


def text_points(value: float) -> str:
    """Points as shown in a reason: a sign, one decimal, whole numbers without ``.0`` (``+24``, ``-5``,
    ``+7.5``); halves of a tenth away from zero (as :func:`round_places`)."""
    if value.is_integer():
        return f"+{int(value)}" if value >= 0 else str(int(value))
    scaled = abs(value) * 10.0
    tenths = int(scaled)
    rest = scaled - tenths
    if abs(rest - 0.5) > 1e-6:
        tenths += rest > 0.5
    else:
        tenths = round_half_away(round_places(abs(value), 1) * 10.0)
    if tenths == 0:
        return "+0"
    whole, tenth = divmod(tenths, 10)
    body = f"{whole}.{tenth}" if tenth else str(whole)
    return f"+{body}" if value > 0 else f"-{body}"
