from __future__ import annotations

from collections.abc import Iterator

import pytest

from config import Tenant, parse_tenant
from connectors.hubspot import HubSpotConnector
from tests.unit.connectors.hubspot.stub import TOKEN, Stub, serve

TENANT = """
tenant: acme
crm:
  kind: hubspot
  base_url: {url}
  access_token: ${{HS_TOKEN}}
  rate_limit: {{per_10s: 1000, search_per_s: 100}}
fields:
  seniority: hs_seniority
scoring:
  fit:
    - label: Everyone
      points: 1
  mql: {{fit_min: 1}}
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_tenant(url: str, token: str = TOKEN) -> Tenant:
    return parse_tenant(TENANT.format(url=url), env={"HS_TOKEN": token})


@pytest.fixture
def stub() -> Iterator[Stub]:
    yield from serve(Stub())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def connector(stub: Stub, clock: FakeClock) -> Iterator[HubSpotConnector]:
    conn = HubSpotConnector(make_tenant(stub.url), sleep=clock.sleep, clock=clock)
    yield conn
    conn.close()
