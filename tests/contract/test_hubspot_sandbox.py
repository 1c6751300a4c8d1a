"""HubSpot-only behaviour against the sandbox: events, engagements and merges."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from typing import Any

from config import parse_tenant
from connectors.hubspot import HubSpotConnector
from tests.contract.hubspot_env import TENANT

TOKEN = "pat-na1-00000000-0000-4000-8000-00000000e7e7"


def make(sandbox: Any, events: bool = True) -> HubSpotConnector:
    sandbox.reset()
    sandbox.add_hubspot_portal(token=TOKEN, contacts=200, seed=3)
    text = TENANT.format(url=sandbox.url)
    if events:
        text = text.replace("  rate_limit:", "  events: {enabled: true}\n  rate_limit:")
    return HubSpotConnector(parse_tenant(text, env={"CONTRACT_HS_TOKEN": TOKEN}))


def test_events_engagements_and_merges(sandbox: Any) -> None:
    connector = make(sandbox)
    try:
        assert connector.streams()[-1] == "events"
        until = datetime.now(UTC)
        pages = list(connector.pull("events", None, until=until))
        views = [a for page in pages for a in page.activities]
        assert views
        assert all(a.type == "page_view" and a.attributes["url"] for a in views)
        assert len({a.id for a in views}) == len(views)
        assert list(connector.pull("events", pages[-1].cursor, until=until)) == []
        kinds = {}
        for stream in ("meetings", "calls", "emails"):
            kinds[stream] = {a.type for page in connector.pull(stream, None, until=until) for a in page.activities}
        assert kinds == {"meetings": {"meeting"}, "calls": {"call"}, "emails": {"email_reply"}}
        contacts = [p for page in connector.pull("contacts", None, until=until, full=True) for p in page.persons]
        winner, loser = contacts[0].id, contacts[1].id
        request = urllib.request.Request(  # noqa: S310  (the local sandbox)
            f"{sandbox.url}/crm/v3/objects/contacts/merge", method="POST",
            data=json.dumps({"primaryObjectId": winner, "objectIdToMerge": loser}).encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()
        merged = [p for page in connector.pull("contacts", None, until=datetime.now(UTC), full=True)
                  for p in page.persons if p.merged_into]
        assert any(p.id == loser and p.merged_into for p in merged)
    finally:
        connector.close()
