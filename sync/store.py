"""The store: pulled records, scores, cursors, outbox and run ledger on SQLite or PostgreSQL.

``Store.open(url)`` builds the engine and applies the Alembic migrations; ``store.for_tenant(name)``
returns a :class:`TenantStore` whose every statement is bound to that tenant, so tenants cannot
cross. A page and the cursor after it are stored in one transaction (:meth:`TenantStore.store_page`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:             # not on Windows: the in-process lock alone applies there
    fcntl = None  # type: ignore[assignment]

import orjson
import sqlalchemy as sa
import structlog
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy.pool import StaticPool

from connectors.base import ActivityRecord, CompanyRecord, Cursor, Page, PersonRecord
from sync import tables as t
from sync.bulk import chunks, upsert
from sync.diff import as_utc, derive_activities, digest, input_hash, jsonable

log = structlog.get_logger()

DEFAULT_DB_URL = "sqlite:///./crmsync.db"
MIGRATIONS = Path(__file__).with_name("migrations")
ACTIVE = ("pending", "retry")
ANALYZE_FIRST = 10_000      # PostgreSQL: rows written to a table in one cycle before its first ANALYZE


def default_db_url() -> str:
    """``$CRMSYNC_DATABASE_URL``, else ``sqlite:///./crmsync.db``."""
    return os.environ.get("CRMSYNC_DATABASE_URL") or DEFAULT_DB_URL


class StoreError(Exception):
    """The database cannot be opened or used; the message says which and what to do."""


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def _json_text(value: Any) -> str:
    """JSON columns through orjson (the stdlib's encoder and decoder were ~10% of a full cycle's CPU)."""
    return orjson.dumps(value, default=_json_default, option=_JSON_OPTIONS).decode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store a {type(value).__name__} in a JSON column")


def create_engine(url: str) -> sa.Engine:
    json_args: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        raise StoreError(f"use postgresql+psycopg://... for PostgreSQL (got {url.split(':')[0]}://)")
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = sa.create_engine(url, poolclass=StaticPool if memory else None,
                                  connect_args={"check_same_thread": False}, **json_args)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql+psycopg"):
        return sa.create_engine(url, pool_pre_ping=True, **json_args)
    raise StoreError(f"unsupported database URL {sa.engine.make_url(url).render_as_string(hide_password=True)!r}; "
                     "use sqlite:///path.db or postgresql+psycopg://user@host/db")


def migrate(engine: sa.Engine) -> None:
    """``alembic upgrade head`` on this engine.

    On PostgreSQL a transaction-scoped advisory lock serialises replicas starting together: the first
    migrates, the others wait and then find nothing to do. (SQLite serialises writers by itself.)
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(" migrations")})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


@contextmanager
def _file_lock(path: Path | None) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` for the block (False when another process holds it).

    SQLite's tenant lock across processes: a ``crmsync sync`` by hand and the worker on the same file do not
    run one tenant's cycle together. The kernel releases it when the holder dies, so it never goes stale.
    """
    if path is None or fcntl is None:
        yield True
        return
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _lock_key(tenant: str) -> int:
    return int.from_bytes(hashlib.sha256(f"crmsync:{tenant}".encode()).digest()[:8], "big", signed=True)


class Store:
    """One database. Thread-safe; share one per process."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None, *, migrate_schema: bool = True) -> Store:
        engine = create_engine(url or default_db_url())
        safe = engine.url.render_as_string(hide_password=True)
        try:
            if migrate_schema:
                migrate(engine)
        except sa.exc.OperationalError as error:
            engine.dispose()
            raise StoreError(f"cannot open the database {safe}: {error.orig}") from None
        except CommandError as error:
            engine.dispose()
            raise StoreError(f"the database {safe} has a schema this crmsync does not know ({error}); it was "
                             "written by a newer version: run that version, or restore the backup taken before "
                             "the upgrade") from None
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def for_tenant(self, tenant: str, *, unhashed: Collection[str] = ()) -> TenantStore:
        """The tenant's rows. ``unhashed``: canonical fields left out of the input hash (our own writes)."""
        return TenantStore(self.engine, tenant, unhashed)

    @contextmanager
    def tenant_lock(self, tenant: str) -> Iterator[bool]:
        """Hold the tenant's lock for the block; yields False (and runs nothing) when another holds it.

        PostgreSQL: a session advisory lock, so exactly one replica runs a tenant's cycle. SQLite: a
        lock in this process (one container serves a SQLite database).
        """
        if self.dialect == "postgresql":
            with self.engine.connect() as conn:
                key = _lock_key(tenant)
                got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
                conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        with self._locks_guard:
            lock = self._locks.setdefault(tenant, threading.Lock())
        got = lock.acquire(blocking=False)
        try:
            if not got:
                yield False
                return
            with _file_lock(self._lock_path(tenant)) as held:
                yield held
        finally:
            if got:
                lock.release()

    def _lock_path(self, tenant: str) -> Path | None:
        """``<database>.<hash of tenant>.lock`` beside a SQLite file; None for an in-memory database."""
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None
        digest_ = hashlib.sha256(tenant.encode()).hexdigest()[:16]
        return Path(database).with_name(f"{Path(database).name}.{digest_}.lock")

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def recent_runs(self, tenant: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest cycles (newest first), each its summary dict plus ``status``/``error``."""
        query = sa.select(t.runs).order_by(t.runs.c.started_at.desc()).limit(limit)
        if tenant is not None:
            query = query.where(t.runs.c.tenant == tenant)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        out = []
        for row in rows:
            summary = dict(row["summary"] or {})
            summary.update(run_id=row["run_id"], tenant=row["tenant"], status=row["status"], error=row["error"],
                           started_at=as_utc(row["started_at"]).isoformat(),
                           finished_at=as_utc(row["finished_at"]).isoformat() if row["finished_at"] else None)
            out.append(summary)
        return out

    def tenants(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.execute(sa.select(t.runs.c.tenant).distinct()).scalars())

    def close(self) -> None:
        self.engine.dispose()


@dataclass
class PageStats:
    pulled: int = 0
    changed: int = 0
    derived: int = 0
    changed_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DuePerson:
    """A person to score, with what the store holds of it and its previous evaluation."""

    id: str
    object_type: str
    fields: Mapping[str, Any]
    company_id: str | None
    input_hash: str
    previous_status: str | None
    previous_mql_at: date | None


@dataclass(frozen=True)
class PlanInput:
    """A person to plan writes for: its CRM values now and its latest evaluation."""

    id: str
    object_type: str
    modified_at: datetime
    fields: Mapping[str, Any]
    crm_values: Mapping[str, Any]
    input_hash: str
    score: Mapping[str, Any]


class TenantStore:
    """Every read and write of one tenant's rows."""

    def __init__(self, engine: sa.Engine, tenant: str, unhashed: Collection[str] = ()) -> None:
        self.engine = engine
        self.tenant = tenant
        self.unhashed = frozenset(unhashed)
        self._written: dict[str, int] = {}            # rows upserted per table since its last ANALYZE
        self._analyze_at: dict[str, int] = {}

    # ------------------------------------------------------------------ cursors
    def cursor(self, stream: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(t.cursors.c.value).where(
                t.cursors.c.tenant == self.tenant, t.cursors.c.stream == stream)).scalar()
        return dict(value) if value else None

    def _save_cursor(self, conn: sa.Connection, stream: str, cursor: Cursor, now: datetime) -> None:
        upsert(conn, t.cursors, [{"tenant": self.tenant, "stream": stream, "value": jsonable(dict(cursor or {})),
                                  "updated_at": now}], guard=None)

    # ------------------------------------------------------------------ pages
    def store_page(self, page: Page, now: datetime) -> PageStats:
        """Store the page's records and its cursor in one transaction; what changed comes back."""
        stats = PageStats(pulled=len(page))
        with self.engine.begin() as conn:
            if page.companies:
                self._store_companies(conn, page.companies, stats)
            if page.persons:
                self._store_persons(conn, page.persons, stats)
            if page.activities:
                self._store_activities(conn, page.activities, stats)
            self._save_cursor(conn, page.stream, page.cursor, now)
        self._refresh_statistics()
        return stats

    def _wrote(self, table: sa.Table, rows: int) -> None:
        self._written[table.name] = self._written.get(table.name, 0) + rows

    def _refresh_statistics(self) -> None:
        """PostgreSQL: ANALYZE a table after 10,000, 20,000, 40,000 ... rows written to it in this cycle.

        A first pull grows the tables from nothing to millions of rows within one cycle; with the
        planner's statistics still those of an empty table, the id lookups of each page chose a scan of
        the tenant's whole index (0.3 s a lookup at 1.3 million activities instead of 2 ms).
        """
        if self.engine.dialect.name != "postgresql":
            return
        for name, rows in self._written.items():
            if rows >= self._analyze_at.get(name, ANALYZE_FIRST):
                with self.engine.begin() as conn:
                    conn.execute(sa.text(f'ANALYZE "{name}"'))      # our own table names only
                self._analyze_at[name] = rows * 2

    def _existing(self, conn: sa.Connection, table: sa.Table, ids: Sequence[str],
                  columns: Sequence[str]) -> dict[str, sa.RowMapping]:
        found: dict[str, sa.RowMapping] = {}
        for part in chunks(list(ids)):
            query = sa.select(*(table.c[c] for c in ("id", *columns))).where(
                table.c.tenant == self.tenant, table.c.id.in_(part))
            found.update((row["id"], row) for row in conn.execute(query).mappings())
        return found

    def _store_companies(self, conn: sa.Connection, companies: Sequence[CompanyRecord], stats: PageStats) -> None:
        old = self._existing(conn, t.companies, [c.id for c in companies], ["row_hash"])
        rows = []
        for company in companies:
            fields = jsonable(dict(company.fields))
            row_hash = digest({"f": fields, "d": company.deleted})
            if company.id in old and old[company.id]["row_hash"] == row_hash:
                continue
            rows.append({"tenant": self.tenant, "id": company.id, "modified_at": as_utc(company.modified_at),
                         "fields": fields, "row_hash": row_hash, "deleted": company.deleted})
        upsert(conn, t.companies, rows)
        self._wrote(t.companies, len(rows))
        stats.changed += len(rows)
        changed = [r["id"] for r in rows if r["id"] in old]      # new companies have no stored persons yet
        for part in chunks(changed):
            conn.execute(sa.update(t.persons).where(t.persons.c.tenant == self.tenant,
                                                    t.persons.c.company_id.in_(part)).values(dirty=True))

    def _store_persons(self, conn: sa.Connection, persons: Sequence[PersonRecord], stats: PageStats) -> None:
        old = self._existing(conn, t.persons, [p.id for p in persons],
                             ["row_hash", "input_hash", "counters", "dirty", "replan"])
        rows, derived, gone = [], [], []
        for person in persons:
            before = old.get(person.id)
            fields = jsonable(dict(person.fields))
            crm_values = jsonable(dict(person.crm_values))
            counters = jsonable(dict(person.counters))
            ihash = input_hash(person, self.unhashed)
            row_hash = digest({"i": ihash, "v": crm_values, "n": counters, "d": person.deleted,
                               "m": person.merged_into, "r": person.read_only,
                               "u": {k: fields.get(k) for k in sorted(self.unhashed)}})   # kept fresh, not inputs
            if person.deleted or person.merged_into:
                gone.append(person.id)
            if before is not None and before["row_hash"] == row_hash:
                continue
            if not person.deleted and not person.merged_into:
                derived += derive_activities(person.id, before["counters"] if before else None, counters,
                                             as_utc(person.modified_at))
            inputs_changed = before is None or before["input_hash"] != ihash
            rows.append({
                "tenant": self.tenant, "id": person.id, "object_type": person.object_type,
                "modified_at": as_utc(person.modified_at), "company_id": person.company_id, "fields": fields,
                "crm_values": crm_values, "counters": counters, "input_hash": ihash, "row_hash": row_hash,
                "deleted": person.deleted, "merged_into": person.merged_into, "read_only": person.read_only,
                "dirty": inputs_changed or bool(before and before["dirty"]),
                "replan": True,
            })
            if inputs_changed:
                stats.changed_ids.append(person.id)
        upsert(conn, t.persons, rows)
        self._wrote(t.persons, len(rows))
        stats.changed += len(stats.changed_ids)
        if derived:
            stats.derived += self._insert_derived(conn, derived)
        for part in chunks(gone):              # pending writes, and dead letters the deletion explains
            conn.execute(sa.update(t.outbox).where(
                t.outbox.c.tenant == self.tenant, t.outbox.c.person_id.in_(part),
                t.outbox.c.state.in_((*ACTIVE, "dead")),
            ).values(state="dropped", code="DELETED_OR_MERGED", updated_at=sa.func.now()))

    def _insert_derived(self, conn: sa.Connection, derived: Sequence[Any]) -> int:
        old = self._existing(conn, t.activities, [d.id for d in derived], [])
        rows = [{"tenant": self.tenant, "id": d.id, "person_id": d.person_id, "type": d.type, "at": d.at,
                 "attributes": d.attributes, "row_hash": "derived", "deleted": False,
                 "derived": True} for d in derived if d.id not in old]
        upsert(conn, t.activities, rows, only_insert=True)
        self._wrote(t.activities, len(rows))
        persons = sorted({r["person_id"] for r in rows})
        for part in chunks(persons):
            conn.execute(sa.update(t.persons).where(t.persons.c.tenant == self.tenant, t.persons.c.id.in_(part))
                         .values(dirty=True))
        return len(rows)

    def _store_activities(self, conn: sa.Connection, acts: Sequence[ActivityRecord], stats: PageStats) -> None:
        old = self._existing(conn, t.activities, [a.id for a in acts], ["row_hash", "person_id"])
        rows = []
        touched: set[str] = set()
        for act in acts:
            attributes = jsonable(dict(act.attributes))
            at = as_utc(act.at)
            row_hash = digest([act.person_id, act.type, at, attributes, act.deleted])
            before = old.get(act.id)
            if before is not None and before["row_hash"] == row_hash:
                continue
            rows.append({"tenant": self.tenant, "id": act.id, "person_id": act.person_id, "type": act.type,
                         "at": at, "attributes": attributes, "row_hash": row_hash, "deleted": act.deleted,
                         "derived": False})
            touched.add(act.person_id)
            if before is not None:
                touched.add(before["person_id"])
        upsert(conn, t.activities, rows)
        self._wrote(t.activities, len(rows))
        stats.changed += len(rows)
        for part in chunks(sorted(touched)):
            conn.execute(sa.update(t.persons).where(t.persons.c.tenant == self.tenant, t.persons.c.id.in_(part))
                         .values(dirty=True))

    # ------------------------------------------------------------------ scoring
    def due_persons(self, model_version: str, as_of: date, *, after: str | None = None,
                    limit: int | None = None) -> list[DuePerson]:
        """Persons to (re)score: inputs changed, never scored, decayed numbers may have moved, new model.

        By id; ``after``/``limit`` read them a slice at a time (keyset paging keeps memory flat).
        """
        p, s = t.persons, t.scores
        query = (
            sa.select(p.c.id, p.c.object_type, p.c.fields, p.c.company_id, p.c.input_hash, s.c.status, s.c.mql_at)
            .select_from(p.outerjoin(s, sa.and_(s.c.tenant == p.c.tenant, s.c.person_id == p.c.id)))
            .where(p.c.tenant == self.tenant, sa.not_(p.c.deleted), p.c.merged_into.is_(None),
                   sa.or_(p.c.dirty, s.c.person_id.is_(None), s.c.model_version != model_version,
                          sa.and_(s.c.engagement != 0, s.c.as_of < as_of)))
            .order_by(p.c.id).limit(limit)
        )
        if after is not None:
            query = query.where(p.c.id > after)
        with self.engine.connect() as conn:
            return [DuePerson(r.id, r.object_type, r.fields or {}, r.company_id, r.input_hash, r.status, r.mql_at)
                    for r in conn.execute(query)]

    def activities_for(self, person_ids: Sequence[str]) -> dict[str, list[sa.RowMapping]]:
        """Live activities of these persons, oldest first then by id (a stable input order)."""
        out: dict[str, list[sa.RowMapping]] = {pid: [] for pid in person_ids}
        a = t.activities
        with self.engine.connect() as conn:
            for part in chunks(list(person_ids)):
                query = (sa.select(a.c.id, a.c.person_id, a.c.type, a.c.at, a.c.attributes)
                         .where(a.c.tenant == self.tenant, a.c.person_id.in_(part), sa.not_(a.c.deleted))
                         .order_by(a.c.person_id, a.c.at, a.c.id))
                for row in conn.execute(query).mappings():
                    out[row["person_id"]].append(row)
        return out

    def companies_for(self, company_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        c = t.companies
        with self.engine.connect() as conn:
            for part in chunks(sorted(set(company_ids))):
                query = sa.select(c.c.id, c.c.fields).where(c.c.tenant == self.tenant, c.c.id.in_(part),
                                                             sa.not_(c.c.deleted))
                out.update((row.id, dict(row.fields or {})) for row in conn.execute(query))
        return out

    def save_scores(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store evaluations; their persons are no longer dirty and are due for planning."""
        if not rows:
            return
        full = [{"tenant": self.tenant, **row} for row in rows]
        with self.engine.begin() as conn:
            upsert(conn, t.scores, full, guard=None)
            for part in chunks([r["person_id"] for r in rows]):
                conn.execute(sa.update(t.persons).where(t.persons.c.tenant == self.tenant, t.persons.c.id.in_(part))
                             .values(dirty=False, replan=True))

    def score(self, person_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.scores).where(t.scores.c.tenant == self.tenant,
                                                         t.scores.c.person_id == person_id)).mappings().first()
        return dict(row) if row else None

    def person(self, person_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.persons).where(t.persons.c.tenant == self.tenant,
                                                          t.persons.c.id == person_id)).mappings().first()
        return dict(row) if row else None

    # ------------------------------------------------------------------ planning
    def plan_inputs(self, *, after: str | None = None, limit: int | None = None) -> list[PlanInput]:
        """Persons whose evaluation or CRM values changed since writes were last planned (by id, sliced)."""
        p, s = t.persons, t.scores
        query = (
            sa.select(p.c.id, p.c.object_type, p.c.modified_at, p.c.fields, p.c.crm_values, p.c.input_hash,
                      s.c.fit, s.c.engagement, s.c.score, s.c.grade, s.c.status, s.c.mql_at, s.c.mql_reason,
                      s.c.model_version)
            .select_from(p.join(s, sa.and_(s.c.tenant == p.c.tenant, s.c.person_id == p.c.id)))
            .where(p.c.tenant == self.tenant, p.c.replan, sa.not_(p.c.deleted), p.c.merged_into.is_(None),
                   sa.not_(p.c.read_only))
            .order_by(p.c.id).limit(limit)
        )
        if after is not None:
            query = query.where(p.c.id > after)
        out = []
        with self.engine.connect() as conn:
            for r in conn.execute(query).mappings():
                score = {k: r[k] for k in ("fit", "engagement", "score", "grade", "status", "mql_at", "mql_reason",
                                           "model_version")}
                out.append(PlanInput(r["id"], r["object_type"], as_utc(r["modified_at"]), r["fields"] or {},
                                     r["crm_values"] or {}, r["input_hash"], score))
        return out

    def clear_replan(self, conn: sa.Connection, person_ids: Sequence[str]) -> None:
        for part in chunks(list(person_ids)):
            conn.execute(sa.update(t.persons).where(t.persons.c.tenant == self.tenant, t.persons.c.id.in_(part))
                         .values(replan=False))
        # read-only, deleted and merged persons are never planned: clear them as well
        conn.execute(sa.update(t.persons).where(
            t.persons.c.tenant == self.tenant, t.persons.c.replan,
            sa.or_(t.persons.c.read_only, t.persons.c.deleted, t.persons.c.merged_into.is_not(None)),
        ).values(replan=False))

    def crm_state(self, person_ids: Sequence[str]) -> dict[str, sa.RowMapping]:
        """CRM values and live-ness of these persons, for reconciling the outbox."""
        with self.engine.connect() as conn:
            return self._existing(conn, t.persons, person_ids, ["crm_values", "deleted", "merged_into"])

    def count(self, table: sa.Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)
                                    .where(table.c.tenant == self.tenant)).scalar() or 0)

    # ------------------------------------------------------------------ read-only views (explain, preview)
    def live_persons(self, *, after: str | None = None,
                     limit: int | None = None) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """Persons neither deleted nor merged, by id, each with its stored score row (None: never scored).

        ``after``/``limit`` read them a slice at a time (keyset paging keeps memory flat). Reads only.
        """
        p = t.persons
        query = (sa.select(p).where(p.c.tenant == self.tenant, sa.not_(p.c.deleted), p.c.merged_into.is_(None))
                 .order_by(p.c.id).limit(limit))
        if after is not None:
            query = query.where(p.c.id > after)
        return self._with_scores(query)

    def find_persons_by_email(self, email: str) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """Every stored person (live ones first, then by id) whose email matches, ignoring case and blanks
        around it, each with its stored score row. Scans the tenant's persons (no index): for one-off
        look-ups such as ``crmsync explain``."""
        p = t.persons
        wanted = email.strip().lower()
        query = (sa.select(p).where(p.c.tenant == self.tenant,
                                    sa.func.lower(sa.func.trim(p.c.fields["email"].as_string())) == wanted)
                 .order_by(sa.or_(p.c.deleted, p.c.merged_into.is_not(None)), p.c.id))
        return self._with_scores(query)

    def _with_scores(self, query: sa.Select[Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        with self.engine.connect() as conn:
            persons = [dict(row) for row in conn.execute(query).mappings()]
            scores: dict[str, dict[str, Any]] = {}
            for part in chunks([row["id"] for row in persons]):
                s = t.scores
                found = conn.execute(sa.select(s).where(s.c.tenant == self.tenant, s.c.person_id.in_(part)))
                scores.update((row["person_id"], dict(row)) for row in found.mappings())
        return [(row, scores.get(row["id"])) for row in persons]

    def unechoed_writes(self, modified: Mapping[str, datetime]) -> dict[str, dict[str, Any]]:
        """Per person (id -> its stored ``modified_at``): the values of our write intents that its stored CRM
        values may not show yet, merged oldest first: active (pending, retry) intents, and intents done at or
        after that ``modified_at`` (the pull that brings their echo has not run). Reads only."""
        o = t.outbox
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for part in chunks(sorted(modified)):
                query = (sa.select(o.c.person_id, o.c["values"], o.c.state, o.c.updated_at)
                         .where(o.c.tenant == self.tenant, o.c.person_id.in_(part),
                                o.c.state.in_((*ACTIVE, "done")))
                         .order_by(o.c.seq))
                for row in conn.execute(query):
                    if row.state == "done" and as_utc(row.updated_at) < as_utc(modified[row.person_id]):
                        continue
                    out.setdefault(row.person_id, {}).update(row.values or {})
        return out
