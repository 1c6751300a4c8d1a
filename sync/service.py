"""The long-lived worker: every tenant's cycle on its schedule, a bounded pool, backoff, reload and safe stop.

- APScheduler (3.x, background scheduler) holds one interval job per tenant: the tenant file's ``every`` with
  its ``jitter``, ``max_instances=1`` (one cycle per tenant at a time), ``coalesce=True`` (runs missed while the
  process was busy or asleep collapse into one). A thread pool of ``max_concurrent`` runs the cycles.
- A failing cycle does not stop the others. The tenant backs off: its next cycle waits
  ``min(backoff_base * 2**(failures-1), backoff_max)`` or its regular interval, whichever is longer, and
  ``status()``/metrics report it until a cycle succeeds again.
- ``reload()`` (SIGHUP in ``crmsync run``) reads the tenant files again. A broken configuration keeps the last
  good one and says why; tenants added, removed or changed are rescheduled; a running cycle finishes with the
  settings it started with.
- A tenant's connector lives from one cycle to the next (one login per session instead of one per cycle, and
  what it wrote lets it choose the cheapest way to read the echo); a failed cycle or changed settings make a
  new one.
- ``stop()`` (SIGTERM) takes no new work, tells running cycles to stop at their next safe point (a page, score
  chunk or push batch boundary; everything before it is committed) and waits for them up to a timeout.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from config import ConfigError, Tenant, load_tenants
from config.loader import config_dir
from connectors.base import Connector
from sync.cycle import CycleSummary, run_cycle
from sync.housekeeping import DEFAULT_RETENTION, prune
from sync.logging import redact_text, register_tenant_secrets
from sync.metrics import Metrics
from sync.outbox import Outbox
from sync.store import Store

log = structlog.get_logger()

ProgressHook = Callable[[str, str, dict[str, Any]], None]
"""``(tenant, event, data)``: run_cycle's progress events plus ``cycle_started`` and ``cycle_finished``."""
CycleHook = Callable[[CycleSummary], None]

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
STOP_TIMEOUT_S = 60.0
HOUSEKEEPING = " housekeeping"        # job id; the space keeps it apart from any tenant name


@dataclass
class TenantState:
    """What the worker knows about one tenant, for ``status()`` and backoff."""

    tenant: Tenant
    running: bool = False
    cycles: int = 0
    failures: int = 0                       # failed cycles in a row
    last: dict[str, Any] | None = None      # the last cycle's summary
    last_success_at: datetime | None = None
    backoff_until: datetime | None = None
    outbox: dict[str, int] = field(default_factory=dict)
    connector: Connector | None = None      # kept between cycles (one login, and what it wrote last time)
    connector_for: Tenant | None = None     # the settings it was made with


class Worker:
    """Runs every tenant's cycle on its schedule until ``stop()``. Thread-safe."""

    def __init__(self, tenants: Sequence[Tenant], store: Store, *, max_concurrent: int = 4,
                 config_path: str | None = None, every: timedelta | None = None, jitter: timedelta | None = None,
                 progress: ProgressHook | None = None, on_cycle: CycleHook | None = None,
                 metrics: Metrics | None = None, backoff_base: timedelta = BACKOFF_BASE,
                 backoff_max: timedelta = BACKOFF_MAX, keep_history: timedelta = DEFAULT_RETENTION) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.store = store
        self.config_path = config_path
        self.max_concurrent = max_concurrent
        self.every = every
        self.jitter = jitter
        self.progress = progress
        self.on_cycle = on_cycle
        self.metrics = metrics or Metrics()
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.keep_history = keep_history
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._states: dict[str, TenantState] = {}
        self._config_error: str | None = None
        self._loaded_at: datetime | None = None
        self._started = False
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max_concurrent)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._apply(list(tenants))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start scheduling; each tenant's first cycle starts at once (spread by its jitter)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            for state in self._states.values():
                self._schedule(state.tenant, first=True)
            self._scheduler.add_job(self.housekeeping, IntervalTrigger(days=1, timezone=UTC), id=HOUSEKEEPING,
                                    name="housekeeping", next_run_time=datetime.now(UTC) + timedelta(minutes=1))
        logging.getLogger("apscheduler").setLevel(logging.WARNING)     # its per-run INFO lines are our cycle logs
        self._scheduler.start()
        log.info("worker_started", tenants=sorted(self._states), max_concurrent=self.max_concurrent)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Take no new work; running cycles end at their next safe point. True when all ended in time."""
        self._stop.set()
        if self._scheduler.running:
            self._scheduler.pause()
        deadline = time.monotonic() + timeout
        with self._idle:
            while any(s.running for s in self._states.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._idle.wait(left)
            busy = sorted(name for name, s in self._states.items() if s.running)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=not busy)
        with self._lock:
            for state in self._states.values():
                if not state.running:
                    self._drop_connector(state)
        if busy:
            log.warning("worker_stop_timeout", running=busy, timeout_s=timeout)
            return False
        log.info("worker_stopped")
        return True

    # ------------------------------------------------------------------ configuration
    def reload(self) -> str | None:
        """Read the tenant files again; returns None when applied, else why the last good one is kept."""
        try:
            tenants = load_tenants(config_dir(self.config_path))
        except ConfigError as error:
            reason = "; ".join(str(issue) for issue in error.issues)
            with self._lock:
                self._config_error = reason
            self.metrics.reloads.labels("invalid").inc()
            self.metrics.config_ok.set(0)
            log.error("config_reload_rejected", problems=len(error.issues), error=reason,
                      kept=sorted(self._states))
            return reason
        self._apply(tenants)
        self.metrics.reloads.labels("ok").inc()
        return None

    def _apply(self, tenants: list[Tenant]) -> None:
        for tenant in tenants:
            register_tenant_secrets(tenant)
        wanted = {t.tenant: t for t in tenants}
        with self._lock:
            removed = sorted(set(self._states) - set(wanted))
            added = sorted(set(wanted) - set(self._states))
            changed = sorted(name for name in set(wanted) & set(self._states)
                             if wanted[name] != self._states[name].tenant)
            for name in removed:
                gone = self._states.pop(name)
                if not gone.running:      # a running cycle closes it when it finishes (see _finish)
                    self._drop_connector(gone)
                if self._started and self._scheduler.get_job(name) is not None:
                    self._scheduler.remove_job(name)
                self.metrics.forget(name)
            for name in added:
                self._states[name] = TenantState(wanted[name])
                if self._started:
                    self._schedule(wanted[name], first=True)
            for name in changed:
                state = self._states[name]
                old_every = state.tenant.schedule
                state.tenant = wanted[name]
                if state.backoff_until is not None:
                    # the fix an operator makes to a failing tenant's file is tried soon, not after its backoff
                    state.backoff_until = None
                    if self._started:
                        self._schedule(wanted[name], first=True)
                elif self._started and wanted[name].schedule != old_every:
                    self._schedule(wanted[name], first=False)
            self._config_error = None
            self._loaded_at = datetime.now(UTC)
        self.metrics.tenants.set(len(wanted))
        self.metrics.config_ok.set(1)
        if self._started:
            log.info("config_reloaded", added=added, removed=removed, changed=changed)

    def _interval(self, tenant: Tenant) -> tuple[timedelta, timedelta]:
        every = self.every if self.every is not None else tenant.schedule.every
        jitter = self.jitter if self.jitter is not None else tenant.schedule.jitter
        return every, min(jitter, every / 2)

    def _schedule(self, tenant: Tenant, *, first: bool) -> None:
        """(Re)create the tenant's job. Called with the lock held."""
        every, jitter = self._interval(tenant)
        self.metrics.interval.labels(tenant.tenant).set(every.total_seconds())
        trigger = IntervalTrigger(seconds=max(1.0, every.total_seconds()), jitter=int(jitter.total_seconds()) or None,
                                  timezone=UTC)
        now = datetime.now(UTC)
        if first:
            spread = random.uniform(0, min(jitter.total_seconds(), every.total_seconds()))
            next_run = now + timedelta(seconds=spread)
        else:
            job = self._scheduler.get_job(tenant.tenant)
            next_run = min(job.next_run_time, now + every) if job and job.next_run_time else now + every
        self._scheduler.add_job(self._run_job, trigger, args=[tenant.tenant], id=tenant.tenant,
                                name=f"cycle {tenant.tenant}", replace_existing=True, next_run_time=next_run)

    # ------------------------------------------------------------------ one cycle
    def _run_job(self, name: str) -> None:
        with self._lock:
            state = self._states.get(name)
            if state is None or self._stop.is_set() or state.running:
                return
            if state.backoff_until is not None and datetime.now(UTC) < state.backoff_until:
                return
            state.running = True
            tenant = state.tenant
            own_last = (state.last or {}).get("run_id")
        if self._ran_elsewhere(tenant, own_last):
            with self._idle:
                state.running = False
                self._idle.notify_all()
            return
        self.metrics.running.labels(name).set(1)
        summary: CycleSummary | None = None
        outbox: dict[str, int] | None = None
        try:
            self._emit(name, "cycle_started", {})
            connector = self._connector(state, tenant)
            summary = run_cycle(tenant, self.store, connector=connector, stop=self._stop,
                                progress=self._cycle_progress(name))
            if summary.status == "failed":
                self._drop_connector(state)      # whatever went wrong, the next cycle starts afresh
            outbox = self._outbox_states(tenant)
        except Exception as error:   # run_cycle reports failures itself; this is the store being unreachable
            log.exception("cycle_crashed_outside", tenant=name, error=redact_text(str(error)))
            outbox = None
            self._drop_connector(state)
        finally:
            self.metrics.running.labels(name).set(0)
            self._finish(name, summary, outbox)
            with self._lock:
                retired = self._states.get(name) is not state or self._stop.is_set()
            if retired:                       # removed by a reload, or the worker is stopping
                self._drop_connector(state)

    def _connector(self, state: TenantState, tenant: Tenant) -> Connector | None:
        """The tenant's connector, made anew when its settings changed; None lets run_cycle make (and report)
        one that cannot be made. Only the tenant's own job calls this (one cycle per tenant at a time)."""
        if state.connector is not None and state.connector_for is not tenant:
            self._drop_connector(state)
        if state.connector is None:
            from connectors.registry import create_connector
            try:
                state.connector, state.connector_for = create_connector(tenant), tenant
            except Exception:
                return None
        return state.connector

    @staticmethod
    def _drop_connector(state: TenantState) -> None:
        connector, state.connector, state.connector_for = state.connector, None, None
        if connector is not None:
            try:
                connector.close()
            except Exception:
                log.debug("connector_close_failed", tenant=state.tenant.tenant)

    def _ran_elsewhere(self, tenant: Tenant, own_last: str | None) -> bool:
        """True when another replica (or a ``crmsync sync`` by hand) completed a cycle of this tenant that
        started less than half an interval ago: the database is the coordinator, so several replicas share the
        work instead of each running every tenant on its own schedule. That success counts here too."""
        every, _ = self._interval(tenant)
        try:
            runs = self.store.recent_runs(tenant.tenant, limit=1)
        except Exception:
            return False                # the cycle itself will report the database
        if not runs or runs[0]["run_id"] == own_last or runs[0]["status"] != "ok":
            return False                # only a completed cycle stands in for this one (not a stopped or crashed one)
        last = runs[0]
        started = datetime.fromisoformat(last["started_at"])
        if datetime.now(UTC) - started >= every / 2:
            return False
        log.info("cycle_not_due", reason="ran recently elsewhere", other_run_id=last["run_id"],
                 started_at=last["started_at"], tenant=tenant.tenant)
        if last.get("finished_at"):
            finished = datetime.fromisoformat(last["finished_at"])
            with self._lock:
                state = self._states.get(tenant.tenant)
                if state is not None and (state.last_success_at is None or finished > state.last_success_at):
                    state.last_success_at = finished
            self.metrics.last_success.labels(tenant.tenant).set(finished.timestamp())
        self.metrics.cycles.labels(tenant.tenant, "skipped").inc()
        return True

    def _finish(self, name: str, summary: CycleSummary | None, outbox: dict[str, int] | None) -> None:
        data = summary.to_dict() if summary is not None else {"tenant": name, "status": "failed",
                                                               "error": "the cycle could not start (see the log)"}
        now = datetime.now(UTC)
        with self._idle:
            state = self._states.get(name)
            if state is not None:
                state.running = False
                state.cycles += 1
                state.last = data
                if outbox is not None:
                    state.outbox = outbox
                if data["status"] == "ok":
                    state.failures = 0
                    state.backoff_until = None
                    state.last_success_at = now
                elif data["status"] == "failed":
                    state.failures += 1
                    state.backoff_until = now + self._backoff(state)
                    log.warning("tenant_backing_off", tenant=name, failures=state.failures,
                                until=state.backoff_until.isoformat(), error=data.get("error"))
                failures = state.failures
            self._idle.notify_all()
        if state is not None:
            self.metrics.failures.labels(name).set(failures)
            self.metrics.observe_cycle(data, now.timestamp())
            if outbox is not None:
                self.metrics.observe_outbox(name, outbox)
            if state.backoff_until is not None and not self._stop.is_set():
                self._delay(name, state.backoff_until)
        self._emit(name, "cycle_finished", {"summary": data})
        if summary is not None and self.on_cycle is not None:
            try:
                self.on_cycle(summary)
            except Exception:
                log.exception("on_cycle_hook_failed", tenant=name)

    def _backoff(self, state: TenantState) -> timedelta:
        every, _ = self._interval(state.tenant)
        backoff: timedelta = min(self.backoff_base * 2 ** min(state.failures - 1, 30), self.backoff_max)
        return max(backoff, every)

    def _delay(self, name: str, until: datetime) -> None:
        try:
            job = self._scheduler.get_job(name)
            if job is not None and (job.next_run_time is None or job.next_run_time < until):
                job.modify(next_run_time=until)
        except Exception:    # the scheduler shut down meanwhile
            log.debug("delay_skipped", tenant=name)

    def _outbox_states(self, tenant: Tenant) -> dict[str, int] | None:
        try:
            return Outbox(self.store.for_tenant(tenant.tenant)).states()
        except Exception:
            return None

    def _cycle_progress(self, name: str) -> Callable[[str, dict[str, Any]], None]:
        def forward(event: str, data: dict[str, Any]) -> None:
            self._emit(name, event, data)
        return forward

    def _emit(self, name: str, event: str, data: dict[str, Any]) -> None:
        if self.progress is None:
            return
        try:
            self.progress(name, event, data)
        except Exception:
            log.exception("progress_hook_failed", tenant=name, progress_event=event)

    def housekeeping(self) -> None:
        """Delete ledger and finished outbox rows older than ``keep_history`` (every tenant in the database)."""
        before = datetime.now(UTC) - self.keep_history
        try:
            for name in self.store.tenants():
                pruned = prune(self.store, name, before)
                if pruned.runs or pruned.outbox:
                    log.info("history_pruned", tenant=name, runs=pruned.runs, outbox=pruned.outbox,
                             before=before.isoformat())
        except Exception as error:     # never let housekeeping take the worker down; it runs again tomorrow
            log.warning("housekeeping_failed", error=redact_text(f"{type(error).__name__}: {error}"))

    # ------------------------------------------------------------------ reporting
    def ready(self) -> tuple[bool, str]:
        """Ready = tenants loaded (the last good configuration) and the database reachable."""
        with self._lock:
            loaded = self._loaded_at is not None and bool(self._states)
        if not loaded:
            return False, "no tenants loaded"
        if self._stop.is_set():
            return False, "stopping"
        try:
            self.store.ping()
        except Exception as error:
            return False, f"database unreachable: {redact_text(type(error).__name__)}"
        return True, "ready"

    def status(self) -> dict[str, Any]:
        """Per tenant: schedule, running, last cycle, failures and backoff, outbox; plus configuration state."""
        with self._lock:
            tenants: dict[str, Any] = {}
            for name, state in sorted(self._states.items()):
                every, jitter = self._interval(state.tenant)
                job = self._scheduler.get_job(name) if self._started and self._scheduler.running else None
                tenants[name] = {
                    "crm": state.tenant.crm.kind,
                    "every_s": every.total_seconds(),
                    "jitter_s": jitter.total_seconds(),
                    "running": state.running,
                    "cycles": state.cycles,
                    "consecutive_failures": state.failures,
                    "backoff_until": state.backoff_until.isoformat() if state.backoff_until else None,
                    "next_run_at": job.next_run_time.isoformat() if job and job.next_run_time else None,
                    "last_success_at": state.last_success_at.isoformat() if state.last_success_at else None,
                    "last_cycle": state.last,
                    "outbox": state.outbox,
                }
            return {
                "stopping": self._stop.is_set(),
                "config": {"path": str(config_dir(self.config_path)) if self.config_path is not None else None,
                           "loaded_at": self._loaded_at.isoformat() if self._loaded_at else None,
                           "error": self._config_error},
                "tenants": tenants,
            }


class Signals:
    """SIGTERM/SIGINT ask to stop, SIGHUP to reload; the main thread acts on them (handlers only set flags)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reload = threading.Event()
        self.wake = threading.Event()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop.set()
        self.wake.set()

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self.reload.set()
        self.wake.set()


def serve(worker: Worker, signals: Signals, *, stop_timeout: float = STOP_TIMEOUT_S) -> bool:
    """Start the worker and block until a stop signal; reload on SIGHUP. True when it stopped cleanly."""
    worker.start()
    while not signals.stop.is_set():
        signals.wake.wait(timeout=1.0)
        signals.wake.clear()
        if signals.reload.is_set():
            signals.reload.clear()
            log.info("config_reload_requested")
            worker.reload()
    log.info("worker_stopping", timeout_s=stop_timeout)
    return worker.stop(timeout=stop_timeout)
