"""The worker in-process (sync.service.Worker) against the sandbox: backoff and recovery of a failing tenant
beside a healthy one, reload of added, broken and removed tenant files, safe stop, and the HTTP endpoint."""

from __future__ import annotations

import itertools
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from config import parse_tenant
from connectors.registry import create_connector
from sandbox import FaultRule, HubSpotSettings, Sandbox, SandboxConfig
from sync.cli.app import cli
from sync.health import HealthServer
from sync.service import Worker
from sync.store import Store

TOKENS = {"alpha": "pat-na1-00000000-0000-4000-8000-00000000a1fa", "beta": "pat-na1-00000000-0000-4000-8000-00000000be7a"}
TENANT = """
tenant: {name}
crm:
  kind: hubspot
  base_url: {url}
  access_token: {token}
  rate_limit: {{per_10s: 1000, search_per_s: 50}}
schedule: {{every: 10s, jitter: 0s}}
scoring:
  fit:
    - label: Senior title
      when: {{title: {{matches: "(?i)\\\\b(vp|director|chief)\\\\b"}}}}
      points: 30
  engagement:
    - label: Meeting
      activity: meeting
      points: 20
  mql: {{fit_min: 20, engagement_min: 15}}
"""


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class World:
    def __init__(self, sb: Sandbox, tmp: Path) -> None:
        self.sb = sb
        self.config = tmp / "tenants"
        self.config.mkdir()
        self.portals = {name: sb.add_hubspot_portal(token=token, contacts=40, seed=i)
                        for i, (name, token) in enumerate(TOKENS.items())}
        self.store = Store.open(f"sqlite:///{tmp}/worker.db")

    def text(self, name: str) -> str:
        return TENANT.format(name=name, url=self.sb.url, token=TOKENS[name])

    def write(self, name: str, text: str | None = None) -> Path:
        path = self.config / f"{name}.yaml"
        path.write_text(text if text is not None else self.text(name))
        tenant = parse_tenant(self.text(name))
        connector = create_connector(tenant)
        connector.provision()
        connector.close()
        return path

    def worker(self, names: list[str], **options: Any) -> Worker:
        tenants = [parse_tenant(self.text(n)) for n in names]
        options.setdefault("every", timedelta(seconds=1))
        return Worker(tenants, self.store, config_path=str(self.config), **options)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with Sandbox(SandboxConfig(hubspot=HubSpotSettings(search_index_lag_s=0))) as sb:
        w = World(sb, tmp_path)
        yield w
        w.store.close()


def tenant_status(worker: Worker, name: str) -> dict[str, Any]:
    return dict(worker.status()["tenants"][name])


def test_failing_tenant_backs_off_and_recovers_while_the_other_runs(world: World) -> None:
    world.write("alpha")
    world.write("beta")
    world.sb.inject_fault(FaultRule("error", status=400, account=world.portals["alpha"]))
    worker = world.worker(["alpha", "beta"], backoff_base=timedelta(seconds=2), backoff_max=timedelta(seconds=2))
    worker.start()
    try:
        wait_for("alpha failing", lambda: tenant_status(worker, "alpha")["consecutive_failures"] >= 1)
        alpha = tenant_status(worker, "alpha")
        assert alpha["last_cycle"]["status"] == "failed"
        assert "sandbox fault" in alpha["last_cycle"]["error"]
        assert alpha["backoff_until"] is not None
        beta_cycles = tenant_status(worker, "beta")["cycles"]
        wait_for("beta going on", lambda: tenant_status(worker, "beta")["cycles"] >= beta_cycles + 2)
        assert tenant_status(worker, "beta")["consecutive_failures"] == 0
        metrics = worker.metrics.render().decode()
        assert 'crmsync_consecutive_failures{tenant="alpha"}' in metrics
        assert 'crmsync_cycles_total{status="failed",tenant="alpha"}' in metrics

        world.sb.clear_faults()
        wait_for("alpha recovering", lambda: tenant_status(worker, "alpha")["last_cycle"]["status"] == "ok")
        alpha = tenant_status(worker, "alpha")
        assert alpha["consecutive_failures"] == 0 and alpha["backoff_until"] is None
        assert alpha["last_cycle"]["writes"]["done"] > 0
    finally:
        assert worker.stop(timeout=30)


def test_reload_adds_keeps_last_good_and_removes(world: World) -> None:
    world.write("alpha")
    worker = world.worker(["alpha"])
    worker.start()
    try:
        wait_for("alpha's first cycle", lambda: tenant_status(worker, "alpha")["cycles"] >= 1)
        beta = world.write("beta")
        assert worker.reload() is None
        assert set(worker.status()["tenants"]) == {"alpha", "beta"}
        wait_for("beta's first cycle", lambda: tenant_status(worker, "beta")["last_cycle"] is not None)
        assert tenant_status(worker, "beta")["last_cycle"]["status"] == "ok"

        beta.write_text(world.text("beta").replace("points: 30", "points: many"))
        why = worker.reload()
        assert why is not None and "beta.yaml:" in why and "points" in why
        assert worker.status()["config"]["error"] == why
        assert set(worker.status()["tenants"]) == {"alpha", "beta"}          # the last good configuration
        assert "crmsync_config_valid 0.0" in worker.metrics.render().decode()
        cycles = tenant_status(worker, "beta")["cycles"]
        wait_for("beta going on meanwhile", lambda: tenant_status(worker, "beta")["cycles"] > cycles)

        beta.unlink()
        assert worker.reload() is None
        assert set(worker.status()["tenants"]) == {"alpha"}
        assert worker.status()["config"]["error"] is None
        assert "crmsync_config_valid 1.0" in worker.metrics.render().decode()
    finally:
        assert worker.stop(timeout=30)


def test_stop_ends_a_running_cycle_at_a_safe_point(world: World) -> None:
    world.write("alpha")
    world.sb.inject_fault(FaultRule("delay", delay_s=0.2, account=world.portals["alpha"]))
    started: list[str] = []
    worker = world.worker(["alpha"], progress=lambda tenant, event, data: started.append(event))
    worker.start()
    wait_for("a cycle in the middle of its pull", lambda: "page" in started)
    assert worker.stop(timeout=30)
    last = tenant_status(worker, "alpha")["last_cycle"]
    assert last["status"] == "stopped"
    assert worker.status()["stopping"] is True
    runs = world.store.recent_runs("alpha")
    assert runs[0]["status"] == "stopped"


def test_stop_reports_a_cycle_that_outlives_the_timeout(world: World) -> None:
    world.write("alpha")
    world.sb.inject_fault(FaultRule("delay", delay_s=3.0, account=world.portals["alpha"], times=1))
    events: list[str] = []
    worker = world.worker(["alpha"], progress=lambda tenant, event, data: events.append(event))
    worker.start()
    wait_for("the cycle started", lambda: "cycle_started" in events)
    time.sleep(0.2)
    assert worker.stop(timeout=0.2) is False
    wait_for("the cycle to end by itself", lambda: "cycle_finished" in events, timeout=30)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (127.0.0.1)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_http_endpoint(world: World) -> None:
    world.write("alpha")
    worker = world.worker(["alpha"])
    server = HealthServer(worker, host="127.0.0.1", port=0).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        worker.start()
        wait_for("a cycle", lambda: tenant_status(worker, "alpha")["cycles"] >= 1)
        assert _get(base + "/healthz") == (200, "ok\n")
        assert _get(base + "/readyz") == (200, "ready\n")
        code, body = _get(base + "/metrics")
        assert code == 200 and 'crmsync_cycles_total{status="ok",tenant="alpha"}' in body
        assert 'crmsync_api_calls_total{endpoint=' in body and "crmsync_outbox_depth" in body
        code, body = _get(base + "/status")
        status = json.loads(body)
        assert code == 200 and status["tenants"]["alpha"]["crm"] == "hubspot"
        assert TOKENS["alpha"] not in body
        assert _get(base + "/nope")[0] == 404
        assert worker.stop(timeout=30)
        assert _get(base + "/healthz") == (503, "stopping\n")
        assert _get(base + "/readyz") == (503, "stopping\n")
    finally:
        server.close()


def test_readyz_without_tenants(world: World) -> None:
    worker = Worker([], world.store)
    server = HealthServer(worker, host="127.0.0.1", port=0).start()
    try:
        assert _get(f"http://127.0.0.1:{server.port}/readyz") == (503, "no tenants loaded\n")
    finally:
        server.close()


def test_run_command_refuses_to_start_without_work(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["run", "--config", str(empty), "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    assert "no tenant files (*.yaml) in this folder" in result.output

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "t.yaml").write_text("tenant: t\ncrm: {kind: hubspot, access_token: x}\nschedule: {every: 2s}\n")
    result = CliRunner().invoke(cli, ["run", "--config", str(bad), "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    assert "t.yaml:3: schedule: `every` must be at least 10s" in result.output


def test_run_command_says_when_the_port_is_taken(world: World, tmp_path: Path) -> None:
    world.write("alpha")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["run", "--config", str(world.config), "--db", f"sqlite:///{tmp_path}/y.db",
                                          "--http-host", "127.0.0.1", "--http-port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


@pytest.mark.postgres
def test_two_replicas_on_postgresql_share_a_tenant_and_never_run_it_at_the_same_time(world: World) -> None:
    from tests.unit.sync.conftest import _drop_schema, _postgres_url
    url = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432 (database test)")
    world.write("alpha")
    world.sb.inject_fault(FaultRule("delay", delay_s=0.05, account=world.portals["alpha"]))
    stores = [Store.open(url), Store.open(url)]
    replicas = [Worker([parse_tenant(world.text("alpha"))], s, every=timedelta(seconds=1)) for s in stores]
    try:
        for replica in replicas:
            replica.start()
        wait_for("four cycles between them", lambda: len(stores[0].recent_runs("alpha", limit=10)) >= 4, timeout=60)
    finally:
        for replica in replicas:
            assert replica.stop(timeout=30)
        runs = stores[0].recent_runs("alpha", limit=1000)
        for s in stores:
            s.close()
        _drop_schema(url)
    statuses = [r.metrics.render().decode() for r in replicas]
    assert any('crmsync_cycles_total{status="skipped",tenant="alpha"}' in m for m in statuses)
    assert any('crmsync_cycles_total{status="ok",tenant="alpha"}' in m for m in statuses)
    ran = sorted((r["started_at"], r["finished_at"]) for r in runs if r["status"] != "skipped")
    assert len(ran) >= 4
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(ran))   # never two at once


def test_a_replica_skips_a_cycle_another_started_recently(world: World, tmp_path: Path) -> None:
    world.write("alpha")
    first = world.worker(["alpha"], every=timedelta(hours=1))
    first.start()
    try:
        wait_for("the first replica's cycle", lambda: tenant_status(first, "alpha")["cycles"] >= 1)
    finally:
        assert first.stop(timeout=30)
    assert tenant_status(first, "alpha")["last_cycle"]["status"] == "ok"

    other_store = Store.open(f"sqlite:///{tmp_path}/worker.db")       # the same database, another handle
    second = Worker([parse_tenant(world.text("alpha"))], other_store, every=timedelta(hours=1))
    second.start()
    try:
        wait_for("the second replica to decide",
                 lambda: 'crmsync_cycles_total{status="skipped",tenant="alpha"} 1.0' in second.metrics.render().decode())
        status = tenant_status(second, "alpha")
        assert status["cycles"] == 0                                   # it ran nothing
        assert status["last_success_at"] is not None                   # but knows when the tenant last succeeded
        assert len(world.store.recent_runs("alpha")) == 1
    finally:
        assert second.stop(timeout=30)
        other_store.close()


def test_a_changed_tenant_file_ends_its_backoff(world: World) -> None:
    path = world.write("alpha")
    world.sb.inject_fault(FaultRule("error", status=400, account=world.portals["alpha"]))
    worker = world.worker(["alpha"], backoff_base=timedelta(hours=1), backoff_max=timedelta(hours=1))
    worker.start()
    try:
        wait_for("alpha failing", lambda: tenant_status(worker, "alpha")["consecutive_failures"] >= 1)
        assert tenant_status(worker, "alpha")["backoff_until"] is not None
        world.sb.clear_faults()                                         # the operator fixes the cause...
        path.write_text(world.text("alpha").replace("points: 20", "points: 25"))   # ...and the file
        assert worker.reload() is None
        assert tenant_status(worker, "alpha")["backoff_until"] is None
        wait_for("alpha tried again at once", lambda: tenant_status(worker, "alpha")["last_cycle"]["status"] == "ok")
    finally:
        assert worker.stop(timeout=30)


def test_a_tenants_connector_lives_across_cycles_one_login(world: World) -> None:
    from tests.e2e.conftest import SALESFORCE_TENANT, SF_ID, SF_SECRET
    org = world.sb.add_salesforce_org(client_id=SF_ID, client_secret=SF_SECRET, leads=30, contacts=20, seed=3)
    tenant = parse_tenant(SALESFORCE_TENANT.format(url=world.sb.url), env={"E2E_SF_ID": SF_ID, "E2E_SF_SECRET": SF_SECRET})
    worker = Worker([tenant], world.store, every=timedelta(seconds=1))
    worker.start()
    try:
        wait_for("three cycles", lambda: tenant_status(worker, "e2e-salesforce")["cycles"] >= 3)
    finally:
        assert worker.stop(timeout=30)
    assert tenant_status(worker, "e2e-salesforce")["last_cycle"]["status"] == "ok"
    logins = [e for e in world.sb.requests(org) if e.path.endswith("/oauth2/token")]
    assert len(logins) == 1


def test_a_recent_stopped_cycle_elsewhere_does_not_stand_in_for_one(world: World) -> None:
    from datetime import UTC, datetime

    from sync import tables as t
    from sync.bulk import upsert
    world.write("alpha")
    started = datetime.now(UTC)
    with world.store.engine.begin() as conn:             # another replica's cycle, cut short by its SIGTERM
        upsert(conn, t.runs, [{"tenant": "alpha", "run_id": "elsewhere", "started_at": started,
                               "finished_at": started, "status": "stopped", "error": None, "summary": {}}], guard=None)
    worker = world.worker(["alpha"], every=timedelta(hours=1))
    worker.start()
    try:
        wait_for("a cycle of its own", lambda: tenant_status(worker, "alpha")["cycles"] >= 1)
    finally:
        assert worker.stop(timeout=30)
    assert tenant_status(worker, "alpha")["last_cycle"]["status"] == "ok"
