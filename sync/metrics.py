"""Prometheus metrics of the worker, per tenant, on a registry of its own (no global state).

Every metric is named ``crmsync_*``; docs/operations.md lists them with what to alert on.
"""

from __future__ import annotations

import contextlib
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, float("inf"))


class Metrics:
    """The worker's metrics. ``observe_cycle`` takes a cycle summary (``CycleSummary.to_dict()``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.cycles = Counter("crmsync_cycles", "Cycles finished, by status (ok, failed, stopped, skipped).",
                              ["tenant", "status"], registry=r)
        self.last_success = Gauge("crmsync_last_success_timestamp_seconds",
                                  "Unix time when the tenant's last successful cycle finished.", ["tenant"], registry=r)
        self.last_cycle = Gauge("crmsync_last_cycle_timestamp_seconds",
                                "Unix time when the tenant's last cycle (any status) finished.", ["tenant"], registry=r)
        self.duration = Histogram("crmsync_cycle_duration_seconds", "Wall time of a cycle.", ["tenant"],
                                  buckets=DURATION_BUCKETS, registry=r)
        self.last_duration = Gauge("crmsync_last_cycle_duration_seconds", "Wall time of the tenant's last cycle.",
                                   ["tenant"], registry=r)
        self.pulled = Counter("crmsync_records_pulled", "Records pulled from the CRM, by stream.",
                              ["tenant", "stream"], registry=r)
        self.changed = Counter("crmsync_records_changed", "Pulled records whose inputs changed, by stream.",
                               ["tenant", "stream"], registry=r)
        self.scored = Counter("crmsync_persons_scored", "Persons (re)scored.", ["tenant"], registry=r)
        self.status_changes = Counter("crmsync_status_changes", "Status changes, by transition (e.g. lead->mql).",
                                      ["tenant", "transition"], registry=r)
        self.writes = Counter("crmsync_writes", "Record writes to the CRM, by outcome (planned, done, dead).",
                              ["tenant", "outcome"], registry=r)
        self.api_calls = Counter("crmsync_api_calls", "CRM API calls, by endpoint.", ["tenant", "endpoint"],
                                 registry=r)
        self.throttled = Counter("crmsync_throttled", "CRM responses that said slow down (429 and the like).",
                                 ["tenant"], registry=r)
        self.outbox_depth = Gauge("crmsync_outbox_depth", "Writes waiting to be pushed (pending or to retry).",
                                  ["tenant"], registry=r)
        self.dead_letters = Gauge("crmsync_dead_letters", "Writes the CRM refused for good (see crmsync status).",
                                  ["tenant"], registry=r)
        self.failures = Gauge("crmsync_consecutive_failures",
                              "Failed cycles in a row (0 after a success); the tenant backs off meanwhile.",
                              ["tenant"], registry=r)
        self.running = Gauge("crmsync_cycle_running", "1 while the tenant's cycle runs.", ["tenant"], registry=r)
        self.interval = Gauge("crmsync_schedule_interval_seconds", "The tenant's cycle interval (its schedule.every).",
                              ["tenant"], registry=r)
        self.tenants = Gauge("crmsync_tenants", "Tenants scheduled by this worker.", registry=r)
        self.reloads = Counter("crmsync_config_reloads", "Configuration reloads, by result (ok, invalid).",
                               ["result"], registry=r)
        self.config_ok = Gauge("crmsync_config_valid",
                               "1 when the last configuration load succeeded, 0 when it kept the previous one.",
                               registry=r)

    def observe_cycle(self, summary: dict[str, Any], finished_ts: float) -> None:
        tenant = str(summary["tenant"])
        status = str(summary["status"])
        self.cycles.labels(tenant, status).inc()
        if status == "skipped":
            return
        self.last_cycle.labels(tenant).set(finished_ts)
        if status == "ok":
            self.last_success.labels(tenant).set(finished_ts)
        duration = float(summary.get("duration_s") or 0.0)
        self.duration.labels(tenant).observe(duration)
        self.last_duration.labels(tenant).set(duration)
        for stream, counts in (summary.get("streams") or {}).items():
            self.pulled.labels(tenant, stream).inc(counts.get("pulled", 0))
            self.changed.labels(tenant, stream).inc(counts.get("changed", 0))
        self.scored.labels(tenant).inc(int(summary.get("scored") or 0))
        for transition, n in (summary.get("status_changes") or {}).items():
            self.status_changes.labels(tenant, transition).inc(n)
        writes = summary.get("writes") or {}
        for outcome in ("planned", "done", "dead"):
            self.writes.labels(tenant, outcome).inc(int(writes.get(outcome, 0)))
        for endpoint, n in (summary.get("api_calls") or {}).items():
            self.api_calls.labels(tenant, endpoint).inc(n)
        self.throttled.labels(tenant).inc(int(summary.get("throttled") or 0))

    def observe_outbox(self, tenant: str, states: dict[str, int]) -> None:
        self.outbox_depth.labels(tenant).set(states.get("pending", 0) + states.get("retry", 0))
        self.dead_letters.labels(tenant).set(states.get("dead", 0))

    def forget(self, tenant: str) -> None:
        """Drop a removed tenant's gauges (its counters stay until restart, as Prometheus expects)."""
        for gauge in (self.last_success, self.last_cycle, self.last_duration, self.outbox_depth, self.dead_letters,
                      self.failures, self.running, self.interval):
            with contextlib.suppress(KeyError):
                gauge.remove(tenant)

    def render(self) -> bytes:
        return generate_latest(self.registry)
