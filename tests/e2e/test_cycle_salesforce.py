from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sync import tables as t
from sync.cycle import run_cycle
from sync.store import Store

from .conftest import SalesforceWorld


def test_salesforce_cycles(salesforce: SalesforceWorld, store: Store) -> None:
    now = datetime.now(UTC)
    first = run_cycle(salesforce.tenant, store, now=now)
    assert first.status == "ok", first.error
    assert first.writes["done"] == first.writes["planned"] > 100
    assert first.writes["dead"] == 0
    ts = store.for_tenant(salesforce.tenant.tenant)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.persons.c.id, t.persons.c.object_type).where(
            t.persons.c.tenant == ts.tenant, sa.not_(t.persons.c.deleted), sa.not_(t.persons.c.read_only))
            .order_by(t.persons.c.id).limit(5)).all()
    for pid, sobject in rows:
        score = ts.score(pid)
        assert score is not None
        held = salesforce.record(sobject, pid)
        assert held["Fit_Score__c"] == score["fit"]
        assert held["Score__c"] == score["score"]
        assert held["MQL_Status__c"] == score["status"]
        assert held["Grade__c"] == score["grade"]
    # the echo: nothing written
    time.sleep(0.3)
    salesforce.sb.clear_requests()
    second = run_cycle(salesforce.tenant, store, now=now + timedelta(minutes=15))
    assert second.status == "ok", second.error
    assert salesforce.writes() == []
    # our own writes come back (the leads and contacts are pulled again) and change nothing
    assert second.streams["leads"]["pulled"] + second.streams["contacts"]["pulled"] >= first.writes["done"]
    assert {name: s["changed"] for name, s in second.streams.items()} == dict.fromkeys(second.streams, 0)
    # the session expires and one lead changes: the connector logs in again, only that lead is written
    with store.engine.connect() as conn:
        target = conn.execute(sa.select(t.scores.c.person_id).join(t.persons, sa.and_(
            t.persons.c.tenant == t.scores.c.tenant, t.persons.c.id == t.scores.c.person_id)).where(
            t.persons.c.object_type == "Lead", sa.not_(t.persons.c.read_only), t.scores.c.fit == 0,
            t.scores.c.status == "lead").order_by(t.scores.c.person_id).limit(1)).scalar_one()
    # The cycles run with a faked `now` ahead of the sandbox's clock, so the cursor lag that guards real
    # cycles cannot help: the edit may land in the very second the leads cursor stands at (SystemModstamp
    # has whole seconds). The cursor claims a second only once it has ended on the org's clock.
    salesforce.patch("Lead", target, {"Title": "Chief Revenue Officer"})
    assert salesforce.sb.salesforce is not None
    salesforce.sb.salesforce.expire_sessions(salesforce.org)
    time.sleep(0.3)
    salesforce.sb.clear_requests()
    third = run_cycle(salesforce.tenant, store, now=now + timedelta(minutes=30))
    assert third.status == "ok", third.error
    writes = salesforce.writes()
    assert [w.batch_size for w in writes] == [1]
    assert salesforce.record("Lead", target)["Fit_Score__c"] >= 30
