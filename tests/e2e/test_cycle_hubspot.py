from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sync import tables as t
from sync.cycle import run_cycle
from sync.store import Store

from .conftest import INDEX_LAG, HubSpotWorld, _http

FIELDS = ["crmsync_fit_score", "crmsync_engagement_score", "crmsync_score", "crmsync_grade", "crmsync_status",
          "crmsync_mql_reason", "crmsync_mql_date", "lifecyclestage", "jobtitle"]


def test_first_cycle_writes_expected_fields_then_echo_is_silent(hubspot: HubSpotWorld, store: Store) -> None:
    now = datetime.now(UTC)
    first = run_cycle(hubspot.tenant, store, now=now)
    assert first.status == "ok", first.error
    assert first.scored > 100
    assert first.writes["done"] == first.writes["planned"] > 0
    assert first.writes["dead"] == 0
    ts = store.for_tenant(hubspot.tenant.tenant)
    mqls = [pid for pid, _ in first.new_mqls]
    assert mqls, "the generated portal has MQLs under these rules"
    for pid in [*mqls[:3], "1", "2"]:
        score = ts.score(pid)
        if score is None:
            continue
        held = hubspot.contact(pid, FIELDS)
        assert held["crmsync_fit_score"] == str(score["fit"])
        assert held["crmsync_score"] == str(score["score"])
        assert held["crmsync_status"] == score["status"]
        assert (held["crmsync_grade"] or None) == score["grade"]
        assert (held["crmsync_mql_reason"] or "") == score["mql_reason"]
        if score["status"] == "mql":
            assert held["crmsync_mql_date"].startswith(now.date().isoformat())
            assert held["lifecyclestage"] in ("marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                                              "customer", "evangelist", "other")
    # the echo of our own writes: read again (the next cycle's window covers them), nothing written
    time.sleep(INDEX_LAG + 0.1)
    hubspot.sb.clear_requests()
    second = run_cycle(hubspot.tenant, store, now=now + timedelta(minutes=15))
    assert second.status == "ok", second.error
    assert second.streams["contacts"]["pulled"] >= first.writes["done"]
    assert second.streams["contacts"]["changed"] == 0
    assert hubspot.writes() == []
    # a third cycle with nothing new: one call per stream, no writes
    hubspot.sb.clear_requests()
    third = run_cycle(hubspot.tenant, store, now=now + timedelta(minutes=30))
    assert third.status == "ok"
    assert hubspot.writes() == []
    assert sum(third.api_calls.values()) - third.throttled == len(third.streams)   # one call per stream


def test_one_crm_change_rescores_and_writes_only_that_person(hubspot: HubSpotWorld, store: Store) -> None:
    now = datetime.now(UTC)
    run_cycle(hubspot.tenant, store, now=now)
    time.sleep(INDEX_LAG + 0.1)
    run_cycle(hubspot.tenant, store, now=now + timedelta(minutes=15))        # reads the echo
    with store.engine.connect() as conn:
        target = conn.execute(sa.select(t.scores.c.person_id).where(
            t.scores.c.status == "lead", t.scores.c.fit == 0).order_by(t.scores.c.person_id).limit(1)).scalar_one()
    hubspot.patch(target, {"jobtitle": "VP Engineering"})
    time.sleep(INDEX_LAG + 0.1)
    hubspot.sb.clear_requests()
    summary = run_cycle(hubspot.tenant, store, now=now + timedelta(minutes=30))
    assert summary.status == "ok", summary.error
    assert summary.streams["contacts"]["changed"] == 1
    writes = hubspot.writes()
    assert [w.batch_size for w in writes] == [1]
    held = hubspot.contact(target, FIELDS)
    assert int(held["crmsync_fit_score"]) >= 30


def test_a_contact_deleted_in_hubspot_is_seen_by_the_next_cycle_once(hubspot: HubSpotWorld, store: Store) -> None:
    now = datetime.now(UTC)
    run_cycle(hubspot.tenant, store, now=now)
    ts = store.for_tenant(hubspot.tenant.tenant)
    target = max((pid for pid in hubspot.all_values(["email"])), key=int)
    assert ts.person(target) is not None and not ts.person(target)["deleted"]
    _http(f"{hubspot.sb.url}/crm/v3/objects/contacts/{target}", "DELETE")
    time.sleep(INDEX_LAG + 0.1)
    second = run_cycle(hubspot.tenant, store, now=now + timedelta(minutes=15))
    assert second.status == "ok", second.error
    assert second.streams["archived_contacts"] == {"pulled": 1, "changed": 1, "pages": 1}
    assert ts.person(target)["deleted"]
    time.sleep(INDEX_LAG + 0.1)
    hubspot.sb.clear_requests()
    third = run_cycle(hubspot.tenant, store, now=now + timedelta(minutes=30))
    assert third.streams["archived_contacts"]["pulled"] == 0                 # reported once
    assert third.api_calls["hubspot.contacts.list_archived"] == 1
