"""One suite over every connector, against the in-process sandbox (CONTRACT/ARCHITECTURE rules)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from connectors.base import Connector, Cursor, Page, Update
from tests.contract.env import ContractEnv


def now() -> datetime:
    return datetime.now(UTC)


def position(cursor: Cursor | None) -> datetime | None:
    """The timestamp a cursor stands at, whatever the connector's encoding (epoch ms or ISO text)."""
    ts = (cursor or {}).get("ts")
    if ts is None or ts == "":
        return None
    if isinstance(ts, int | float):
        return datetime.fromtimestamp(ts / 1000, tz=UTC)
    return datetime.fromisoformat(str(ts).replace("Z", "+00:00"))


def pull(connector: Connector, stream: str, cursor: Cursor | None, *, full: bool = False) -> list[Page]:
    return list(connector.pull(stream, cursor, until=now(), full=full))


def person_ids(pages: Iterable[Page]) -> list[str]:
    return [p.id for page in pages for p in page.persons if p.merged_into is None]


def assert_cursors_move_forward(start: Cursor | None, pages: list[Page]) -> None:
    last = position(start)
    for page in pages:
        here = position(page.cursor)
        if here is None:
            continue
        assert last is None or here >= last, f"{page.stream} cursor went back: {here} < {last}"
        last = here


def sync_all(env: ContractEnv) -> dict[str, Cursor]:
    """A first cycle: every stream from scratch; the cursor each ends at."""
    cursors: dict[str, Cursor] = {}
    for stream in env.connector.streams():
        pages = pull(env.connector, stream, None)
        assert_cursors_move_forward(None, pages)
        if pages:
            cursors[stream] = pages[-1].cursor
    return cursors


def wait_for(env: ContractEnv, cursors: dict[str, Cursor], wanted: str) -> list[Page]:
    """Incremental pulls of the person streams until ``wanted`` shows up (search indexes lag a little)."""
    deadline = time.monotonic() + 6
    while True:
        pages = [page for stream in env.person_streams for page in pull(env.connector, stream, cursors.get(stream))]
        if wanted in person_ids(pages) or time.monotonic() > deadline:
            return pages
        time.sleep(0.3)


def test_full_pull_reads_every_person_exactly_once(env: ContractEnv) -> None:
    stream = env.person_streams[0]
    pages = pull(env.connector, stream, None, full=True)
    ids = person_ids(pages)
    assert ids, "the sandbox account has persons"
    assert len(ids) == len(set(ids)), "a person came twice in one pull"
    assert_cursors_move_forward(None, pages)
    # resuming from any page's cursor misses nothing that came after it
    middle = len(pages) // 2
    if 0 < middle < len(pages):
        before = set(person_ids(pages[:middle]))
        resumed = set(person_ids(pull(env.connector, stream, pages[middle - 1].cursor,
                                      full="full" in pages[middle - 1].cursor)))
        assert before | resumed >= set(ids)


def test_records_are_canonical(env: ContractEnv) -> None:
    pages = pull(env.connector, env.person_streams[0], None, full=True)
    person = next(p for page in pages for p in page.persons)
    assert person.modified_at.tzinfo is not None
    for name in ("email", "first_name", "last_name", "title", "country", "lifecycle_stage"):
        assert name in person.fields
    for field in env.write_fields:
        assert field in person.crm_values


def test_no_change_costs_one_call_per_stream(env: ContractEnv, sandbox: Any) -> None:
    cursors = sync_all(env)
    time.sleep(1.2)                        # past the sandbox's search index lag
    cursors = {s: (pages[-1].cursor if (pages := pull(env.connector, s, c)) else c) for s, c in cursors.items()}
    env.connector.take_usage()
    sandbox.clear_requests()
    records = sum(len(page) for stream, cursor in cursors.items() for page in pull(env.connector, stream, cursor))
    usage = env.connector.take_usage()
    assert records == 0
    assert usage.total == len(cursors), usage.calls
    assert len(sandbox.requests(env.account)) == len(cursors)


def test_a_touched_person_comes_back_once_and_cursors_never_go_back(env: ContractEnv) -> None:
    cursors = sync_all(env)
    target = person_ids(pull(env.connector, env.person_streams[0], None, full=True))[0]
    env.touch_person(target)
    pages = wait_for(env, cursors, target)
    assert person_ids(pages).count(target) == 1
    for page in pages:
        assert_cursors_move_forward(cursors.get(page.stream), [page])


def test_a_deleted_person_is_seen(env: ContractEnv) -> None:
    cursors = sync_all(env)
    target = person_ids(pull(env.connector, env.person_streams[0], None, full=True))[-1]
    env.delete_person(target)
    pages = wait_for(env, cursors, target)
    deleted = [p for page in pages for p in page.persons if p.id == target]
    assert deleted
    assert deleted[-1].deleted


def test_push_is_per_record_and_idempotent(env: ContractEnv) -> None:
    persons = [p for page in pull(env.connector, env.person_streams[0], None, full=True) for p in page.persons
               if not p.read_only and not p.deleted][:3]
    good = [Update(p.id, p.object_type, dict(env.write_fields), key=f"k{i}") for i, p in enumerate(persons)]
    field, value = env.bad_write
    bad = Update(persons[1].id, persons[1].object_type, {field: value}, key="bad")
    results = env.connector.push([good[0], bad, good[2]])
    assert [r.person_id for r in results] == [good[0].person_id, bad.person_id, good[2].person_id]
    assert [r.outcome for r in results] == ["done", "dead", "done"]
    assert results[1].code
    first = env.connector.push(good)
    second = env.connector.push(good)
    assert [r.outcome for r in first] == [r.outcome for r in second] == ["done"] * 3
    state = {p.id: p.crm_values for page in pull(env.connector, env.person_streams[0], None, full=True)
             for p in page.persons}
    for update in good:
        for name, wanted in env.write_fields.items():
            assert str(state[update.person_id][name]) == str(wanted)


def test_calls_are_counted_and_stay_inside_the_budget(env: ContractEnv, sandbox: Any) -> None:
    sandbox.clear_requests()
    env.connector.take_usage()
    sync_all(env)
    usage = env.connector.take_usage()
    log = sandbox.requests(env.account)
    assert usage.total == len(log)
    assert usage.throttled == 0
    assert all(getattr(r, "status", 200) != 429 for r in log)


def test_rate_limits_and_server_errors_are_recovered(env: ContractEnv, sandbox: Any) -> None:
    from sandbox import FaultRule

    expected = person_ids(pull(env.connector, env.person_streams[0], None, full=True))
    env.connector.take_usage()
    sandbox.inject_fault(FaultRule(kind="rate_limit", account=env.account, times=1, retry_after=0.2))
    sandbox.inject_fault(FaultRule(kind="error", account=env.account, status=503, times=1))
    got = person_ids(pull(env.connector, env.person_streams[0], None, full=True))
    usage = env.connector.take_usage()
    assert sorted(got) == sorted(expected)
    assert usage.throttled >= 1
    assert usage.retries >= 2
