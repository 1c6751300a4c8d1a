"""The run ledger: one row per cycle (its summary) and one per stream (pulled, changed, pages, cursor).

A cycle's row is written as ``running`` when it starts, so a cycle killed mid-way shows in
``crmsync status`` as ``running`` with no finish time; :meth:`sync.store.Store.recent_runs` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sync import tables as t
from sync.bulk import upsert
from sync.diff import jsonable, parse_datetime
from sync.store import TenantStore


def start_run(ts: TenantStore, run_id: str, started_at: datetime) -> None:
    with ts.engine.begin() as conn:
        upsert(conn, t.runs, [{"tenant": ts.tenant, "run_id": run_id, "started_at": started_at,
                               "finished_at": None, "status": "running", "error": None, "summary": {}}],
               guard=None)


def finish_run(ts: TenantStore, summary: Mapping[str, Any]) -> None:
    data = jsonable(dict(summary))
    with ts.engine.begin() as conn:
        upsert(conn, t.runs, [{"tenant": ts.tenant, "run_id": data["run_id"],
                               "started_at": parse_datetime(data["started_at"]),
                               "finished_at": parse_datetime(data["finished_at"]),
                               "status": data["status"], "error": data["error"], "summary": data}], guard=None)


def record_stream(ts: TenantStore, run_id: str, stream: str, counts: Mapping[str, int],
                  cursor: Mapping[str, Any] | None) -> None:
    with ts.engine.begin() as conn:
        upsert(conn, t.run_streams, [{"tenant": ts.tenant, "run_id": run_id, "stream": stream,
                                      "pulled": counts.get("pulled", 0), "changed": counts.get("changed", 0),
                                      "pages": counts.get("pages", 0), "cursor": jsonable(cursor)}], guard=None)


def stream_rows(ts: TenantStore, run_id: str) -> list[dict[str, Any]]:
    with ts.engine.connect() as conn:
        rows = conn.execute(sa.select(t.run_streams).where(t.run_streams.c.tenant == ts.tenant,
                                                           t.run_streams.c.run_id == run_id)).mappings().all()
    return [dict(r) for r in rows]
