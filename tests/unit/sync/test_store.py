from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from connectors.base import ActivityRecord, CompanyRecord, Page, PersonRecord
from sync import tables as t
from sync.store import Store

NOW = datetime(2026, 11, 10, tzinfo=UTC)
AT = datetime(2026, 11, 1, tzinfo=UTC)


def person(pid: str, title: str = "VP", **kw: object) -> PersonRecord:
    return PersonRecord(pid, "contact", kw.pop("modified_at", AT), {"title": title}, **kw)  # type: ignore[arg-type]


def test_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diff == []


def test_open_twice_is_harmless(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    Store.open(url).close()
    s = Store.open(url)
    s.ping()
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    s.close()


def test_page_and_cursor_commit_together(store: Store) -> None:
    ts = store.for_tenant("acme")
    assert ts.cursor("persons") is None
    stats = ts.store_page(Page("persons", {"since": "a"}, persons=[person("1"), person("2")]), NOW)
    assert (stats.pulled, stats.changed) == (2, 2)
    assert ts.cursor("persons") == {"since": "a"}

    broken = Page("persons", {"since": "b"}, persons=[person("3"), person("3b", modified_at=None)])
    with pytest.raises(Exception):  # noqa: B017, PT011  (a broken record mid-page)
        ts.store_page(broken, NOW)
    assert ts.cursor("persons") == {"since": "a"}        # neither the rows nor the cursor
    assert ts.person("3") is None


def test_diff_unchanged_and_echo(store: Store) -> None:
    ts = store.for_tenant("acme")
    ts.store_page(Page("persons", {}, persons=[person("1")]), NOW)
    again = ts.store_page(Page("persons", {}, persons=[person("1", modified_at=NOW)]), NOW)
    assert again.changed == 0
    echo = person("1", modified_at=NOW, crm_values={"crmsync_score": "10"})
    assert ts.store_page(Page("persons", {}, persons=[echo]), NOW).changed == 0   # our own write: not an input
    row = ts.person("1")
    assert row is not None
    assert row["crm_values"] == {"crmsync_score": "10"}
    assert row["replan"]
    assert ts.store_page(Page("persons", {}, persons=[person("1", title="CEO")]), NOW).changed == 1


def test_tenants_do_not_cross(store: Store) -> None:
    a, b = store.for_tenant("a"), store.for_tenant("b")
    a.store_page(Page("persons", {"since": "x"}, persons=[person("1")]), NOW)
    assert b.person("1") is None
    assert b.cursor("persons") is None
    assert b.store_page(Page("persons", {}, persons=[person("1")]), NOW).changed == 1
    assert [p.id for p in a.due_persons("v1", date(2026, 11, 10))] == ["1"]


def test_derived_activities_idempotent(store: Store) -> None:
    ts = store.for_tenant("acme")
    counters = {"page_views": "3", "last_visit_at": "2026-10-30T10:00:00Z"}
    ts.store_page(Page("persons", {}, persons=[person("1", counters=counters)]), NOW)
    ts.store_page(Page("persons", {}, persons=[person("1", counters=counters, modified_at=NOW)]), NOW)
    assert len(ts.activities_for(["1"])["1"]) == 3
    more = dict(counters, page_views="4")
    ts.store_page(Page("persons", {}, persons=[person("1", counters=more)]), NOW)
    assert [a["id"] for a in ts.activities_for(["1"])["1"]][-1] == "pv:1:4"
    assert ts.count(t.activities) == 4


def test_activity_changes_and_company_changes_mark_persons_dirty(store: Store) -> None:
    ts = store.for_tenant("acme")
    ts.store_page(Page("persons", {}, persons=[person("1", company_id="c1"), person("2")]), NOW)
    ts.store_page(Page("companies", {}, companies=[CompanyRecord("c1", AT, {"industry": "Software"})]), NOW)
    ts.save_scores([_score("1"), _score("2")])
    assert ts.due_persons("v1", date(2026, 11, 10)) == []
    ts.store_page(Page("companies", {}, companies=[CompanyRecord("c1", AT, {"industry": "Retail"})]), NOW)
    assert [p.id for p in ts.due_persons("v1", date(2026, 11, 10))] == ["1"]
    act = ActivityRecord("m1", "2", "meeting", AT, {"title": "Intro"})
    ts.store_page(Page("activities", {}, activities=[act]), NOW)
    assert [p.id for p in ts.due_persons("v1", date(2026, 11, 10))] == ["1", "2"]
    ts.save_scores([_score("1"), _score("2")])
    assert ts.store_page(Page("activities", {}, activities=[act]), NOW).changed == 0
    assert ts.due_persons("v1", date(2026, 11, 10)) == []


def _score(pid: str, engagement: int = 0, as_of: date = date(2026, 11, 10), version: str = "v1") -> dict[str, object]:
    return {"person_id": pid, "fit": 0, "engagement": engagement, "score": engagement, "grade": "D",
            "status": "lead", "mql_at": None, "mql_reason": "", "breakdown": [], "model_version": version,
            "as_of": as_of, "evaluated_at": NOW, "input_hash": "h"}


def test_due_set(store: Store) -> None:
    ts = store.for_tenant("acme")
    ts.store_page(Page("persons", {}, persons=[person("1"), person("2"), person("3")]), NOW)
    assert len(ts.due_persons("v1", date(2026, 11, 10))) == 3            # never scored
    ts.save_scores([_score("1", engagement=12), _score("2"), _score("3")])
    assert ts.due_persons("v1", date(2026, 11, 10)) == []
    assert [p.id for p in ts.due_persons("v1", date(2026, 11, 11))] == ["1"]   # decay may move it
    assert len(ts.due_persons("v2", date(2026, 11, 10))) == 3            # the model changed
    ts.store_page(Page("persons", {}, persons=[person("3", title="Student")]), NOW)
    assert [p.id for p in ts.due_persons("v1", date(2026, 11, 10))] == ["3"]
    ts.store_page(Page("persons", {}, persons=[person("3", title="Student", deleted=True)]), NOW)
    assert ts.due_persons("v1", date(2026, 11, 10)) == []


def test_tenant_lock(store: Store) -> None:
    with store.tenant_lock("acme") as got:
        assert got
        seen: list[bool] = []

        def other() -> None:
            with store.tenant_lock("acme") as again:
                seen.append(again)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert seen == [False]
        with store.tenant_lock("other") as free:
            assert free
    with store.tenant_lock("acme") as got_again:
        assert got_again


def test_bad_url_is_a_clear_error() -> None:
    from sync.store import StoreError
    with pytest.raises(StoreError, match="postgresql\\+psycopg"):
        Store.open("postgresql://u:secret@127.0.0.1/x")
    with pytest.raises(StoreError) as info:
        Store.open("postgresql+psycopg://u:hunter22@127.0.0.1:1/x")
    assert "hunter22" not in str(info.value)


def test_rows_are_bound_to_tenant_in_every_table(store: Store) -> None:
    with store.engine.connect() as conn:
        for table in (t.persons, t.companies, t.activities, t.scores, t.cursors, t.outbox, t.runs, t.run_streams):
            assert "tenant" in [c.name for c in table.primary_key.columns]
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


def test_postgres_tables_are_analyzed_as_a_first_pull_grows_them(store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if store.dialect != "postgresql":
        pytest.skip("planner statistics: PostgreSQL only")
    import sync.store
    monkeypatch.setattr(sync.store, "ANALYZE_FIRST", 20)
    ts = store.for_tenant("acme")

    def planned_rows() -> float:                                 # what the planner believes; ANALYZE sets it
        with store.engine.connect() as conn:
            return float(conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = 'persons'::regclass"))
                         .scalar() or 0)

    ts.store_page(Page("contacts", {}, persons=[person(str(i)) for i in range(10)]), NOW)
    assert planned_rows() <= 0                                   # 10 rows: not analyzed yet
    ts.store_page(Page("contacts", {}, persons=[person(str(i)) for i in range(10, 25)]), NOW)
    assert planned_rows() == 25                                  # 25 >= 20
    ts.store_page(Page("contacts", {}, persons=[person(str(i)) for i in range(25, 40)]), NOW)
    assert planned_rows() == 25                                  # next at 50
