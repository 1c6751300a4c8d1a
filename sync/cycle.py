"""One tenant's cycle: pull -> store and diff -> score -> plan writes -> outbox -> push -> ledger.

Safe against crashes: a page and its cursor commit together; scores commit before planning; write
intents commit before the push; outcomes commit per batch. A rerun resumes from what was committed
and replays at most the same values. ``stop`` is checked between pages, score chunks and push
batches; the cycle then ends at that safe point with status ``stopped``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import structlog

from config.models import Tenant
from connectors.base import ApiUsage, Connector, ConnectorError
from scoring import compile_model, evaluate
from sync import ledger
from sync.bulk import chunks
from sync.crashpoints import CrashPoints
from sync.diff import as_utc
from sync.inputs import scoring_inputs
from sync.logging import redact_text
from sync.outbox import DrainCounts, Intent, Outbox, OutboxItem
from sync.plan import plan_writes
from sync.store import DuePerson, Store, TenantStore

log = structlog.get_logger()

CURSOR_LAG = timedelta(seconds=60)
SCORE_CHUNK = 500
PLAN_CHUNK = 2000
PUSH_PAGE = 2000           # outbox items read at a time
RETRY_PASSES = 3            # push passes within one cycle for records the CRM asked to retry

Status = Literal["ok", "failed", "stopped", "skipped"]

Progress = Callable[[str, dict[str, Any]], None]
"""Called as the cycle goes: ``("page", {stream, pulled, changed, pages})`` after each stored page,
``("stage", {stage})`` when pull/score/plan/push begins, ``("scored", {scored})`` after each score chunk and
``("pushed", {done, dead})`` after each push batch. For progress displays; it must not raise."""


class Stopped(Exception):
    """The stop event was set; the cycle ends at the current safe point."""


@dataclass
class CycleSummary:
    run_id: str
    tenant: str
    started_at: datetime
    finished_at: datetime | None = None
    status: Status = "ok"
    error: str | None = None
    streams: dict[str, dict[str, int]] = field(default_factory=dict)      # stream -> {pulled, changed}
    scored: int = 0
    status_changes: dict[str, int] = field(default_factory=dict)          # "lead->mql" -> n
    writes: dict[str, int] = field(default_factory=lambda: {"planned": 0, "done": 0, "retry": 0, "dead": 0})
    dead_letters: list[tuple[str, str]] = field(default_factory=list)     # (person id, CRM error code)
    api_calls: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    duration_s: float = 0.0
    new_mqls: list[tuple[str, str]] = field(default_factory=list)         # (person id, reason)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["dead_letters"] = [list(d) for d in self.dead_letters]
        data["new_mqls"] = [list(m) for m in self.new_mqls]
        return data


def run_cycle(tenant: Tenant, store: Store, *, connector: Connector | None = None, now: datetime | None = None,
              stop: threading.Event | None = None, full: bool = False,
              progress: Progress | None = None) -> CycleSummary:
    """Run one cycle for ``tenant``; never raises for CRM or data problems (see ``status``/``error``)."""
    started = as_utc(now) if now is not None else datetime.now(UTC)
    summary = CycleSummary(run_id=uuid.uuid4().hex[:16], tenant=tenant.tenant, started_at=started,
                           dry_run=tenant.write_back.dry_run)
    clock = time.monotonic()
    with structlog.contextvars.bound_contextvars(tenant=tenant.tenant, run_id=summary.run_id), \
            store.tenant_lock(tenant.tenant) as got:
        if not got:
            summary.status = "skipped"
            summary.error = "another worker is running this tenant's cycle"
            log.info("cycle_skipped", reason="locked")
            return _finish(summary, clock, None)
        ts = store.for_tenant(tenant.tenant, unhashed=own_fields(tenant))
        ledger.start_run(ts, summary.run_id, started)
        own = connector is None
        try:
            if connector is None:
                from connectors.registry import create_connector
                connector = create_connector(tenant)
            _Cycle(tenant, ts, connector, summary, stop or threading.Event(), full, progress).run()
        except Stopped:
            summary.status = "stopped"
            log.info("cycle_stopped")
        except ConnectorError as error:
            summary.status = "failed"
            summary.error = redact_text(f"{type(error).__name__}: {error}" +
                                        (f" (code {error.code})" if error.code else ""))
            log.warning("cycle_failed", error=summary.error)
        except Exception as error:
            summary.status = "failed"
            summary.error = redact_text(f"{type(error).__name__}: {error}")
            log.exception("cycle_crashed", error=summary.error)
        finally:
            if connector is not None:
                _take_usage(connector, summary)
                if own:
                    connector.close()
        _finish(summary, clock, ts)
    return summary


def own_fields(tenant: Tenant) -> tuple[str, ...]:
    """Canonical fields our lifecycle write may change and no rule reads: left out of the input hash.

    Our lifecycle write (to the MQL value) echoes back as a changed ``lifecycle_stage``, and as a changed
    ``lead_status`` where the lifecycle field is also the one behind it (Salesforce Lead ``Status``).
    Unless a fit or disqualify rule reads the field, it is not an input and the echo rescores nobody;
    the store still keeps its value fresh.
    """
    if tenant.write_back.lifecycle is None:
        return ()
    conditions = [rule.when for rule in tenant.scoring.fit if rule.when is not None]
    conditions += [rule.when for rule in tenant.scoring.disqualify]
    read = json.dumps([when.to_data() for when in conditions], default=str)
    return tuple(name for name in ("lifecycle_stage", "lead_status") if name not in read)


def _finish(summary: CycleSummary, clock: float, ts: TenantStore | None) -> CycleSummary:
    summary.duration_s = round(time.monotonic() - clock, 3)
    summary.finished_at = summary.started_at + timedelta(seconds=summary.duration_s)
    if ts is not None:
        ledger.finish_run(ts, summary.to_dict())
    log.info("cycle_finished", status=summary.status, scored=summary.scored, writes=summary.writes,
             duration_s=summary.duration_s)
    return summary


def _take_usage(connector: Connector, summary: CycleSummary) -> None:
    try:
        usage: ApiUsage = connector.take_usage()
    except Exception:          # usage is for the ledger only; never fail a cycle for it
        return
    for endpoint, n in usage.calls.items():
        summary.api_calls[endpoint] = summary.api_calls.get(endpoint, 0) + n
    summary.throttled += usage.throttled


def _no_progress(event: str, data: dict[str, Any]) -> None:
    return None


class _Cycle:
    def __init__(self, tenant: Tenant, ts: TenantStore, connector: Connector, summary: CycleSummary,
                 stop: threading.Event, full: bool, progress: Progress | None = None) -> None:
        self.tenant = tenant
        self.ts = ts
        self.connector = connector
        self.summary = summary
        self.stop = stop
        self.full = full
        self.progress = progress or _no_progress
        self.now = summary.started_at
        self.as_of: date = self.now.date()
        self.outbox = Outbox(ts)
        self.crash = CrashPoints.from_env()
        self.model = compile_model(tenant.scoring, reason_max_length=tenant.reason_max_length)

    def checkpoint(self) -> None:
        if self.stop.is_set():
            raise Stopped

    def run(self) -> None:
        self.progress("stage", {"stage": "pull"})
        self.pull()
        self.progress("stage", {"stage": "score"})
        self.score()
        self.progress("stage", {"stage": "plan"})
        self.plan()
        if not self.tenant.write_back.dry_run:
            self.progress("stage", {"stage": "push"})
            self.push()

    # ------------------------------------------------------------------ pull
    def pull(self) -> None:
        until = self.now - CURSOR_LAG
        for stream in self.connector.streams():
            counts = self.summary.streams.setdefault(stream, {"pulled": 0, "changed": 0, "pages": 0})
            cursor = None if self.full else self.ts.cursor(stream)
            for page in self.connector.pull(stream, cursor, until=until, full=self.full):
                self.crash.reach("page_pulled")
                stats = self.ts.store_page(page, self.now)
                self.crash.reach("page_stored")
                counts["pulled"] += stats.pulled
                counts["changed"] += stats.changed
                counts["pages"] += 1
                self.progress("page", {"stream": stream, **counts})
                self.checkpoint()
            ledger.record_stream(self.ts, self.summary.run_id, stream, counts, self.ts.cursor(stream))
            log.info("stream_pulled", stream=stream, **counts)

    # ------------------------------------------------------------------ score
    def score(self) -> None:
        transitions: Counter[str] = Counter()
        after: str | None = None
        while True:
            self.checkpoint()
            part = self.ts.due_persons(self.model.version, self.as_of, after=after, limit=SCORE_CHUNK)
            if not part:
                break
            after = part[-1].id
            rows = self.evaluate_chunk(part, transitions)
            self.ts.save_scores(rows)
            self.summary.scored += len(rows)
            self.crash.reach("scored")
            self.progress("scored", {"scored": self.summary.scored})
        self.summary.status_changes = dict(sorted(transitions.items()))
        log.info("scored", persons=self.summary.scored)

    def evaluate_chunk(self, part: Sequence[DuePerson], transitions: Counter[str]) -> list[dict[str, Any]]:
        rows = []
        for person, inputs in zip(part, scoring_inputs(self.ts, part), strict=True):
            ev = evaluate(self.model, inputs.fields, inputs.activities, self.as_of, inputs.previous)
            if ev.status != person.previous_status:
                transitions[f"{person.previous_status or 'new'}->{ev.status}"] += 1
                if ev.status == "mql":
                    self.summary.new_mqls.append((person.id, ev.mql_reason))
            breakdown = ev.breakdown_dicts()
            rows.append({"person_id": person.id, "fit": ev.fit, "engagement": ev.engagement, "score": ev.score,
                         "grade": ev.grade, "status": ev.status, "mql_at": ev.mql_at, "mql_reason": ev.mql_reason,
                         "breakdown": breakdown, "model_version": self.model.version, "as_of": self.as_of,
                         "evaluated_at": self.now, "input_hash": person.input_hash})
        return rows

    # ------------------------------------------------------------------ plan
    def plan(self) -> None:
        blocked = self.outbox.dead_blocked()
        after: str | None = None
        intents_total = 0
        while True:
            self.checkpoint()
            inputs = self.ts.plan_inputs(after=after, limit=PLAN_CHUNK)
            if not inputs:
                break
            after = inputs[-1].id
            intents = []
            for person in inputs:
                if (person.id, person.input_hash, person.score["model_version"]) in blocked:
                    continue
                values = plan_writes(self.tenant.write_back, person.object_type, person.score, person.crm_values,
                                     person.fields)
                if values:
                    intents.append(Intent(person.id, person.object_type, values, person.input_hash,
                                          str(person.score["model_version"]), person.modified_at.isoformat()))
            intents_total += len(intents)
            if self.tenant.write_back.dry_run:
                continue
            with self.ts.engine.begin() as conn:
                self.summary.writes["planned"] += self.outbox.enqueue(conn, intents, self.summary.run_id, self.now)
                self.ts.clear_replan(conn, [p.id for p in inputs])
            self.crash.reach("planned")
        if self.tenant.write_back.dry_run:
            self.summary.writes["planned"] = intents_total
        log.info("writes_planned", intents=intents_total, added=self.summary.writes["planned"],
                 dry_run=self.tenant.write_back.dry_run)

    # ------------------------------------------------------------------ push
    def push(self) -> None:
        self.outbox.reconcile(self.now, skip_run=self.summary.run_id)
        total = DrainCounts()
        retry_keys: list[str] = []
        after: int | None = None
        while True:                                  # the first pass, a page of the outbox at a time
            items = self.outbox.due(self.now, after_seq=after, limit=PUSH_PAGE)
            if not items:
                break
            after = items[-1].seq
            retry_keys += self.push_items(items, total)
        for _ in range(RETRY_PASSES - 1):            # records the CRM asked to retry, again in this cycle
            if not retry_keys:
                break
            retry_keys = self.push_items(self.outbox.due(self.now, keys=retry_keys), total)
        self.summary.writes["done"] = total.done
        self.summary.writes["dead"] = total.dead
        self.summary.writes["retry"] = self.outbox.states().get("retry", 0)
        self.summary.dead_letters = list(total.dead_letters)
        log.info("writes_pushed", **self.summary.writes)

    def push_items(self, items: Sequence[OutboxItem], total: DrainCounts) -> list[str]:
        """Push in batches of the connector's maximum; returns the keys the CRM asked to retry."""
        retry_keys: list[str] = []
        for batch in chunks(items, max(1, self.connector.max_batch)):
            self.checkpoint()
            results = self.connector.push([item.update() for item in batch])
            self.crash.reach("pushed")
            counts = self.outbox.record(batch, results, self.now)
            self.crash.reach("recorded")
            total.done += counts.done
            total.dead += counts.dead
            total.dead_letters += counts.dead_letters
            self.progress("pushed", {"done": total.done, "dead": total.dead})
            retry_keys += [item.key for item, result in zip(batch, results, strict=False) if result.outcome == "retry"]
        return retry_keys
