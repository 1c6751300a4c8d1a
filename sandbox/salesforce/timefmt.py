"""Datetimes in the storage domain (epoch seconds, epoch days) and on Salesforce's wire."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_EPOCH_DATE = date(1970, 1, 1)
DATETIME_LITERAL = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})")
DATE_LITERAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def epoch_seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def epoch_days(day: date) -> int:
    return (day - _EPOCH_DATE).days


def day_of(seconds: int) -> int:
    return seconds // 86400


def format_datetime(seconds: int) -> str:
    """REST JSON form: ``2024-01-03T23:52:01.000+0000``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def format_datetime_bulk(seconds: int) -> str:
    """Bulk API CSV form: ``2024-01-03T23:52:01.000Z``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def format_date(days: int) -> str:
    return (_EPOCH_DATE + timedelta(days=days)).isoformat()


def parse_datetime(text: str) -> int | None:
    """Epoch seconds of a SOQL/REST datetime (fraction truncated), or None when it is not one."""
    match = DATETIME_LITERAL.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    zone = match.group(8)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return epoch_seconds(moment)


def parse_date(text: str) -> int | None:
    match = DATE_LITERAL.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return epoch_days(date(*(int(g) for g in match.groups())))
    except ValueError:
        return None
