"""The outbox: write intents committed before the push, and each record's outcome.

States: ``pending`` (not yet pushed), ``retry`` (the CRM asked to try again; backoff), ``done``,
``dead`` (the CRM refused it; its error code kept; not retried until the person's inputs or the
scoring model change), ``superseded`` (a newer intent for the same person replaced it) and
``dropped`` (the record was deleted or merged in the CRM). A person has at most one active
(pending or retry) intent, so a replay after a crash can never write stale values over newer ones.

The idempotency key hashes the person, the values and the CRM snapshot they were planned from:
planning the same thing twice (a rerun after a crash) enqueues nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from connectors.base import Update, Value, WriteResult
from sync import tables as t
from sync.bulk import chunks, upsert
from sync.diff import as_utc, digest
from sync.logging import redact_text
from sync.plan import already_applied
from sync.store import ACTIVE, TenantStore

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MESSAGE_MAX = 500
RECONCILE_PAGE = 2000      # outbox items reconciled at a time


@dataclass(frozen=True)
class Intent:
    person_id: str
    object_type: str
    values: Mapping[str, Value]
    input_hash: str
    model_version: str
    snapshot: str                          # when the CRM values were read (the person's modified date)

    @property
    def key(self) -> str:
        return digest([self.person_id, self.values, self.snapshot])


@dataclass(frozen=True)
class OutboxItem:
    key: str
    person_id: str
    object_type: str
    values: Mapping[str, Value]
    attempts: int
    seq: int = 0

    def update(self) -> Update:
        return Update(self.person_id, self.object_type, dict(self.values), key=self.key)


@dataclass
class DrainCounts:
    done: int = 0
    retry: int = 0
    dead: int = 0
    dead_letters: list[tuple[str, str]] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (1 << min(max(0, attempts - 1), 16)), BACKOFF_MAX)


class Outbox:
    """One tenant's outbox."""

    def __init__(self, store: TenantStore) -> None:
        self.store = store
        self.tenant = store.tenant

    def enqueue(self, conn: sa.Connection, intents: Sequence[Intent], run_id: str, now: datetime) -> int:
        """Add intents (in the caller's transaction); an existing key is left alone. Returns rows added."""
        if not intents:
            return 0
        o = t.outbox
        keys = [i.key for i in intents]
        existing: set[str] = set()
        for part in chunks(keys):
            existing.update(conn.execute(sa.select(o.c.key).where(o.c.tenant == self.tenant, o.c.key.in_(part)))
                            .scalars())
        fresh = {i.key: i for i in intents if i.key not in existing}
        if not fresh:
            return 0
        persons = [i.person_id for i in fresh.values()]
        for part in chunks(persons):
            conn.execute(sa.update(o).where(o.c.tenant == self.tenant, o.c.person_id.in_(part),
                                            o.c.state.in_(ACTIVE), o.c.key.not_in(list(fresh)))
                         .values(state="superseded", updated_at=now))
        seq = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(o.c.seq), 0))
                               .where(o.c.tenant == self.tenant)).scalar() or 0)
        rows = []
        for offset, intent in enumerate(fresh.values(), start=1):
            rows.append({"tenant": self.tenant, "key": intent.key, "seq": seq + offset, "person_id": intent.person_id,
                         "object_type": intent.object_type, "values": dict(intent.values), "state": "pending",
                         "attempts": 0, "next_attempt_at": now, "code": None, "message": None,
                         "input_hash": intent.input_hash, "model_version": intent.model_version, "run_id": run_id,
                         "created_at": now, "updated_at": now})
        upsert(conn, o, rows, only_insert=True)
        return len(rows)

    def due(self, now: datetime, keys: Sequence[str] | None = None, *, after_seq: int | None = None,
            limit: int | None = None) -> list[OutboxItem]:
        """Active items whose time has come (or exactly these keys), oldest first; ``after_seq``/``limit`` page."""
        o = t.outbox
        query = sa.select(o.c.key, o.c.person_id, o.c.object_type, o.c["values"], o.c.attempts, o.c.seq).where(
            o.c.tenant == self.tenant, o.c.state.in_(ACTIVE)).order_by(o.c.seq).limit(limit)
        query = query.where(o.c.key.in_(list(keys))) if keys is not None else query.where(o.c.next_attempt_at <= now)
        if after_seq is not None:
            query = query.where(o.c.seq > after_seq)
        with self.store.engine.connect() as conn:
            return [OutboxItem(r.key, r.person_id, r.object_type, r.values, r.attempts, r.seq)
                    for r in conn.execute(query)]

    def reconcile(self, now: datetime, *, skip_run: str | None = None, page: int = RECONCILE_PAGE) -> tuple[int, int]:
        """Mark active items done when the CRM holds their values already, dropped when the record is gone.

        ``skip_run``: items this run planned were planned against the CRM's current values; skip them.
        Reads ``page`` items at a time (by ``seq``), so a large backlog (a crash after planning a full
        cycle's writes) never sits in memory at once. Returns (done, dropped).
        """
        o = t.outbox
        applied_total = gone_total = 0
        after: int | None = None
        while True:
            query = sa.select(o.c.seq, o.c.key, o.c.person_id, o.c["values"]).where(
                o.c.tenant == self.tenant, o.c.state.in_(ACTIVE)).order_by(o.c.seq).limit(page)
            if skip_run is not None:
                query = query.where(o.c.run_id != skip_run)
            if after is not None:
                query = query.where(o.c.seq > after)
            with self.store.engine.connect() as conn:
                items = conn.execute(query).all()
            if not items:
                return applied_total, gone_total
            after = items[-1].seq
            state = self.store.crm_state([i.person_id for i in items])
            applied, gone = [], []
            for _, key, person_id, values in items:
                person = state.get(person_id)
                if person is None:
                    continue
                if person["deleted"] or person["merged_into"]:
                    gone.append(key)
                elif already_applied(values, person["crm_values"] or {}):
                    applied.append(key)
            with self.store.engine.begin() as conn:
                self._set(conn, applied, state="done", updated_at=now)
                self._set(conn, gone, state="dropped", code="DELETED_OR_MERGED", updated_at=now)
            applied_total += len(applied)
            gone_total += len(gone)

    def record(self, items: Sequence[OutboxItem], results: Sequence[WriteResult], now: datetime) -> DrainCounts:
        """Store each pushed item's outcome (one transaction); results come one per item, in order."""
        counts = DrainCounts()
        by_person = {r.person_id: r for r in results}
        done: dict[int, list[str]] = {}
        with self.store.engine.begin() as conn:
            for index, item in enumerate(items):
                result = results[index] if index < len(results) and results[index].person_id == item.person_id \
                    else by_person.get(item.person_id)
                if result is None:
                    result = WriteResult(item.person_id, "retry", code="NO_RESULT",
                                         message="the connector returned no result for this record")
                if result.outcome == "done":
                    counts.done += 1
                    done.setdefault(item.attempts + 1, []).append(item.key)
                else:
                    self._record_failure(conn, item, result, now, counts)
            for attempts, keys in done.items():
                self._set(conn, keys, state="done", attempts=attempts, code=None, message=None, updated_at=now)
        return counts

    def _record_failure(self, conn: sa.Connection, item: OutboxItem, result: WriteResult, now: datetime,
                        counts: DrainCounts) -> None:
        message = _short(result.message, result.fields)
        attempts = item.attempts + 1
        if result.outcome == "retry" and attempts < MAX_ATTEMPTS:
            counts.retry += 1
            self._set(conn, [item.key], state="retry", attempts=attempts, code=result.code, message=message,
                      next_attempt_at=now + backoff(attempts), updated_at=now)
        else:
            code = result.code or ("RETRIES_EXHAUSTED" if result.outcome == "retry" else "REFUSED")
            counts.dead += 1
            counts.dead_letters.append((item.person_id, code))
            self._set(conn, [item.key], state="dead", attempts=attempts, code=code, message=message,
                      updated_at=now)

    def _set(self, conn: sa.Connection, keys: Sequence[str], **values: Any) -> None:
        o = t.outbox
        for part in chunks(list(keys)):
            conn.execute(sa.update(o).where(o.c.tenant == self.tenant, o.c.key.in_(part)).values(**values))

    def retry_dead(self, now: datetime, *, code: str | None = None, person_id: str | None = None) -> int:
        """Put dead intents back to be pushed at the next cycle (after their cause was fixed, e.g. a missing
        field provisioned). ``code``/``person_id`` narrow the selection. Returns how many were requeued."""
        o = t.outbox
        query = sa.update(o).where(o.c.tenant == self.tenant, o.c.state == "dead")
        if code is not None:
            query = query.where(o.c.code == code)
        if person_id is not None:
            query = query.where(o.c.person_id == person_id)
        with self.store.engine.begin() as conn:
            # due from the moment it died: whatever clock the next cycle runs with, it is pushed then
            result = conn.execute(query.values(state="retry", attempts=0, next_attempt_at=o.c.updated_at,
                                               updated_at=now))
        return int(result.rowcount or 0)

    def dead_blocked(self) -> set[tuple[str, str, str]]:
        """(person, input hash, model version) of dead intents: not retried until one of them changes."""
        o = t.outbox
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(o.c.person_id, o.c.input_hash, o.c.model_version).where(
                o.c.tenant == self.tenant, o.c.state == "dead")).all()
        return {(r.person_id, r.input_hash, r.model_version) for r in rows}

    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest dead intents, newest first: person, code, message, when."""
        o = t.outbox
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(o.c.person_id, o.c.code, o.c.message, o.c.updated_at).where(
                o.c.tenant == self.tenant, o.c.state == "dead").order_by(o.c.updated_at.desc()).limit(limit)).all()
        return [{"person_id": r.person_id, "code": r.code, "message": r.message,
                 "at": as_utc(r.updated_at).isoformat()} for r in rows]

    def states(self) -> dict[str, int]:
        o = t.outbox
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(o.c.state, sa.func.count()).where(o.c.tenant == self.tenant)
                                .group_by(o.c.state)).all()
        return {state: int(n) for state, n in rows}


def _short(message: str | None, fields: Sequence[str]) -> str | None:
    if not message and not fields:
        return None
    text = (message or "") + (f" (fields: {', '.join(fields)})" if fields else "")
    return redact_text(text)[:MESSAGE_MAX]
