from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.base import Page, PersonRecord, WriteResult
from sync.outbox import MAX_ATTEMPTS, Intent, Outbox
from sync.store import Store

NOW = datetime(2026, 11, 10, tzinfo=UTC)


def intent(pid: str, score: int, snapshot: str = "s1") -> Intent:
    return Intent(pid, "contact", {"crmsync_score": score}, "h", "v1", snapshot)


def enqueue(store: Store, intents: list[Intent], run: str = "r1") -> int:
    box = Outbox(store.for_tenant("acme"))
    with store.engine.begin() as conn:
        return box.enqueue(conn, intents, run, NOW)


def test_enqueue_is_idempotent(store: Store) -> None:
    assert enqueue(store, [intent("1", 5), intent("2", 6)]) == 2
    assert enqueue(store, [intent("1", 5), intent("2", 6)], run="r2") == 0      # a rerun plans the same
    box = Outbox(store.for_tenant("acme"))
    assert [i.person_id for i in box.due(NOW)] == ["1", "2"]


def test_newer_intent_supersedes_the_pending_one(store: Store) -> None:
    enqueue(store, [intent("1", 5)])
    enqueue(store, [intent("1", 4, snapshot="s2")])
    box = Outbox(store.for_tenant("acme"))
    assert [dict(i.values) for i in box.due(NOW)] == [{"crmsync_score": 4}]
    assert box.states() == {"pending": 1, "superseded": 1}


def test_outcomes_done_retry_dead(store: Store) -> None:
    enqueue(store, [intent("1", 5), intent("2", 6), intent("3", 7)])
    box = Outbox(store.for_tenant("acme"))
    items = box.due(NOW)
    counts = box.record(items, [WriteResult("1", "done"), WriteResult("2", "retry", code="SERVER_ERROR"),
                                WriteResult("3", "dead", code="INVALID_OPTION", message="bad",
                                            fields=("crmsync_grade",))], NOW)
    assert (counts.done, counts.retry, counts.dead) == (1, 1, 1)
    assert counts.dead_letters == [("3", "INVALID_OPTION")]
    assert box.due(NOW) == []                                       # the retry waits for its backoff
    assert [i.person_id for i in box.due(NOW + timedelta(minutes=1))] == ["2"]
    letters = box.dead_letters()
    assert letters[0]["code"] == "INVALID_OPTION"
    assert "crmsync_grade" in letters[0]["message"]
    assert box.dead_blocked() == {("3", "h", "v1")}


def test_retries_end_dead(store: Store) -> None:
    enqueue(store, [intent("1", 5)])
    box = Outbox(store.for_tenant("acme"))
    later = NOW
    for _ in range(MAX_ATTEMPTS):
        later += timedelta(days=1)
        items = box.due(later)
        assert len(items) == 1
        box.record(items, [WriteResult("1", "retry", code="SERVER_ERROR")], later)
    assert box.due(later + timedelta(days=1)) == []
    assert box.states() == {"dead": 1}


def test_reconcile_replay_and_deleted(store: Store) -> None:
    ts = store.for_tenant("acme")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    ts.store_page(Page("persons", {}, persons=[
        PersonRecord("1", "contact", at, {}, {"crmsync_score": "5"}),     # the push landed before a crash
        PersonRecord("2", "contact", at, {}, {}),
    ]), NOW)
    enqueue(store, [intent("1", 5), intent("2", 6), intent("3", 7)])
    ts.store_page(Page("persons", {}, persons=[PersonRecord("3", "contact", at, {}, {}, deleted=True)]), NOW)
    box = Outbox(ts)
    assert box.states() == {"pending": 2, "dropped": 1}            # deleted: its pending write dropped
    assert box.reconcile(NOW) == (1, 0)
    assert [i.person_id for i in box.due(NOW)] == ["2"]


def test_reconcile_reads_a_page_at_a_time_and_skips_this_runs_items(store: Store) -> None:
    ts = store.for_tenant("acme")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    ts.store_page(Page("persons", {}, persons=[PersonRecord(str(i), "contact", at, {}, {"crmsync_score": str(i)})
                                               for i in range(1, 8)]), NOW)
    enqueue(store, [intent(str(i), i if i % 2 else 0) for i in range(1, 6)])       # odd ones already held
    enqueue(store, [intent("7", 7)], run="r2")
    ts.store_page(Page("persons", {}, persons=[PersonRecord("5", "contact", at, {}, {}, deleted=True),
                                               PersonRecord("6", "contact", at, {}, {}, merged_into="2")]), NOW)
    box = Outbox(ts)
    assert box.reconcile(NOW, skip_run="r2", page=2) == (2, 0)          # 1 and 3; 5 was dropped on store
    assert [i.person_id for i in box.due(NOW)] == ["2", "4", "7"]
    assert box.reconcile(NOW, page=1) == (1, 0)                          # now 7 too
    assert [i.person_id for i in box.due(NOW)] == ["2", "4"]


def test_a_deletion_seen_later_drops_the_dead_letter_it_explains(store: Store) -> None:
    ts = store.for_tenant("acme")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    enqueue(store, [intent("1", 5), intent("2", 6)])
    box = Outbox(ts)
    box.record(box.due(NOW), [WriteResult("1", "dead", code="OBJECT_NOT_FOUND"),
                              WriteResult("2", "dead", code="INVALID_OPTION")], NOW)
    ts.store_page(Page("archived", {}, persons=[PersonRecord("1", "contact", at, {}, {}, deleted=True)]), NOW)
    assert [d["person_id"] for d in box.dead_letters()] == ["2"]
    assert box.states() == {"dead": 1, "dropped": 1}
