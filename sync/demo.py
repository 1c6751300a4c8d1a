"""``crmsync demo``: the example tenants synced against the bundled sandbox CRMs, start to finish.

What it does (docs/demo.md is the user's page):

1. starts the sandbox (``sandbox.Sandbox``) in this process on 127.0.0.1 and creates a HubSpot portal and a
   Salesforce org with generated B2B data, whose token and client credentials are the defaults the example
   files fall back to;
2. loads the example tenants (``config/examples/*.yaml``) with their CRM addresses pointed at the sandbox
   (``NORTHWIND_HUBSPOT_URL``, ``GLOBEX_SF_LOGIN_URL``... in the environment the files are expanded with;
   ``os.environ`` itself is left alone);
3. provisions the write-back fields (created on HubSpot, checked on Salesforce);
4. runs the real worker (``sync.service.Worker``) on a short interval against a store (a temporary SQLite
   database unless ``db_url`` is given). Before each cycle after the first, new activity arrives in that
   tenant's CRM (``advance_activity``), so the later cycles find new MQLs;
5. after ``cycles`` cycles per tenant it builds a :class:`DemoReport`: people pulled, MQLs with the reason as the
   CRM now holds it, writes, API calls and the sandbox page of one MQL.

The cycle reads changes up to ``CURSOR_LAG`` (60 s) before its start, so that records a CRM indexes late are
read on a later cycle. A demo cannot wait a minute between cycles, so the new activity is dated just past that
lag (61 s before the cycle that reads it), as if it had arrived a minute ago. Nothing else is faked: the
worker, connectors, store and scoring are the ones ``crmsync run`` uses.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog

import config as config_package
from config import Tenant, load_tenants
from connectors.base import ConnectorError, ProvisionItem
from connectors.registry import create_connector
from sandbox import Sandbox, SandboxConfig
from sync import tables as t
from sync.cycle import CURSOR_LAG
from sync.service import Worker
from sync.store import Store

log = structlog.get_logger()

EXAMPLES_DIR = Path(config_package.__file__).parent / "examples"

# The credentials the example files fall back to (config/examples/*.yaml): the sandbox accounts are created
# with exactly these, and the demo sets them explicitly too, so a user's own NORTHWIND_*/GLOBEX_* variables
# (meant for a real portal or org) never leak into the demo.
HUBSPOT_TENANT, HUBSPOT_TOKEN = "northwind", "pat-na1-00000000-0000-4000-8000-00000000d3m0"
SALESFORCE_TENANT = "globex"
SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET = "sandbox-globex", "sandbox-globex-secret"

ARRIVAL_MARGIN = timedelta(seconds=1)     # new activity is dated CURSOR_LAG + this before the cycle reading it
ARRIVAL_GAP = timedelta(seconds=2)        # ... and at least this long after the previous cycle of the tenant began
PROBLEM_STATES = frozenset({"missing", "wrong", "not_updateable"})

DemoHook = Callable[[str, int, str, dict[str, Any]], None]
"""``(tenant, cycle number, event, data)``: the worker's progress events (``cycle_started``, ``page``, ``stage``,
``scored``, ``pushed``, ``cycle_finished``) plus ``activity`` {counts} when new activity arrived before a cycle."""


class DemoError(Exception):
    """The demo cannot start (a message for the user)."""


@dataclass(frozen=True)
class DemoSettings:
    cycles: int = 3                       # cycles per tenant before the report (the first one is the backfill)
    every_s: float = 3.0                  # the worker's interval for every tenant
    hubspot_contacts: int = 2000          # northwind's portal
    salesforce_leads: int = 800           # globex's org
    salesforce_contacts: int = 500
    activity: int = 60                    # new activities per CRM account before each later cycle
    seed: int = 7
    port: int = 0                         # the sandbox's port (0 = any free port)
    host: str = "127.0.0.1"
    db_url: str | None = None             # None = a SQLite file in a temporary folder, removed by close()
    timeout_s: float = 100.0              # give up waiting for the cycles after this long
    max_concurrent: int = 2

    def __post_init__(self) -> None:
        if self.cycles < 1:
            raise ValueError("cycles must be at least 1")
        if self.every_s < 2:
            raise ValueError("every_s must be at least 2 seconds")   # see ARRIVAL_MARGIN: arrivals need a gap


@dataclass
class MqlRow:
    person_id: str
    object_type: str                      # HubSpot "contacts", Salesforce "Lead" / "Contact"
    name: str
    email: str
    score: int | None                     # as the CRM holds it (None: not written)
    status: str | None
    reason: str                           # as the CRM holds it; the store's when the CRM holds none
    reason_written: bool                  # False: the CRM does not (yet) hold the reason
    cycle: int                            # the cycle that made the person MQL
    url: str                              # the record's page in the sandbox


@dataclass
class TenantReport:
    tenant: str
    crm: str
    account: str                          # HubSpot portal id / Salesforce org id
    cycles: list[dict[str, Any]]          # per cycle: number, status, error, pulled, changed, scored, new MQLs...
    people: int                           # persons in the store (live)
    pulled: int                           # records pulled, all streams, all cycles
    scored: int                           # evaluations, all cycles
    statuses: dict[str, int]              # current status -> persons
    mqls: int                             # persons who are MQL now
    new_mqls: int                         # persons who became MQL during the demo
    mqls_by_cycle: dict[int, int]
    examples: list[MqlRow]
    writes: dict[str, int]                # planned, done, retry, dead (summed over the cycles)
    api_calls: int
    api_calls_by_endpoint: dict[str, int]
    throttled: int
    record_url: str | None                # one MQL's page in the sandbox, to open in a browser
    provision: dict[str, int]             # provision state -> fields
    provision_problems: list[str]
    failed: bool                          # a cycle failed or the tenant did not finish its cycles in time

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mqls_by_cycle"] = {str(k): v for k, v in self.mqls_by_cycle.items()}
        return data


@dataclass
class DemoReport:
    sandbox_url: str
    database: str                         # the URL, or "temporary" when removed afterwards
    duration_s: float
    completed: bool                       # every tenant ran its cycles in time
    tenants: list[TenantReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.completed and not any(r.failed for r in self.tenants)

    def to_dict(self) -> dict[str, Any]:
        return {"sandbox_url": self.sandbox_url, "records_ui": f"{self.sandbox_url}/ui/", "database": self.database,
                "duration_s": self.duration_s, "completed": self.completed, "ok": self.ok,
                "tenants": [r.to_dict() for r in self.tenants]}


@dataclass
class TenantRun:
    """One tenant during the demo: its account, provisioning result and finished cycles."""

    tenant: Tenant
    account: str
    started: int = 0                      # cycles started
    began_at: datetime | None = None      # when the last cycle began pulling (its cursor limit is 60 s before)
    summaries: list[dict[str, Any]] = field(default_factory=list)   # finished cycles, in order
    provision: list[ProvisionItem] = field(default_factory=list)
    provision_error: str | None = None


class Demo:
    """Sandbox + example tenants + worker. ``start()``, ``wait()``, ``report()``, then ``close()`` (always)."""

    def __init__(self, settings: DemoSettings | None = None, *, hook: DemoHook | None = None,
                 examples: Path = EXAMPLES_DIR) -> None:
        self.settings = settings or DemoSettings()
        self.hook = hook
        self.examples = examples
        self.sandbox: Sandbox | None = None
        self.store: Store | None = None
        self.worker: Worker | None = None
        self.keep_advancing = False        # after the report (--serve): new activity before every cycle
        self._runs: dict[str, TenantRun] = {}
        self._lock = threading.Condition()
        self._tmp: str | None = None
        self._clock = time.monotonic()

    # ------------------------------------------------------------------ set-up
    def start(self) -> None:
        """Start the sandbox, create the accounts, load and provision the tenants, start the worker."""
        s = self.settings
        self._clock = time.monotonic()
        if s.db_url is None:
            self._tmp = tempfile.mkdtemp(prefix="crmsync-demo-")
        self.store = Store.open(s.db_url or f"sqlite:///{self._tmp}/demo.db")
        used = sorted(set(self.store.tenants()) & {HUBSPOT_TENANT, SALESFORCE_TENANT})
        if used:
            # its cursors and scores belong to an earlier sandbox whose generated data is gone
            raise DemoError(f"the database already holds cycles of {', '.join(used)}; give --db a new database "
                            "(the sandbox's data is generated afresh on every run)")
        self.sandbox = Sandbox(SandboxConfig(seed=s.seed, host=s.host)).start(port=s.port, host=s.host)
        sb = self.sandbox
        portal = sb.add_hubspot_portal(token=HUBSPOT_TOKEN, contacts=s.hubspot_contacts, seed=s.seed + 1)
        org = sb.add_salesforce_org(client_id=SALESFORCE_CLIENT_ID, client_secret=SALESFORCE_CLIENT_SECRET,
                                    leads=s.salesforce_leads, contacts=s.salesforce_contacts, seed=s.seed + 2)
        tenants = self.load_tenants(sb.url)
        accounts = {HUBSPOT_TENANT: portal, SALESFORCE_TENANT: org}
        for tenant in tenants:
            run = TenantRun(tenant, accounts[tenant.tenant])
            run.provision, run.provision_error = provision(tenant)
            self._runs[tenant.tenant] = run
        every = timedelta(seconds=s.every_s)
        self.worker = Worker(tenants, self.store, max_concurrent=s.max_concurrent, every=every,
                             jitter=timedelta(0), backoff_base=every, backoff_max=every,
                             progress=self._progress)
        self.worker.start()

    def load_tenants(self, url: str) -> list[Tenant]:
        """The example tenants, their CRM addresses and credentials pointed at the sandbox at ``url``."""
        env = {**os.environ, "NORTHWIND_HUBSPOT_URL": url, "NORTHWIND_HUBSPOT_TOKEN": HUBSPOT_TOKEN,
               "GLOBEX_SF_LOGIN_URL": url, "GLOBEX_SF_CLIENT_ID": SALESFORCE_CLIENT_ID,
               "GLOBEX_SF_CLIENT_SECRET": SALESFORCE_CLIENT_SECRET}
        tenants = load_tenants(self.examples, env=env)
        names = {t.tenant for t in tenants}
        if names != {HUBSPOT_TENANT, SALESFORCE_TENANT}:
            raise RuntimeError(f"the example tenants are {sorted(names)}; the demo expects "
                               f"{HUBSPOT_TENANT!r} (HubSpot) and {SALESFORCE_TENANT!r} (Salesforce)")
        return tenants

    # ------------------------------------------------------------------ while it runs
    def _progress(self, name: str, event: str, data: dict[str, Any]) -> None:
        """Worker progress (from pool threads): count cycles, bring new activity, pass the event on."""
        with self._lock:
            run = self._runs[name]
            if event == "cycle_started":
                run.started += 1
            elif event == "stage" and data.get("stage") == "pull":
                run.began_at = datetime.now(UTC)
            cycle = run.started
            finished = event == "cycle_finished"
            if finished:
                run.summaries.append(data["summary"])
        if event == "cycle_started" and cycle > 1 and (cycle <= self.settings.cycles or self.keep_advancing):
            counts = self.arrive(run)
            self._emit(name, cycle, "activity", {"counts": counts})
        self._emit(name, cycle, event, data)
        if finished:
            with self._lock:
                self._lock.notify_all()

    def arrive(self, run: TenantRun) -> dict[str, int]:
        """New activity in this tenant's CRM account, dated just past the coming cycle's cursor lag.

        Called as the cycle starts. Its date must lie after the previous cycle's read limit (that cycle's start
        minus CURSOR_LAG) with a second to spare (Salesforce stamps whole seconds), so with an interval near the
        minimum this waits until ARRIVAL_GAP has passed since the previous cycle began.
        """
        assert self.sandbox is not None
        if run.began_at is not None:
            wait = (run.began_at + ARRIVAL_GAP - datetime.now(UTC)).total_seconds()
            if wait > 0:
                time.sleep(wait)
        at = datetime.now(UTC) - CURSOR_LAG - ARRIVAL_MARGIN
        n = self.settings.activity
        if run.tenant.crm.kind == "hubspot":
            counts = self.sandbox.hubspot.advance_activity(n, now_ms=int(at.timestamp() * 1000))
            return dict(counts.get(run.account, {}))
        assert self.sandbox.salesforce is not None
        return dict(self.sandbox.salesforce.advance_activity(run.account, n, now=at))

    def _emit(self, name: str, cycle: int, event: str, data: dict[str, Any]) -> None:
        if self.hook is None:
            return
        try:
            self.hook(name, cycle, event, data)
        except Exception:
            log.exception("demo_display_failed", tenant=name, progress_event=event)

    def wait(self, timeout: float | None = None, stop: threading.Event | None = None) -> bool:
        """Block until every tenant finished ``cycles`` cycles; False when ``timeout`` (default: the settings'
        ``timeout_s`` since ``start()``) passed first or ``stop`` was set."""
        deadline = (time.monotonic() + timeout if timeout is not None
                    else self._clock + self.settings.timeout_s)
        with self._lock:
            while not all(len(r.summaries) >= self.settings.cycles for r in self._runs.values()):
                left = deadline - time.monotonic()
                if left <= 0 or (stop is not None and stop.is_set()):
                    return False
                self._lock.wait(min(left, 0.25))
        return True

    @property
    def runs(self) -> list[TenantRun]:
        """The tenants (by name) with their accounts and provisioning results."""
        with self._lock:
            return [self._runs[name] for name in sorted(self._runs)]

    def finished_cycles(self) -> dict[str, int]:
        with self._lock:
            return {name: len(r.summaries) for name, r in self._runs.items()}

    # ------------------------------------------------------------------ the report
    def report(self) -> DemoReport:
        """What the demo did, per tenant (the first ``cycles`` cycles), with the MQLs as the CRM holds them."""
        assert self.sandbox is not None and self.store is not None
        with self._lock:
            runs = {name: (r, list(r.summaries[: self.settings.cycles])) for name, r in self._runs.items()}
        completed = all(len(summaries) >= self.settings.cycles for _, summaries in runs.values())
        report = DemoReport(self.sandbox.url, "temporary" if self.settings.db_url is None else self.settings.db_url,
                            round(time.monotonic() - self._clock, 1), completed)
        for name in sorted(runs):
            run, summaries = runs[name]
            report.tenants.append(self._tenant_report(run, summaries))
        return report

    def _tenant_report(self, run: TenantRun, summaries: list[dict[str, Any]]) -> TenantReport:
        assert self.sandbox is not None and self.store is not None
        tenant = run.tenant
        cycles: list[dict[str, Any]] = []
        writes = {"planned": 0, "done": 0, "retry": 0, "dead": 0}
        api: dict[str, int] = {}
        mql_cycle: dict[str, int] = {}
        throttled = pulled = scored = 0
        for number, summary in enumerate(summaries, start=1):
            cycles.append(cycle_line(number, summary))
            for key in ("planned", "done", "dead"):
                writes[key] += int(summary.get("writes", {}).get(key, 0))
            writes["retry"] = int(summary.get("writes", {}).get("retry", 0))   # a state, not a count of events
            for endpoint, calls in (summary.get("api_calls") or {}).items():
                api[endpoint] = api.get(endpoint, 0) + int(calls)
            throttled += int(summary.get("throttled", 0))
            pulled += sum(int(s.get("pulled", 0)) for s in (summary.get("streams") or {}).values())
            scored += int(summary.get("scored", 0))
            for pid, _reason in summary.get("new_mqls") or []:
                mql_cycle.setdefault(str(pid), number)
        people, statuses = person_counts(self.store, tenant.tenant)
        by_cycle: dict[int, int] = {}
        for number in mql_cycle.values():
            by_cycle[number] = by_cycle.get(number, 0) + 1
        examples = self._examples(run, mql_cycle)
        problems = [f"{i.object_type}.{i.field}: {i.state} ({i.detail})" for i in run.provision
                    if i.state in PROBLEM_STATES]
        if run.provision_error:
            problems.append(run.provision_error)
        states: dict[str, int] = {}
        for item in run.provision:
            states[item.state] = states.get(item.state, 0) + 1
        failed = len(summaries) < self.settings.cycles or any(s.get("status") == "failed" for s in summaries)
        return TenantReport(
            tenant=tenant.tenant, crm=tenant.crm.kind, account=run.account, cycles=cycles, people=people,
            pulled=pulled, scored=scored, statuses=statuses, mqls=statuses.get("mql", 0), new_mqls=len(mql_cycle),
            mqls_by_cycle=dict(sorted(by_cycle.items())), examples=examples, writes=writes,
            api_calls=sum(api.values()), api_calls_by_endpoint=dict(sorted(api.items(), key=lambda kv: -kv[1])),
            throttled=throttled, record_url=examples[0].url if examples else None, provision=states,
            provision_problems=problems, failed=failed)

    def _examples(self, run: TenantRun, mql_cycle: Mapping[str, int], limit: int = 5) -> list[MqlRow]:
        """Up to ``limit`` of the demo's new MQLs, the later cycles' first (they arose from new activity)."""
        assert self.store is not None and self.sandbox is not None
        ts = self.store.for_tenant(run.tenant.tenant)
        candidates = []
        for pid, number in mql_cycle.items():
            score = ts.score(pid)
            person = ts.person(pid)
            if score is None or person is None or score.get("status") != "mql":
                continue
            candidates.append((number, int(score.get("score") or 0), pid, str(person["object_type"]),
                               str(score.get("mql_reason") or "")))
        # one per later cycle first, then the highest scores
        candidates.sort(key=lambda c: (-c[0], -c[1], c[2]))
        chosen: list[tuple[int, int, str, str, str]] = []
        for number in sorted({c[0] for c in candidates}, reverse=True):
            chosen += [c for c in candidates if c[0] == number][:2 if number > 1 else limit]
        chosen = sorted(chosen[:limit], key=lambda c: (c[0], -c[1], c[2]))
        return [self._mql_row(run, number, pid, object_type, stored)
                for number, _score, pid, object_type, stored in chosen]

    def _mql_row(self, run: TenantRun, cycle: int, pid: str, object_type: str, stored_reason: str) -> MqlRow:
        assert self.sandbox is not None
        fields = run.tenant.write_back.fields
        if run.tenant.crm.kind == "hubspot":
            held = hubspot_record(self.sandbox.url, pid, ["email", "firstname", "lastname", *fields.mapping().values()])
            name = " ".join(x for x in (held.get("firstname"), held.get("lastname")) if x)
            email = held.get("email") or ""
            obj = "contacts"
        else:
            assert self.sandbox.salesforce is not None
            held = self.sandbox.salesforce.record(run.account, object_type, pid) or {}
            name = " ".join(str(x) for x in (held.get("FirstName"), held.get("LastName")) if x)
            email = str(held.get("Email") or "")
            obj = object_type
        reason = str(held.get(fields.mql_reason) or "") if fields.mql_reason else ""
        raw_score = held.get(fields.score) if fields.score else None
        status = held.get(fields.status) if fields.status else None
        return MqlRow(person_id=pid, object_type=obj, name=name, email=email, score=_int(raw_score),
                      status=str(status) if status else None, reason=reason or stored_reason,
                      reason_written=bool(reason), cycle=cycle, url=self.sandbox.record_url(run.account, obj, pid))

    # ------------------------------------------------------------------ the end
    def stop_worker(self, timeout: float = 30.0) -> bool:
        if self.worker is None:
            return True
        worker, self.worker = self.worker, None
        return worker.stop(timeout=timeout)

    def close(self) -> None:
        """Stop the worker, the sandbox and the store; remove the temporary database. Safe to call twice."""
        self.stop_worker()
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def provision(tenant: Tenant) -> tuple[list[ProvisionItem], str | None]:
    """Create (HubSpot) or check (Salesforce) the tenant's write-back fields; never raises for CRM refusals."""
    try:
        connector = create_connector(tenant)
        try:
            return connector.provision(apply=True), None
        finally:
            connector.close()
    except ConnectorError as error:
        return [], f"provision failed: {error}"


def person_counts(store: Store, tenant: str) -> tuple[int, dict[str, int]]:
    """Live persons in the store, and their current scoring status -> count."""
    p, s = t.persons, t.scores
    live = sa.and_(p.c.tenant == tenant, sa.not_(p.c.deleted), p.c.merged_into.is_(None))
    with store.engine.connect() as conn:
        people = int(conn.execute(sa.select(sa.func.count()).select_from(p).where(live)).scalar() or 0)
        rows = conn.execute(
            sa.select(s.c.status, sa.func.count())
            .select_from(p.join(s, sa.and_(s.c.tenant == p.c.tenant, s.c.person_id == p.c.id)))
            .where(live).group_by(s.c.status)).all()
    return people, {str(status): int(n) for status, n in sorted(rows, key=lambda r: -int(r[1]))}


def cycle_line(number: int, summary: Mapping[str, Any]) -> dict[str, Any]:
    """One finished cycle in a few numbers (the display's line and the report's ``cycles``)."""
    streams = summary.get("streams") or {}
    writes = summary.get("writes") or {}
    return {
        "cycle": number, "status": summary.get("status"), "error": summary.get("error"),
        "pulled": sum(int(s.get("pulled", 0)) for s in streams.values()),
        "changed": sum(int(s.get("changed", 0)) for s in streams.values()),
        "scored": int(summary.get("scored", 0)), "new_mqls": len(summary.get("new_mqls") or []),
        "status_changes": dict(summary.get("status_changes") or {}),
        "writes_done": int(writes.get("done", 0)), "writes_dead": int(writes.get("dead", 0)),
        "api_calls": sum(int(v) for v in (summary.get("api_calls") or {}).values()),
        "duration_s": float(summary.get("duration_s", 0.0)),
    }


def hubspot_record(base_url: str, record_id: str, properties: list[str]) -> dict[str, Any]:
    """One contact's properties, read through the (sandbox) HubSpot API with the demo portal's token."""
    query = urllib.parse.urlencode({"properties": ",".join(properties)})
    request = urllib.request.Request(  # noqa: S310  (the sandbox on 127.0.0.1)
        f"{base_url}/crm/v3/objects/contacts/{urllib.parse.quote(record_id)}?{query}",
        headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return dict(json.loads(response.read()).get("properties") or {})
    except OSError:
        return {}


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
