"""Bulk upserts through SQLAlchemy Core, for SQLite and PostgreSQL alike.

``INSERT ... ON CONFLICT (keys) DO UPDATE SET ... WHERE <hash differs>`` as one executemany: rows
whose hash is unchanged cost nothing but the lookup (CRM_APIS.md section 5: 100-150k rows/s on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")

CHUNK = 500          # ids per IN (...) list


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def upsert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *,
           guard: str | None = "row_hash", only_insert: bool = False) -> None:
    """Insert ``rows``; on a primary-key conflict update every other column where ``guard`` differs.

    ``only_insert`` keeps existing rows as they are (ON CONFLICT DO NOTHING).
    """
    if not rows:
        return
    dialect = conn.dialect.name
    keys = [c.name for c in table.primary_key.columns]
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise RuntimeError(f"unsupported database {dialect!r}: use sqlite:/// or postgresql+psycopg://")
    if only_insert:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    else:
        columns = [name for name in rows[0] if name not in keys]
        where = None if guard is None else table.c[guard] != stmt.excluded[guard]
        stmt = stmt.on_conflict_do_update(index_elements=keys,
                                          set_={name: stmt.excluded[name] for name in columns}, where=where)
    conn.execute(stmt, list(rows))
