"""With injected 429s and 5xx the final CRM state equals a clean run's."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox import FaultRule
from sync.cycle import run_cycle
from sync.store import Store

from .conftest import INDEX_LAG, HubSpotWorld

FIELDS = ["crmsync_fit_score", "crmsync_engagement_score", "crmsync_score", "crmsync_grade", "crmsync_status",
          "crmsync_mql_reason", "crmsync_mql_date", "lifecyclestage"]


def settle(world: HubSpotWorld, store: Store, now: datetime, cycles: int = 6) -> list[Any]:
    statuses = []
    for n in range(cycles):
        summary = run_cycle(world.tenant, store, now=now + timedelta(minutes=15 * n))
        statuses.append(summary.status)
        time.sleep(INDEX_LAG + 0.1)
        if summary.status == "ok" and summary.writes["planned"] == 0 and n > 0:
            break
    return statuses


def test_faults_end_in_the_clean_state(hubspot: HubSpotWorld, hubspot_twin: HubSpotWorld, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    clean_store = Store.open(f"sqlite:///{tmp_path}/clean.db")
    faulty_store = Store.open(f"sqlite:///{tmp_path}/faulty.db")
    assert settle(hubspot, clean_store, now)[0] == "ok"
    sb = hubspot_twin.sb
    sb.inject_fault(FaultRule("rate_limit", probability=0.15, retry_after=0.05))
    sb.inject_fault(FaultRule("error", status=503, path="/batch/update", every=3))
    sb.inject_fault(FaultRule("error", status=502, path="/search", times=2))
    sb.inject_fault(FaultRule("error", status=500, path="/crm/v3/objects/contacts$", times=1))
    statuses = settle(hubspot_twin, faulty_store, now)
    sb.clear_faults()
    assert statuses[-1] == "ok", statuses
    assert any(e.status in (429, 500, 502, 503) for e in sb.requests())
    assert hubspot_twin.all_values(FIELDS) == hubspot.all_values(FIELDS)
    clean_store.close()
    faulty_store.close()
