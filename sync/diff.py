"""Content hashes over input fields, and the activities derived from HubSpot counter changes.

Pure functions: the store calls them while it stores a page. The input hash covers what scoring
reads (canonical fields, company link, object type) and never our own write-back values nor the
CRM's modified date, so our own writes echo back as "unchanged" (ARCHITECTURE.md, echo suppression).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from connectors.base import PersonRecord

# A single pull never derives more activities than this from one counter (a bot's 100,000 page views
# would otherwise become 100,000 rows; scoring rules cap counts far below this anyway).
MAX_DERIVED_PER_COUNTER = 1000

_COUNTED = (
    # counter, date counter, activity type, id prefix
    ("page_views", "last_visit_at", "page_view", "pv"),
    ("email_opens", "last_open_at", "email_open", "eo"),
    ("email_clicks", "last_click_at", "email_click", "ec"),
)


_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO text, decimals as floats, tuples as lists (for JSON columns)."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):         # plain values (most of them) without a call each
        return {k if type(k) is str else str(k): v if v is None or type(v) in _PLAIN else jsonable(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def _default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def digest(value: Any) -> str:
    """A 32-hex-digit hash of a JSON-able value, independent of key order."""
    blob = orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
                        | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z)
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def input_hash(person: PersonRecord, ignore: Collection[str] = ()) -> str:
    """What scoring reads of a person: fields, company link, object type. Not CRM values, not dates.

    ``ignore`` names canonical fields we write ourselves (the lifecycle stage, when no rule reads it).
    """
    fields = {k: v for k, v in person.fields.items() if k not in ignore} if ignore else person.fields
    return digest({"t": person.object_type, "f": fields, "c": person.company_id})


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_datetime(value: Any) -> datetime | None:
    """A datetime from a datetime, ISO text, a date, or epoch milliseconds; None when empty or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def parse_count(value: Any) -> int:
    """A counter value ("17", 17, 17.0, None) as an int; unreadable or empty counts as 0."""
    if value is None or value == "" or isinstance(value, bool):
        return 0
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class Derived:
    """One activity derived from a counter or conversion change; ``id`` is stable across pulls."""

    id: str
    person_id: str
    type: str
    at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


def derive_activities(person_id: str, old: Mapping[str, Any] | None, new: Mapping[str, Any],
                      fallback_at: datetime) -> list[Derived]:
    """Activities meant by the change from ``old`` to ``new`` counters (``old`` None: first pull).

    A rise of a counter from n to m yields activities numbered n+1..m (ids ``pv:<person>:<k>``), so a
    re-pull of the same values, or a crash before the page was stored, never counts one twice. A new
    first or recent conversion is one ``form_submission`` named after the conversion event, with an
    id made of its name and date: when the first and the recent conversion are the same event it
    counts once.
    """
    if not new:
        return []
    before = old or {}
    out: list[Derived] = []
    for counter, date_key, kind, prefix in _COUNTED:
        low, high = parse_count(before.get(counter)), parse_count(new.get(counter))
        if high <= low:
            continue
        at = parse_datetime(new.get(date_key)) or fallback_at
        start = max(low, high - MAX_DERIVED_PER_COUNTER)
        out += [Derived(f"{prefix}:{person_id}:{k}", person_id, kind, at) for k in range(start + 1, high + 1)]
    known = {_conversion_id(person_id, before, which) for which in ("first", "recent")}
    seen: set[str] = set()
    for which in ("first", "recent"):
        cid = _conversion_id(person_id, new, which)
        if cid is None or cid in known or cid in seen:
            continue
        seen.add(cid)
        when = parse_datetime(new.get(f"{which}_conversion_at"))
        name = new.get(f"{which}_conversion_name") or ""
        out.append(Derived(cid, person_id, "form_submission", when or fallback_at, {"form": str(name)}))
    return out


def _conversion_id(person_id: str, counters: Mapping[str, Any], which: str) -> str | None:
    at = parse_datetime(counters.get(f"{which}_conversion_at"))
    name = counters.get(f"{which}_conversion_name")
    if at is None and not name:
        return None
    stamp = at.isoformat() if at else ""
    return f"cv:{person_id}:{digest([str(name or ''), stamp])[:16]}"
