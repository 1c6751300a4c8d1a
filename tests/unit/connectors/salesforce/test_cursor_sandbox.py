"""Cursor ties against the sandbox org: a record edited twice within the second the cursor stands at.

SystemModstamp has whole-second resolution. When the cursor lag cannot cover it (a worker clock ahead of
the CRM's, or a cycle started with a faked ``now``), a record read at the cursor's second and edited again
within that same second keeps its stamp; a cursor that skipped it by id would lose the edit for good.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from config import parse_tenant
from connectors.base import Cursor, Page, PersonRecord
from connectors.salesforce import SalesforceConnector
from tests.contract.salesforce_env import CLIENT_ID, CLIENT_SECRET, TENANT, _patch, _token

sandbox = pytest.importorskip("sandbox")

FROZEN = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)    # ahead of every seeded stamp
UNTIL = FROZEN + timedelta(hours=1)                                       # no lag covers the frozen second


@pytest.fixture
def world() -> Iterator[tuple[Any, SalesforceConnector]]:
    box = sandbox.Sandbox(sandbox.SandboxConfig(seed=3)).start(port=0)
    box.add_salesforce_org(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, leads=40, contacts=20, seed=21)
    tenant = parse_tenant(TENANT.format(url=box.url), env={"CONTRACT_SF_ID": CLIENT_ID,
                                                           "CONTRACT_SF_SECRET": CLIENT_SECRET})
    conn = SalesforceConnector(tenant)
    try:
        yield box, conn
    finally:
        conn.close()
        box.stop()


def pull(conn: SalesforceConnector, cursor: Cursor | None) -> tuple[list[PersonRecord], Cursor]:
    pages: list[Page] = list(conn.pull("leads", cursor, until=UNTIL))
    return [p for page in pages for p in page.persons], pages[-1].cursor


def test_a_record_edited_twice_within_the_cursor_second_is_read_again(world: tuple[Any, SalesforceConnector]) -> None:
    box, conn = world
    box.salesforce.set_clock(lambda: FROZEN)          # every edit below lands in the same second
    persons, cursor = pull(conn, None)
    target = next(p.id for p in persons if not p.read_only and not p.deleted)
    token = _token(box.url)

    _patch(box.url, token, f"sobjects/Lead/{target}", {"Title": "Director of First Edits"})
    persons, cursor = pull(conn, cursor)
    assert [(p.id, p.fields["title"]) for p in persons] == [(target, "Director of First Edits")]
    assert cursor["ts"].startswith(FROZEN.strftime("%Y-%m-%dT%H:%M:%S"))

    _patch(box.url, token, f"sobjects/Lead/{target}", {"Title": "VP of Second Edits"})   # same second again
    persons, cursor = pull(conn, cursor)
    assert [(p.id, p.fields["title"]) for p in persons] == [(target, "VP of Second Edits")]

    # once the second has ended on the org's clock, the cursor claims it and a no-change pull reads nothing
    box.salesforce.set_clock(lambda: FROZEN + timedelta(seconds=5))
    persons, cursor = pull(conn, cursor)
    assert [p.id for p in persons] == [target]         # read once more: the second was still open
    conn.take_usage()
    persons, after = pull(conn, cursor)
    assert persons == []
    assert after == cursor
    assert conn.take_usage().calls == {"salesforce.query_all": 1}
