"""``crmsync score``: score people from JSONL without any CRM (CONTRACT.md section 4).

Input, one JSON object a line (blank lines are skipped)::

    {"id": "p1", "fields": {...}, "company": {...}, "activities": [{"type": "page_view",
     "at": "2026-11-02T14:30:00Z", "id": "a1", "url": "/pricing"}], "previous": {"status": "mql",
     "mql_at": "2026-10-01"}}

``fields``, ``company`` (fills the person's empty industry, employees, annual_revenue, country),
``activities`` and ``previous`` are optional. Output: one line per person, keys in the contract's order.
Streamed: memory stays flat whatever the input size. The first bad line stops the run with exit 2 and
a message naming the line (lines before it have been written).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any, NoReturn

import click
import orjson

from config import ConfigError, load_tenant_file
from config.models import ACTIVITY_ATTRIBUTES, STATUSES
from scoring import Activity, Model, Previous, compile_model, evaluate, fill_from_company
from sync.cli.app import cli
from sync.cli.options import EXIT_INVALID, print_config_error

LINE_KEYS = ("id", "fields", "company", "activities", "previous")
_DUMP_OPTIONS = orjson.OPT_APPEND_NEWLINE
_from_iso = datetime.fromisoformat
_activity = tuple.__new__           # Activity(kind, at, attributes, id) without the named tuple's Python __new__


class InputError(ValueError):
    """A bad input line; the message says where (``activities[2].at``) and what is wrong."""


@cli.command()
@click.option("--tenant-file", "tenant_file", required=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False), help="The tenant file whose scoring block is used.")
@click.option("--input", "source", required=True, metavar="FILE", type=click.File("rb"),
              help="People as JSONL; - reads standard input.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default=None,
              help="Score as of the start (00:00 UTC) of this date; default today (UTC).")
def score(tenant_file: str, source: IO[bytes], as_of: str | None) -> None:
    """Score people from JSONL (no CRM needed); one JSON result a line on standard output."""
    day = parse_as_of(as_of)
    try:
        tenant = load_tenant_file(tenant_file)
    except ConfigError as error:
        print_config_error(error)
        sys.exit(EXIT_INVALID)
    model = compile_model(tenant.scoring, reason_max_length=tenant.reason_max_length)
    out = sys.stdout.buffer
    try:
        for chunk in score_lines(model, source, day):
            out.write(chunk)
    except InputError as error:
        out.flush()
        click.echo(f"{getattr(source, 'name', 'input')}: {error}", err=True)
        sys.exit(EXIT_INVALID)
    out.flush()


def parse_as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-02", param_hint="--as-of") from None


def score_lines(model: Model, lines: Iterable[bytes], as_of: date, batch: int = 256) -> Iterator[bytes]:
    """Score every JSONL line; yield the output in chunks of ``batch`` lines. Raises :class:`InputError`."""
    pending: list[bytes] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            person_id, fields, activities, previous = parse_line(line)
        except InputError as error:
            if pending:
                yield b"".join(pending)      # everything before the bad line is written
            raise InputError(f"line {number}: {error}") from None
        evaluation = evaluate(model, fields, activities, as_of, previous)
        pending.append(orjson.dumps(evaluation.to_dict(person_id), option=_DUMP_OPTIONS))
        if len(pending) >= batch:
            yield b"".join(pending)
            pending.clear()
    if pending:
        yield b"".join(pending)


def parse_line(line: bytes) -> tuple[Any, dict[str, Any], list[Activity], Previous | None]:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object with the keys {', '.join(LINE_KEYS)}")
    unknown = [key for key in data if key not in LINE_KEYS]
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}; allowed: {', '.join(LINE_KEYS)}")
    person_id = data.get("id")
    if person_id is not None and not isinstance(person_id, str | int):
        raise InputError("id: must be a text or an integer")
    fields = _mapping(data.get("fields"), "fields")
    company = _mapping(data.get("company"), "company")
    if company:
        fields = fill_from_company(fields, company)
    raw_activities = data.get("activities")
    if raw_activities is None:
        activities = []
    elif type(raw_activities) is list:
        activities = parse_activities(raw_activities)
    else:
        raise InputError("activities: must be a list of objects")
    return person_id, fields, activities, parse_previous(data.get("previous"))


def parse_activities(raws: list[Any]) -> list[Activity]:
    """The activities of one line, freshly parsed and ours: attributes sit beside type, at and id, so each
    object becomes the attributes once those three are popped. One loop, no per-activity call."""
    activities: list[Activity] = []
    append = activities.append
    kinds = ACTIVITY_ATTRIBUTES
    for raw in raws:
        if type(raw) is not dict:
            return _bad_activity(raw, len(activities))
        kind = raw.pop("type", None)
        at = raw.pop("at", None)
        activity_id = raw.pop("id", None)
        if type(kind) is not str or kind not in kinds or type(at) is not str:
            return _bad_activity({"type": kind, "at": at}, len(activities))
        try:
            moment = _from_iso(at)
        except ValueError:
            return _bad_activity({"type": kind, "at": at}, len(activities))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if activity_id is not None and type(activity_id) is not str:
            if type(activity_id) is not int:     # bool is not int here: True is refused
                raise InputError(f"activities[{len(activities)}].id: must be a text or an integer")
            activity_id = str(activity_id)
        append(_activity(Activity, (kind, moment, raw, activity_id)))
    return activities


def _bad_activity(raw: Any, index: int) -> NoReturn:
    """The message for a bad activity: what is wrong, first of object, type, at."""
    where = f"activities[{index}]"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be an object with type, at and attributes")
    kind = raw.get("type")
    if type(kind) is not str or kind not in ACTIVITY_ATTRIBUTES:
        raise InputError(f"{where}.type: {kind!r} is not an activity type; allowed: {', '.join(ACTIVITY_ATTRIBUTES)}")
    at = raw.get("at")
    if type(at) is not str:
        raise InputError(f"{where}.at: missing; give a date-time such as 2026-11-02T14:30:00Z")
    raise InputError(f"{where}.at: {at!r} is not a date-time such as 2026-11-02T14:30:00Z")


def parse_previous(raw: Any) -> Previous | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError('previous: must be an object like {"status": "mql", "mql_at": "2026-10-01"}')
    unknown = [key for key in raw if key not in ("status", "mql_at")]
    if unknown:
        raise InputError(f"previous: unknown key {unknown[0]!r}; allowed: status, mql_at")
    status = raw.get("status")
    if status is not None and status not in STATUSES:
        raise InputError(f"previous.status: {status!r} is not one of {', '.join(STATUSES)}")
    mql_at = raw.get("mql_at")
    if mql_at is None:
        return Previous(status, None)
    try:
        return Previous(status, date.fromisoformat(mql_at) if isinstance(mql_at, str) else _bad_date(mql_at))
    except ValueError:
        raise InputError(f"previous.mql_at: {mql_at!r} is not a date such as 2026-10-01") from None


def _bad_date(value: Any) -> date:
    raise ValueError(value)


def _mapping(raw: Any, key: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(f"{key}: must be an object of field -> value")
    return raw
