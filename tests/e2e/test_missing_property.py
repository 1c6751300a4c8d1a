"""A write-back property missing in HubSpot fails the cycle once, keeps every write, and after
`crmsync provision` the next cycle writes them (no dead letters, no record-by-record splitting)."""

from __future__ import annotations

from config import parse_tenant
from connectors.registry import create_connector
from sandbox import HubSpotSettings, Sandbox, SandboxConfig
from sync.cycle import run_cycle
from sync.outbox import Outbox
from sync.store import Store
from tests.e2e.conftest import HS_TOKEN, HUBSPOT_TENANT


def test_missing_property_fails_the_cycle_and_keeps_the_writes_until_provisioned(tmp_path: object) -> None:
    with Sandbox(SandboxConfig(hubspot=HubSpotSettings(search_index_lag_s=0))) as sb:
        portal = sb.add_hubspot_portal(token=HS_TOKEN, contacts=120, seed=5)
        tenant = parse_tenant(HUBSPOT_TENANT.format(url=sb.url), env={"E2E_HS_TOKEN": HS_TOKEN})
        store = Store.open(f"sqlite:///{tmp_path}/crmsync.db")
        try:
            first = run_cycle(tenant, store)               # not provisioned: crmsync_* properties do not exist
            assert first.status == "failed"
            assert first.error is not None and "crmsync provision --tenant e2e-hubspot" in first.error
            assert "PROPERTY_DOESNT_EXIST" in first.error
            updates = [e for e in sb.requests(portal) if e.path.endswith("/batch/update")]
            assert len(updates) == 1                        # no splitting of the batch record by record
            states = Outbox(store.for_tenant("e2e-hubspot")).states()
            assert states.get("dead", 0) == 0 and states.get("pending", 0) == first.writes["planned"] > 0

            connector = create_connector(tenant)
            connector.provision()
            connector.close()
            second = run_cycle(tenant, store)
            assert second.status == "ok", second.error
            assert second.writes["done"] == first.writes["planned"]
            assert Outbox(store.for_tenant("e2e-hubspot")).states().get("pending", 0) == 0
        finally:
            store.close()
