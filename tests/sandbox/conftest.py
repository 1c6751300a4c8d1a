"""One sandbox server for the whole session, reset before every test that uses it (``sb``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import hubspot
import pytest

from sandbox import HubSpotSettings, RateLimits, Sandbox, SandboxConfig

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TOKEN = "pat-na1-11111111-2222-4333-8444-555555555555"
UNLIMITED = RateLimits(per_10s=0, search_per_s=0, daily=0)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    config = SandboxConfig(seed=7, now=NOW, hubspot=HubSpotSettings(limits=UNLIMITED, search_index_lag_s=0))
    with Sandbox(config).start(port=0) as sb:
        yield sb


@pytest.fixture
def sb(sandbox_server: Sandbox) -> Sandbox:
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def portal(sb: Sandbox) -> str:
    return sb.add_hubspot_portal(token=TOKEN, contacts=300, seed=1)


@pytest.fixture
def client(sb: Sandbox, portal: str) -> Any:
    return hubspot.Client.create(access_token=TOKEN, host=sb.url)


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
