"""Streams: what each one queries and how its rows become canonical records, page by page.

Every pull uses ``queryAll`` so that deleted rows come back with ``IsDeleted = true`` in the same call
(a stream with no changes costs exactly one call). The first and full pulls read them too: a record
deleted before the first pull but stamped after the newest live one would otherwise surface in the
next cycle as a change. Each API page (up to 2,000 rows, then ``nextRecordsUrl``) is one :class:`Page`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from config.models import Tenant
from connectors.base import ActivityRecord, CompanyRecord, Cursor, Page, PersonRecord
from connectors.salesforce import mapping
from connectors.salesforce.bulk import Bulk
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.cursor import CursorTracker, StreamCursor
from connectors.salesforce.soql import Select, any_of, condition, count, in_condition

Record = PersonRecord | CompanyRecord | ActivityRecord
Convert = Callable[[Mapping[str, Any]], Record | None]


@dataclass(frozen=True)
class Stream:
    name: str
    object: str
    kind: Literal["company", "person", "activity"]
    fields: tuple[str, ...]
    convert: Convert
    where: tuple[str, ...] = ()

    def select(self, since: datetime | None, until: datetime, after_id: str | None = None) -> Select:
        where = list(self.where)
        if since is not None:
            where.append(condition(mapping.MODSTAMP, ">=", since))
            if after_id is not None:
                where.append(any_of(condition(mapping.MODSTAMP, ">", since), condition(mapping.ID, ">", after_id)))
        where.append(condition(mapping.MODSTAMP, "<=", until))
        return Select(self.object, self.fields, tuple(where), order_by=(mapping.MODSTAMP, mapping.ID))


def build_streams(tenant: Tenant) -> dict[str, Stream]:
    """The tenant's streams in pull order: accounts, leads, contacts, campaign members, tasks, events."""
    if tenant.crm.kind != "salesforce":
        raise ValueError("not a Salesforce tenant")
    streams = [Stream("accounts", "Account", "company", mapping.company_select(), mapping.to_company)]
    for object_type, name in (("Lead", "leads"), ("Contact", "contacts")):
        if object_type in tenant.crm.people:
            streams.append(Stream(name, object_type, "person", mapping.person_select(tenant, object_type),
                                  _person(tenant, object_type)))
    streams += [
        Stream("campaign_members", "CampaignMember", "activity",
               (*mapping.SYSTEM_FIELDS, *mapping.CAMPAIGN_MEMBER_FIELDS),
               lambda r: mapping.to_campaign_activity(tenant, r)),
        Stream("tasks", "Task", "activity", (*mapping.SYSTEM_FIELDS, *mapping.TASK_FIELDS),
               lambda r: mapping.to_task_activity(tenant, r),
               where=(in_condition("TaskSubtype", mapping.TASK_SUBTYPES),)),
        Stream("events", "Event", "activity", (*mapping.SYSTEM_FIELDS, *mapping.EVENT_FIELDS),
               lambda r: mapping.to_event_activity(tenant, r)),
    ]
    return {s.name: s for s in streams}


def _person(tenant: Tenant, object_type: str) -> Convert:
    return lambda record: mapping.to_person(tenant, object_type, record)


def pull_stream(client: SalesforceClient, stream: Stream, saved: Cursor | None, *, until: datetime,
                full: bool = False, bulk: Bulk | None = None, bulk_threshold: int | None = None,
                expected: int = 0) -> Iterator[Page]:
    """Pages of ``stream`` changed since ``saved`` (everything when ``full``), capped at ``until``.

    Bulk API 2.0 (when ``bulk`` is given): a full pull of more than ``bulk_threshold`` rows (one
    ``COUNT()`` query decides; 0 forces it), and any other pull whose first REST page says that more
    than ``bulk_threshold`` rows match and that a bulk job would take fewer calls than paging on
    (:func:`bulk_is_cheaper`; the first page is then dropped and read again by the job). ``expected``: rows
    known to have changed since the cursor (our own writes of the last cycle, the echo to come back); when
    that alone makes a bulk job cheaper, the job is started at once, without the first REST page.
    """
    floor = StreamCursor.load(saved)
    if (full and bulk is not None and bulk_threshold is not None
            and (bulk_threshold == 0 or count_rows(client, stream, until) > bulk_threshold)):
        yield from pull_bulk(bulk, stream, StreamCursor(), floor, until)
        return
    if (not full and bulk is not None and bulk_threshold and expected > bulk_threshold
            and bulk_is_cheaper(expected, REST_PAGE_ROWS, bulk.page_rows)):
        yield from pull_bulk(bulk, stream, floor, floor, until)
        return
    skip = StreamCursor() if full else floor
    soql = stream.select(skip.ts, until, skip.after).text()
    answer = client.query(soql, include_deleted=True)
    horizon = client.horizon        # rows at a later second may still change within it: claim none there
    matching = int(answer.get("totalSize") or 0)
    if (bulk is not None and bulk_threshold and matching > bulk_threshold and not answer.get("done", True)
            and bulk_is_cheaper(matching, len(answer.get("records") or ()), bulk.page_rows)):
        yield from pull_bulk(bulk, stream, skip, floor, until)
        return
    state = CursorTracker(skip)
    while True:
        records: list[Record] = []
        for row in answer.get("records") or ():
            record_id = str(row[mapping.ID])
            ts = mapping.modified_at(row)
            if skip.seen(record_id, ts):
                continue
            state.add(record_id, ts)
            converted = stream.convert(row)
            if converted is not None:
                records.append(converted)
        yield make_page(stream, state.cursor().opened(horizon).at_least(floor), records)
        next_url = answer.get("nextRecordsUrl")
        if answer.get("done", True) or not next_url:
            return
        answer = client.query_more(str(next_url))


REST_PAGE_ROWS = 2000       # rows per REST query page (Salesforce's default batch size)


def bulk_is_cheaper(matching: int, page: int, bulk_page: int) -> bool:
    """Whether a Bulk 2.0 job (create, one status poll, one result call per ``bulk_page`` rows) takes
    fewer calls than the REST pages still to come after the first one (of ``page`` rows)."""
    rest_left = math.ceil(max(0, matching - page) / max(1, page))
    return rest_left > 2 + math.ceil(matching / bulk_page)


def count_rows(client: SalesforceClient, stream: Stream, until: datetime) -> int:
    where = (*stream.where, condition(mapping.MODSTAMP, "<=", until))
    return int(client.query(count(stream.object, where)).get("totalSize") or 0)


def pull_bulk(bulk: Bulk, stream: Stream, skip: StreamCursor, floor: StreamCursor, until: datetime) -> Iterator[Page]:
    """Rows changed since ``skip`` (everything when it is empty) through one Bulk API 2.0 query job.

    Rows are not sorted, so every page but the last carries the saved cursor (a crash re-reads from
    there) and the last one the newest timestamp read. Pages hold at most :attr:`Bulk.chunk_rows` rows.
    """
    select = stream.select(skip.ts, until, skip.after)
    soql = Select(select.object, select.fields, select.where).text()     # no ORDER BY in bulk
    state = CursorTracker(skip)
    pending: list[Record] | None = None
    horizon = None
    for rows in bulk.query(soql, include_deleted=True):
        if pending is not None:
            yield make_page(stream, floor, pending)
        else:
            horizon = bulk.horizon
        pending = []
        for row in rows:
            record_id, ts = str(row[mapping.ID]), mapping.modified_at(row)
            if skip.seen(record_id, ts):
                continue
            state.add(record_id, ts)
            converted = stream.convert(row)
            if converted is not None:
                pending.append(converted)
    yield make_page(stream, state.cursor().opened(horizon).at_least(floor), pending or [])


def make_page(stream: Stream, cursor: StreamCursor, records: list[Record]) -> Page:
    saved = cursor.dump()
    if stream.kind == "company":
        return Page(stream.name, saved, companies=[r for r in records if isinstance(r, CompanyRecord)])
    if stream.kind == "person":
        return Page(stream.name, saved, persons=[r for r in records if isinstance(r, PersonRecord)])
    return Page(stream.name, saved, activities=[r for r in records if isinstance(r, ActivityRecord)])
