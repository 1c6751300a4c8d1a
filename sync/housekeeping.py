"""Keeping the database bounded over months: old ledger rows and finished outbox rows are deleted.

Kept: every run younger than the retention, and every outbox row that still matters (``pending``,
``retry`` and ``dead``: a dead letter stays until a new intent for the person supersedes it). Deleted:
finished runs (and their per-stream rows) and outbox rows ``done``, ``superseded`` or ``dropped`` older
than the retention. The worker runs this once at start and then daily; ``crmsync run --keep-history``
sets the retention (default 30 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sync import tables as t
from sync.bulk import chunks
from sync.store import Store

DEFAULT_RETENTION = timedelta(days=30)
FINISHED_OUTBOX = ("done", "superseded", "dropped")


@dataclass(frozen=True)
class Pruned:
    runs: int
    outbox: int


def prune(store: Store, tenant: str, before: datetime) -> Pruned:
    """Delete the tenant's finished runs and finished outbox rows older than ``before``."""
    r, s, o = t.runs, t.run_streams, t.outbox
    with store.engine.begin() as conn:
        old = list(conn.execute(sa.select(r.c.run_id).where(r.c.tenant == tenant, r.c.started_at < before))
                   .scalars())
        for part in chunks(old):
            conn.execute(sa.delete(s).where(s.c.tenant == tenant, s.c.run_id.in_(part)))
            conn.execute(sa.delete(r).where(r.c.tenant == tenant, r.c.run_id.in_(part)))
        outbox = conn.execute(sa.delete(o).where(o.c.tenant == tenant, o.c.state.in_(FINISHED_OUTBOX),
                                                 o.c.updated_at < before)).rowcount
    return Pruned(runs=len(old), outbox=int(outbox or 0))
