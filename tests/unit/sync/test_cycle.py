from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine

from config import Tenant
from sync.cycle import run_cycle
from sync.outbox import Outbox
from sync.store import Store

from .conftest import make_tenant
from .fakecrm import FakeCRM

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def crm_with_people() -> FakeCRM:
    crm = FakeCRM()
    crm.put_person("1", title="VP Sales", crm_values={"lifecyclestage": "lead"})
    crm.put_person("2", title="Engineer", crm_values={"lifecyclestage": "customer"})
    crm.put_person("3", title="Student", crm_values={"lifecyclestage": ""})
    crm.put_activity("a1", "1", "webinar_attended", NOW - timedelta(days=2), name="Launch")
    crm.put_activity("a2", "1", "page_view", NOW - timedelta(days=1), url="/pricing")
    return crm


def test_first_cycle_writes_expected_fields(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    summary = run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    assert summary.status == "ok", summary.error
    assert summary.scored == 3
    assert summary.streams["persons"]["pulled"] == 3
    one = crm.persons["1"].crm_values
    assert one["crmsync_status"] == "mql"
    assert one["crmsync_fit_score"] == "30"
    assert one["crmsync_mql_date"] == "2026-11-10"
    assert one["lifecyclestage"] == "marketingqualifiedlead"
    assert one["crmsync_mql_reason"]
    assert crm.persons["3"].crm_values["crmsync_status"] == "disqualified"
    assert crm.persons["2"].crm_values["lifecyclestage"] == "customer"
    assert summary.status_changes == {"new->disqualified": 1, "new->lead": 1, "new->mql": 1}
    assert [pid for pid, _ in summary.new_mqls] == ["1"]
    assert summary.writes["done"] == 3
    assert summary.api_calls["push"] == 2          # 3 records, batches of 2
    runs = sqlite_store.recent_runs("acme")
    assert runs[0]["status"] == "ok"
    assert runs[0]["writes"]["done"] == 3


def test_second_cycle_echo_makes_no_writes(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    pushes = len(crm.pushes)
    second = run_cycle(tenant, sqlite_store, connector=crm, now=NOW + timedelta(minutes=15))
    assert second.status == "ok"
    assert second.streams["persons"]["pulled"] == 3            # our own writes come back...
    assert second.streams["persons"]["changed"] == 0           # ...as unchanged inputs
    assert len(crm.pushes) == pushes                            # and nothing is written
    assert second.writes["planned"] == 0


def test_one_change_rescores_and_writes_only_that_person(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    crm.pushes.clear()
    crm.put_person("2", title="Director of IT")
    summary = run_cycle(tenant, sqlite_store, connector=crm, now=NOW + timedelta(minutes=15))
    assert summary.scored == 1
    assert [u.person_id for batch in crm.pushes for u in batch] == ["2"]
    assert crm.writes_to("2") == [{"crmsync_fit_score": 30, "crmsync_score": 30, "crmsync_grade": "B",
                                   "crmsync_mql_reason": "Fit 30: Senior title +30."}]


def test_mql_sticks_and_keeps_first_date_as_points_decay(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    later = NOW + timedelta(days=120)
    with time_machine.travel(later, tick=False):
        summary = run_cycle(tenant, sqlite_store, connector=crm)
    assert summary.scored == 1                                   # only the engaged person decays
    one = crm.persons["1"].crm_values
    assert one["crmsync_status"] == "mql"
    assert one["crmsync_mql_date"] == "2026-11-10"
    assert int(one["crmsync_engagement_score"]) < 30
    assert "crmsync_status" not in crm.writes_to("1")[-1]


def test_dead_letters_are_kept_and_not_retried(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    crm.refuse["3"] = "INVALID_OPTION"
    summary = run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    assert summary.status == "ok"
    assert summary.dead_letters == [("3", "INVALID_OPTION")]
    assert summary.writes["dead"] == 1
    crm.pushes.clear()
    again = run_cycle(tenant, sqlite_store, connector=crm, now=NOW + timedelta(days=1))
    assert crm.writes_to("3") == []
    assert again.dead_letters == []
    crm.refuse.clear()
    crm.put_person("3", title="Student intern")                 # inputs changed: try again
    run_cycle(tenant, sqlite_store, connector=crm, now=NOW + timedelta(days=2))
    assert crm.persons["3"].crm_values["crmsync_status"] == "disqualified"
    letters = Outbox(sqlite_store.for_tenant("acme")).dead_letters()
    assert letters[0]["code"] == "INVALID_OPTION"


def test_retries_within_the_cycle(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    crm.flaky["1"] = 2
    summary = run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    assert summary.writes["done"] == 3
    assert summary.writes["retry"] == 0
    assert crm.persons["1"].crm_values["crmsync_status"] == "mql"


def test_dry_run_plans_without_pushing(sqlite_store: Store) -> None:
    crm = crm_with_people()
    summary = run_cycle(make_tenant(dry_run=True), sqlite_store, connector=crm, now=NOW)
    assert summary.writes["planned"] == 3
    assert crm.pushes == []
    assert summary.dry_run


def test_deleted_person_drops_pending_writes(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    stop = threading.Event()
    original = crm.push

    def stop_before_push(updates):  # type: ignore[no-untyped-def]
        stop.set()
        return original(updates)

    crm.push = stop_before_push  # type: ignore[method-assign]
    first = run_cycle(tenant, sqlite_store, connector=crm, now=NOW, stop=stop)
    assert first.status == "stopped"
    crm.push = original  # type: ignore[method-assign]
    crm.delete_person("3")                                     # its intent is still pending (second batch)
    second = run_cycle(tenant, sqlite_store, connector=crm, now=NOW + timedelta(minutes=15))
    assert second.status == "ok"
    assert "crmsync_status" not in crm.persons["3"].crm_values
    assert crm.writes_to("3") == []
    assert Outbox(sqlite_store.for_tenant("acme")).states().get("dropped") == 1


def test_stop_between_pages_then_resume(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    stop = threading.Event()
    stop.set()
    first = run_cycle(tenant, sqlite_store, connector=crm, now=NOW, stop=stop)
    assert first.status == "stopped"
    assert crm.pushes == []
    second = run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    assert second.status == "ok"
    assert crm.persons["1"].crm_values["crmsync_status"] == "mql"


def test_locked_tenant_is_skipped(sqlite_store: Store, tenant: Tenant) -> None:
    with sqlite_store.tenant_lock("acme"):
        summary = run_cycle(tenant, sqlite_store, connector=crm_with_people(), now=NOW)
    assert summary.status == "skipped"


def test_connector_failure_is_a_failed_cycle_without_secrets(sqlite_store: Store, tenant: Tenant) -> None:
    from connectors.base import AuthError
    crm = crm_with_people()

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AuthError("token Bearer pat-na1-11111111-2222-3333-4444-555555555555 refused", code="INVALID_AUTH")

    crm.pull = refuse  # type: ignore[method-assign]
    summary = run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    assert summary.status == "failed"
    assert summary.error is not None
    assert "INVALID_AUTH" in summary.error
    assert "pat-na1" not in summary.error
    assert sqlite_store.recent_runs("acme")[0]["status"] == "failed"


def test_model_change_rescores_everyone(sqlite_store: Store, tenant: Tenant) -> None:
    crm = crm_with_people()
    run_cycle(tenant, sqlite_store, connector=crm, now=NOW)
    changed = tenant.model_copy(update={"scoring": tenant.scoring.model_copy(
        update={"grades": {"A": 50, "B": 30, "C": 10}})})
    summary = run_cycle(changed, sqlite_store, connector=crm, now=NOW + timedelta(minutes=15))
    assert summary.scored == 3
    assert crm.persons["1"].crm_values["crmsync_grade"] == "B"
