"""HubSpot only: incremental search past the 10,000-result cap against the sandbox (re-anchoring)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from config import parse_tenant
from connectors.hubspot import HubSpotConnector
from tests.contract.hubspot_env import TENANT

TOKEN = "pat-na1-00000000-0000-4000-8000-0000000010k0"


def test_search_past_ten_thousand_reanchors(sandbox: Any) -> None:
    sandbox.reset()
    from sandbox import RateLimits

    limits = RateLimits(per_10s=2000, search_per_s=50)      # a limit pack: keeps the test fast
    portal = sandbox.add_hubspot_portal(token=TOKEN, contacts=10_400, seed=5, rate_limit=limits, page_views=False)
    text = TENANT.format(url=sandbox.url).replace("per_10s: 100, search_per_s: 5", "per_10s: 2000, search_per_s: 50")
    tenant = parse_tenant(text, env={"CONTRACT_HS_TOKEN": TOKEN})
    connector = HubSpotConnector(tenant)
    try:
        sandbox.clear_requests()
        pages = list(connector.pull("contacts", {"ts": 0, "ids": []}, until=datetime.now(UTC)))
        ids = [p.id for page in pages for p in page.persons if p.merged_into is None]
        listed = [p.id for page in connector.pull("contacts", None, until=datetime.now(UTC), full=True)
                  for p in page.persons if p.merged_into is None]
    finally:
        connector.close()
    assert len(ids) == len(set(ids))
    assert set(ids) == set(listed)
    assert len(ids) >= 10_000
    stamps = [page.cursor["ts"] for page in pages]
    assert stamps == sorted(stamps)
    log = sandbox.requests(portal)
    assert not [r for r in log if getattr(r, "status", 200) == 400]
