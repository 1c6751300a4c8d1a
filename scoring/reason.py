"""The MQL reason text: basis first, then the contributions, largest first, cut to a maximum length.

The fit section and a disqualified person's reason are prepared per combination of matching rules
(``scoring.model.FitOutcomes``, ``DisqualifyOutcomes``), the engagement section from per-rule prefixes
(``scoring.engine``); the pieces here are the sentences that depend on the person.

Format (CONTRACT.md section 2), sentences joined by one space::

    Fast-track: Demo request (2026-11-02).
    Thresholds met: fit 35 >= 20, engagement 38 >= 30.
    Kept as MQL since 2026-10-01 (thresholds no longer met).
    Disqualified: Student or intern.
    Fit 35: Senior title +15, Software +10.
    Engagement 38: Pricing page visit x3 +24, Webinar attended +14.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:       # scoring.model prepares reason pieces with this module
    from scoring.model import Limits

ELLIPSIS = "\u2026"


def fast_track_basis(label: str, last: date) -> str:
    return f"Fast-track: {label} ({last.isoformat()})."


def thresholds_basis(limits: Limits, fit: int, engagement: int, score: int) -> str:
    parts = []
    if limits.fit_min is not None:
        parts.append(f"fit {fit} >= {plain_number(limits.fit_min)}")
    if limits.engagement_min is not None:
        parts.append(f"engagement {engagement} >= {plain_number(limits.engagement_min)}")
    if limits.total_min is not None:
        parts.append(f"score {score} >= {plain_number(limits.total_min)}")
    return f"Thresholds met: {', '.join(parts)}."


def kept_basis(since: date) -> str:
    return f"Kept as MQL since {since.isoformat()} (thresholds no longer met)."


def disqualified_basis(labels: Sequence[str]) -> str:
    return f"Disqualified: {', '.join(labels)}."


def join_reason(parts: Sequence[str], max_length: int) -> str:
    """Non-empty parts joined by spaces, cut to ``max_length`` characters with an ellipsis."""
    text = " ".join([part for part in parts if part])
    if len(text) <= max_length:
        return text
    return text[: max_length - 1].rstrip() + ELLIPSIS


def plain_number(value: float) -> str:
    """``20`` for 20.0, ``7.5`` for 7.5."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))

