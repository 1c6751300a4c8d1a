"""``crmsync run`` as a subprocess against the sandbox: two tenants on their schedules, /metrics and /status,
SIGHUP with a broken and then a changed tenant file, faults in one tenant while the other carries on, and
SIGTERM in the middle of a cycle with exit 0 and nothing lost."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import FaultRule
from tests.e2e.conftest import SALESFORCE_TENANT, HubSpotWorld, SalesforceWorld

pytestmark = pytest.mark.slow

CRMSYNC = str(Path(sys.executable).with_name("crmsync"))
FIELDS = ["crmsync_fit_score", "crmsync_score", "crmsync_status", "crmsync_mql_reason"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningWorker:
    """A ``crmsync run`` child process and its HTTP endpoint."""

    def __init__(self, config: Path, db: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            [CRMSYNC, "run", "--config", str(config), "--db", f"sqlite:///{db}", "--http-host", "127.0.0.1",
             "--http-port", str(self.port), "--every", "2s", "--stop-timeout", "30"],
            env={**os.environ, **env, "CRMSYNC_LOG_LEVEL": "INFO"}, stdout=self._log_file, stderr=subprocess.STDOUT)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:  # noqa: S310 (127.0.0.1)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def metrics(self) -> dict[str, float]:
        """Every sample of /metrics as ``name{labels}`` -> value (labels in prometheus_client's order)."""
        code, text = self.get("/metrics")
        assert code == 200
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def metric(self, name: str, **labels: str) -> float:
        want = {f'{k}="{v}"' for k, v in labels.items()}
        total = 0.0
        for key, value in self.metrics().items():
            base, _, rest = key.partition("{")
            if base == name and want <= set(re.findall(r'\w+="[^"]*"', rest)):
                total += value
        return total

    def status(self) -> dict[str, Any]:
        code, text = self.get("/status")
        assert code == 200
        return dict(json.loads(text))

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"crmsync run exited early:\n{self.log.read_text()[-3000:]}"
            try:
                if check():
                    return
            except (OSError, AssertionError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; log tail:\n{self.log.read_text()[-3000:]}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log_file.close()


@pytest.fixture
def worker_world(tmp_path: Path, hubspot: HubSpotWorld, salesforce: SalesforceWorld) -> Iterator[dict[str, Any]]:
    config = tmp_path / "tenants"
    hubspot.write_tenant(config)
    (config / "e2e-salesforce.yaml").write_text(SALESFORCE_TENANT.format(url=salesforce.sb.url))
    env = {**hubspot.env, "E2E_SF_ID": "3MVG9e2e-client", "E2E_SF_SECRET": "e2e-client-secret-0001"}
    worker = RunningWorker(config, tmp_path / "worker.db", env, tmp_path / "worker.log")
    try:
        yield {"worker": worker, "config": config, "env": env, "db": tmp_path / "worker.db"}
    finally:
        worker.close()


def test_run_two_tenants_reload_faults_and_sigterm(worker_world: dict[str, Any], hubspot: HubSpotWorld,
                                                   salesforce: SalesforceWorld) -> None:
    w: RunningWorker = worker_world["worker"]
    config: Path = worker_world["config"]
    hs, sf = "e2e-hubspot", "e2e-salesforce"

    # 1. both tenants complete cycles, seen through /metrics; ready; /status per tenant
    w.wait_for("a first successful cycle of both tenants",
               lambda: w.metric("crmsync_cycles_total", tenant=hs, status="ok") >= 1
               and w.metric("crmsync_cycles_total", tenant=sf, status="ok") >= 1)
    assert w.get("/healthz") == (200, "ok\n")
    assert w.get("/readyz") == (200, "ready\n")
    assert w.metric("crmsync_records_pulled_total", tenant=hs, stream="contacts") >= 100
    assert w.metric("crmsync_writes_total", tenant=hs, outcome="done") >= 1
    assert w.metric("crmsync_writes_total", tenant=sf, outcome="done") >= 1
    assert w.metric("crmsync_api_calls_total", tenant=sf) > 0
    assert w.metric("crmsync_last_success_timestamp_seconds", tenant=hs) > time.time() - 120
    status = w.status()
    assert set(status["tenants"]) == {hs, sf}
    assert status["tenants"][hs]["last_cycle"]["status"] == "ok"
    assert status["config"]["error"] is None

    # 2. faults in Salesforce only: its cycles fail and back off; HubSpot's keep succeeding
    salesforce.sb.inject_fault(FaultRule("error", path="/query", status=400))
    w.wait_for("a failed Salesforce cycle", lambda: w.metric("crmsync_consecutive_failures", tenant=sf) >= 1)
    hs_ok = w.metric("crmsync_cycles_total", tenant=hs, status="ok")
    w.wait_for("HubSpot cycles going on", lambda: w.metric("crmsync_cycles_total", tenant=hs, status="ok") >= hs_ok + 2)
    sf_status = w.status()["tenants"][sf]
    assert sf_status["last_cycle"]["status"] == "failed"
    assert sf_status["backoff_until"] is not None
    assert w.status()["tenants"][hs]["consecutive_failures"] == 0
    assert w.get("/readyz")[0] == 200           # one failing tenant does not make the worker unready
    salesforce.sb.clear_faults()

    # 3. SIGHUP with a broken file: the last good configuration is kept and the reason is reported
    tenant_file = config / "e2e-hubspot.yaml"
    good = tenant_file.read_text()
    tenant_file.write_text(good.replace("points: 30", "points: lots"))
    w.proc.send_signal(signal.SIGHUP)
    w.wait_for("the broken file reported", lambda: w.status()["config"]["error"] is not None)
    error = w.status()["config"]["error"]
    assert "e2e-hubspot.yaml" in error and "points" in error
    assert w.metric("crmsync_config_valid") == 0
    hs_ok = w.metric("crmsync_cycles_total", tenant=hs, status="ok")
    w.wait_for("HubSpot going on with the last good file",
               lambda: w.metric("crmsync_cycles_total", tenant=hs, status="ok") > hs_ok)

    # 4. SIGHUP with a changed model, then SIGTERM in the middle of the cycle that rescores everyone
    hubspot.sb.inject_fault(FaultRule("delay", delay_s=0.3))         # make every HubSpot call slow
    tenant_file.write_text(good.replace("points: 30", "points: 35"))
    scored = w.metric("crmsync_persons_scored_total", tenant=hs)
    w.proc.send_signal(signal.SIGHUP)
    w.wait_for("the changed file applied", lambda: w.metric("crmsync_config_valid") == 1, timeout=30)
    w.wait_for("a HubSpot cycle rescoring everyone",
               lambda: w.metric("crmsync_persons_scored_total", tenant=hs) >= scored + 100
               and w.metric("crmsync_cycle_running", tenant=hs) == 1)
    w.proc.send_signal(signal.SIGTERM)
    assert w.proc.wait(timeout=45) == 0
    log = w.log.read_text()
    assert "worker_stopped" in log
    assert hubspot.env["E2E_HS_TOKEN"] not in log and "e2e-client-secret-0001" not in log

    # nothing lost: one more cycle by hand finishes what was pending; the CRM then holds the stored scores
    hubspot.sb.clear_faults()
    done = subprocess.run([CRMSYNC, "sync", "--tenant", hs, "--config", str(config), "--db",
                           f"sqlite:///{worker_world['db']}", "--json"],
                          env={**os.environ, **worker_world["env"]}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    crm = hubspot.all_values(FIELDS)
    with sqlite3.connect(worker_world["db"]) as db:
        stored = dict(db.execute("SELECT person_id, score FROM scores WHERE tenant = ?", (hs,)).fetchall())
        stopped = db.execute("SELECT count(*) FROM runs WHERE tenant = ? AND status = 'stopped'", (hs,)).fetchone()[0]
        pending = db.execute("SELECT count(*) FROM outbox WHERE tenant = ? AND state IN ('pending', 'retry')",
                             (hs,)).fetchone()[0]
    assert stopped == 1                      # SIGTERM did land in the middle of a cycle
    assert pending == 0
    assert stored and all(str(stored[pid]) == crm[pid]["crmsync_score"] for pid in stored if pid in crm)
    assert any(crm[pid]["crmsync_fit_score"] in ("35", "45") for pid in stored if pid in crm)   # the new model's points
