"""The values the scoring engine takes and gives: activities, previous state, evaluations.

All are frozen dataclasses with slots. :class:`Evaluation.to_dict` is the JSON object that
``crmsync score`` prints (CONTRACT.md section 4), keys in the contract's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError, dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, NamedTuple, Protocol

ContributionKind = Literal["fit", "engagement", "disqualify", "fast_track"]


class Activity(NamedTuple):
    """One thing a person did: a type from CONTRACT.md section 3, when (UTC), and its attributes.

    A naive ``at`` is read as UTC. ``id`` de-duplicates activities (never their content).

    A named tuple, like :class:`Contribution`: immutable, and cheap to build (a person has many) and to
    read (the engine unpacks it).
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


class Renderer(Protocol):
    """Renders a deferred evaluation's reason and breakdown on demand (the engine's deferred part), from the
    state the evaluation carries (its fields after the renderer), and keeps them (in that state)."""

    def reason(self, evaluation: Evaluation) -> str: ...

    def breakdown(self, evaluation: Evaluation) -> tuple[Contribution, ...]: ...

    def breakdown_dicts(self, evaluation: Evaluation) -> list[dict[str, Any]]: ...

    def outputs(self, evaluation: Evaluation) -> tuple[str, list[dict[str, Any]]]: ...


_NAMES = ("fit", "engagement", "score", "grade", "status", "mql_at", "mql_reason", "breakdown", "kept")
_REASON, _BREAKDOWN, _KEPT, _RENDERER = 6, 7, 8, 9
_set = object.__setattr__
_new = object.__new__


class Evaluation:
    """The outputs for one person. ``kept`` is true when the status is MQL only by stickiness.

    Immutable; compared, hashed and shown by its fields like a frozen dataclass. The ``mql_reason`` and
    ``breakdown`` of an evaluation made by :func:`scoring.evaluate` are rendered when first read (then
    kept), from the same evaluation that produced the numbers: a caller that reads only the numbers and
    the status does not pay for the text.
    """

    __slots__ = ("_fields",)
    __match_args__ = ("fit", "engagement", "score", "grade", "status", "mql_at", "mql_reason", "breakdown", "kept")

    # fit, engagement, score, grade, status, mql_at, mql_reason, breakdown, kept, renderer, then the
    # renderer's state; reason and breakdown are None when the renderer makes them (and keeps them).
    _fields: tuple[Any, ...]

    def __init__(self, fit: int, engagement: int, score: int, grade: str | None, status: str, mql_at: date | None,
                 mql_reason: str, breakdown: tuple[Contribution, ...], kept: bool = False) -> None:
        _set(self, "_fields", (fit, engagement, score, grade, status, mql_at, mql_reason, breakdown, kept, None))

    @classmethod
    def deferred(cls, fit: int, engagement: int, score: int, grade: str | None, status: str, mql_at: date | None,
                 kept: bool, renderer: Renderer, *state: Any) -> Evaluation:
        """An evaluation whose reason and breakdown ``renderer`` makes from ``state`` when first read."""
        self = _new(cls)
        _set(self, "_fields", (fit, engagement, score, grade, status, mql_at, None, None, kept, renderer, *state))
        return self

    @property
    def fit(self) -> int:
        return self._fields[0]  # type: ignore[no-any-return]

    @property
    def engagement(self) -> int:
        return self._fields[1]  # type: ignore[no-any-return]

    @property
    def score(self) -> int:
        return self._fields[2]  # type: ignore[no-any-return]

    @property
    def grade(self) -> str | None:
        return self._fields[3]  # type: ignore[no-any-return]

    @property
    def status(self) -> str:
        return self._fields[4]  # type: ignore[no-any-return]

    @property
    def mql_at(self) -> date | None:
        return self._fields[5]  # type: ignore[no-any-return]

    @property
    def mql_reason(self) -> str:
        fields = self._fields
        reason = fields[_REASON]
        return fields[_RENDERER].reason(self) if reason is None else reason  # type: ignore[no-any-return]

    @property
    def breakdown(self) -> tuple[Contribution, ...]:
        fields = self._fields
        breakdown = fields[_BREAKDOWN]
        return fields[_RENDERER].breakdown(self) if breakdown is None else breakdown  # type: ignore[no-any-return]

    @property
    def kept(self) -> bool:
        return self._fields[_KEPT]  # type: ignore[no-any-return]

    def breakdown_dicts(self) -> list[dict[str, Any]]:
        """The breakdown as :meth:`to_dict` shows it (JSON objects: kind, label, count, points), new on each
        call; cheaper than ``to_dict()["breakdown"]``."""
        fields = self._fields
        renderer = fields[_RENDERER]
        if renderer is not None:
            return renderer.breakdown_dicts(self)  # type: ignore[no-any-return]
        return [{"kind": kind, "label": label, "count": count, "points": json_points(points)}
                for kind, label, count, points in fields[_BREAKDOWN]]

    def _values(self) -> tuple[Any, ...]:
        fields = self._fields
        renderer = fields[_RENDERER]
        if renderer is not None:
            return (*fields[:_REASON], renderer.reason(self), renderer.breakdown(self), fields[_KEPT])
        return fields[:_RENDERER]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Evaluation)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(_NAMES, self._values(), strict=True))
        return f"Evaluation({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Evaluation, self._values())

    def to_dict(self, person_id: Any = None) -> dict[str, Any]:
        """The ``crmsync score`` output object: id, fit, engagement, score, grade, status, mql_at,
        mql_reason, breakdown."""
        fields = self._fields
        renderer = fields[_RENDERER]
        if renderer is not None:
            reason, dicts = renderer.outputs(self)
        else:
            reason = fields[_REASON]
            dicts = [{"kind": kind, "label": label, "count": count, "points": json_points(points)}
                     for kind, label, count, points in fields[_BREAKDOWN]]
        mql_at = fields[5]
        return {
            "id": person_id,
            "fit": fields[0],
            "engagement": fields[1],
            "score": fields[2],
            "grade": fields[3],
            "status": fields[4],
            "mql_at": None if mql_at is None else mql_at.isoformat(),
            "mql_reason": reason,
            "breakdown": dicts,
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
    scaled = value * 100.0 if value > 0 else value * -100.0
    if not scaled < _EXACT_HUNDREDTHS:
        return _json_points_large(value)
    # round_places(value, 2) inlined for the usual case (not within 1e-6 of a tie); whole numbers take
    # this way too (scaled is exact, and so a multiple of 100)
    hundredths = int(scaled)
    near = scaled - hundredths - 0.5
    if near > 1e-6:
        hundredths += 1
    elif near >= -1e-6:
        rounded = round_places(value, 2)
        return int(rounded) if rounded.is_integer() else rounded
    if not hundredths % 100:        # a whole number: as an int
        return hundredths // 100 if value > 0 else -(hundredths // 100)
    return hundredths / 100.0 if value > 0 else hundredths / -100.0


# Below this many hundredths, a whole number of points times 100 is exact, and n / 100.0 is a whole number
# exactly when n is a multiple of 100 (the gap between doubles there is far below 0.01).
_EXACT_HUNDREDTHS = float(2**46)


def _json_points_large(value: float) -> int | float:
    """json_points for 2**46 hundredths and more (and NaN, infinities: as before, they raise)."""
    if value.is_integer():
        return int(value)
    rounded = round_places(value, 2)
    return int(rounded) if rounded.is_integer() else rounded


# tenths -> "+14.5", "+3" (no ".0") and "-14.5", "-3": formatting two integers costs more than the rest of
# text_points
_TENTHS = tuple(f"{tenths // 10}.{tenths % 10}" if tenths % 10 else str(tenths // 10) for tenths in range(2000))
_PLUS_TENTHS = tuple("+" + text for text in _TENTHS)
_MINUS_TENTHS = tuple("-" + text for text in _TENTHS)


def text_points(value: float) -> str:
    """Points as shown in a reason: a sign, one decimal, whole numbers without ``.0`` (``+24``, ``-5``,
    ``+7.5``); halves of a tenth away from zero (as :func:`round_places`)."""
    scaled = value * 10.0 if value > 0 else value * -10.0
    if not scaled < 1999.0:
        return _text_points_large(value)
    # below 199.9 points, whole numbers too take this way (scaled is exact: a multiple of 10)
    tenths = int(scaled)
    near = scaled - tenths - 0.5
    if near > 1e-6:
        tenths += 1
    elif near >= -1e-6:
        tenths = round_half_away(round_places(abs(value), 1) * 10.0)
    if not tenths:
        return "+0"
    return _PLUS_TENTHS[tenths] if value > 0 else _MINUS_TENTHS[tenths]


def _text_points_large(value: float) -> str:
    """text_points from 199.9 points up (and NaN, infinities: as before, they raise)."""
    if value.is_integer():
        return f"+{int(value)}" if value >= 0 else str(int(value))
    scaled = abs(value) * 10.0
    tenths = int(scaled)
    near = scaled - tenths - 0.5
    if near > 1e-6:
        tenths += 1
    elif near >= -1e-6:
        tenths = round_half_away(round_places(abs(value), 1) * 10.0)
    if tenths < len(_TENTHS):
        return (_PLUS_TENTHS if value > 0 else _MINUS_TENTHS)[tenths]
    whole, tenth = divmod(tenths, 10)
    if value > 0:
        return f"+{whole}.{tenth}" if tenth else f"+{whole}"
    return f"-{whole}.{tenth}" if tenth else f"-{whole}"
