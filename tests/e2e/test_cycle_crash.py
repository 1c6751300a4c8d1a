"""``crmsync sync`` killed with SIGKILL at many points against the HubSpot sandbox: after a rerun the
CRM equals an uninterrupted run's. (Per-write contradiction checks: tests/unit/sync/test_crash.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.cycle import run_cycle
from sync.store import Store

from .conftest import INDEX_LAG, HubSpotWorld

FIELDS = ["crmsync_fit_score", "crmsync_engagement_score", "crmsync_score", "crmsync_grade", "crmsync_status",
          "crmsync_mql_reason", "crmsync_mql_date", "lifecyclestage"]
CRMSYNC = str(Path(sys.executable).with_name("crmsync"))


def crmsync_sync(world: HubSpotWorld, folder: Path, db: Path, crash: str | None) -> int:
    env = {**os.environ, **world.env, "CRMSYNC_LOG_LEVEL": "WARNING"}
    env.pop("CRMSYNC_CRASH_AT", None)
    if crash:
        env["CRMSYNC_CRASH_AT"] = crash
    proc = subprocess.run([CRMSYNC, "sync", "--tenant", "e2e-hubspot", "--config", str(folder), "--db",
                           f"sqlite:///{db}", "--json"], env=env, capture_output=True, timeout=120, check=False)
    return proc.returncode


@pytest.mark.parametrize("crash", ["page_stored:2", "planned:1", "pushed:1"])
def test_killed_sync_then_rerun_equals_clean(hubspot: HubSpotWorld, hubspot_twin: HubSpotWorld, tmp_path: Path,
                                            crash: str) -> None:
    clean = Store.open(f"sqlite:///{tmp_path}/clean.db")
    assert run_cycle(hubspot.tenant, clean, now=datetime.now(UTC)).status == "ok"
    clean.close()
    folder = hubspot_twin.write_tenant(tmp_path / "tenants")
    db = tmp_path / "crash.db"
    assert crmsync_sync(hubspot_twin, folder, db, crash) == -9
    assert crmsync_sync(hubspot_twin, folder, db, None) == 0
    time.sleep(INDEX_LAG + 0.1)
    assert hubspot_twin.all_values(FIELDS) == hubspot.all_values(FIELDS)
