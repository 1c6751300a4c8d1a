"""Pruning keeps the database bounded: old finished runs and outbox rows go; what still matters stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sync import tables as t
from sync.bulk import upsert
from sync.housekeeping import prune
from sync.store import Store

NOW = datetime(2026, 12, 1, tzinfo=UTC)
OLD, RECENT = NOW - timedelta(days=40), NOW - timedelta(days=2)


def _outbox(tenant: str, key: str, state: str, at: datetime) -> dict[str, object]:
    return {"tenant": tenant, "key": key, "seq": int(key[1:]), "person_id": f"p{key}", "object_type": "contact",
            "values": {"crmsync_score": 1}, "state": state, "attempts": 1, "next_attempt_at": at, "code": None,
            "message": None, "input_hash": "h", "model_version": "m", "run_id": "r", "created_at": at,
            "updated_at": at}


def test_prune_deletes_only_old_finished_rows_of_the_tenant(store: Store) -> None:
    with store.engine.begin() as conn:
        upsert(conn, t.runs, [
            {"tenant": tenant, "run_id": run_id, "started_at": at, "finished_at": at, "status": "ok", "error": None,
             "summary": {}}
            for tenant in ("acme", "other") for run_id, at in (("old", OLD), ("new", RECENT))], guard=None)
        upsert(conn, t.run_streams, [
            {"tenant": "acme", "run_id": run_id, "stream": "contacts", "pulled": 1, "changed": 1, "pages": 1,
             "cursor": None} for run_id in ("old", "new")], guard=None)
        upsert(conn, t.outbox, [
            _outbox("acme", "k1", "done", OLD), _outbox("acme", "k2", "superseded", OLD),
            _outbox("acme", "k3", "dropped", OLD), _outbox("acme", "k4", "dead", OLD),
            _outbox("acme", "k5", "pending", OLD), _outbox("acme", "k6", "retry", OLD),
            _outbox("acme", "k7", "done", RECENT), _outbox("other", "k8", "done", OLD)], guard=None)

    pruned = prune(store, "acme", NOW - timedelta(days=30))

    assert (pruned.runs, pruned.outbox) == (1, 3)
    with store.engine.connect() as conn:
        runs = set(conn.execute(sa.select(t.runs.c.tenant, t.runs.c.run_id)).all())
        streams = set(conn.execute(sa.select(t.run_streams.c.run_id)).scalars())
        outbox = set(conn.execute(sa.select(t.outbox.c.key)).scalars())
    assert runs == {("acme", "new"), ("other", "old"), ("other", "new")}
    assert streams == {"new"}
    assert outbox == {"k4", "k5", "k6", "k7", "k8"}
