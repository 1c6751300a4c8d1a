"""The store's tables (SQLModel). Every row belongs to one tenant: ``tenant`` leads every primary key.

The schema is created and upgraded by Alembic (``sync/migrations``), never by ``create_all``;
``tests/unit/sync/test_migrations.py`` checks that the migrations and these models agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

UTC_DT = sa.DateTime(timezone=True)


def _json(nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(sa.JSON, nullable=nullable))


def _dt(nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTC_DT, nullable=nullable))


class PersonRow(SQLModel, table=True):
    """The last pulled state of one person; ``dirty`` = inputs changed since it was last scored."""

    __tablename__ = "persons"
    tenant: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    object_type: str = Field(max_length=32)
    modified_at: datetime = _dt()
    company_id: str | None = Field(default=None, max_length=64)
    fields: dict[str, Any] = _json()
    crm_values: dict[str, Any] = _json()
    counters: dict[str, Any] = _json()
    input_hash: str = Field(max_length=32)           # inputs only: fields, company link, object type
    row_hash: str = Field(max_length=32)             # everything stored (inputs, CRM values, flags)
    deleted: bool = False
    merged_into: str | None = Field(default=None, max_length=64)
    read_only: bool = False
    dirty: bool = Field(default=True)                # rescore: inputs, activities or company changed
    replan: bool = Field(default=True)               # re-plan: the CRM's values of our fields changed


class CompanyRow(SQLModel, table=True):
    __tablename__ = "companies"
    tenant: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    modified_at: datetime = _dt()
    fields: dict[str, Any] = _json()
    row_hash: str = Field(max_length=32)
    deleted: bool = False


class ActivityRow(SQLModel, table=True):
    """A pulled or derived activity; derived ids are stable (``pv:<person>:<n>``, ``cv:<person>:...``)."""

    __tablename__ = "activities"
    __table_args__ = (sa.Index("ix_activities_person", "tenant", "person_id"),)
    tenant: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=200)
    person_id: str = Field(max_length=64)
    type: str = Field(max_length=32)
    at: datetime = _dt()
    attributes: dict[str, Any] = _json()
    row_hash: str = Field(max_length=32)
    deleted: bool = False
    derived: bool = False


class ScoreRow(SQLModel, table=True):
    """The latest evaluation of one person, with its breakdown and the model version that made it."""

    __tablename__ = "scores"
    tenant: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=64)
    fit: int
    engagement: int
    score: int
    grade: str | None = Field(default=None, max_length=2)
    status: str = Field(max_length=16)
    mql_at: date | None = None
    mql_reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    breakdown: list[Any] = _json()
    model_version: str = Field(max_length=64)
    as_of: date
    evaluated_at: datetime = _dt()
    input_hash: str = Field(max_length=32)


class CursorRow(SQLModel, table=True):
    __tablename__ = "cursors"
    tenant: str = Field(primary_key=True, max_length=64)
    stream: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] = _json()
    updated_at: datetime = _dt()


class OutboxRow(SQLModel, table=True):
    """One write intent. ``state``: pending | retry | done | dead | superseded | dropped."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_state", "tenant", "state"),
        sa.Index("ix_outbox_person", "tenant", "person_id"),
    )
    tenant: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    person_id: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    values: dict[str, Any] = _json()
    state: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _dt()
    code: str | None = Field(default=None, max_length=120)
    message: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    input_hash: str = Field(max_length=32)
    model_version: str = Field(max_length=64)
    run_id: str = Field(max_length=40)
    created_at: datetime = _dt()
    updated_at: datetime = _dt()


class RunRow(SQLModel, table=True):
    """The run ledger: one row per cycle, its summary as JSON."""

    __tablename__ = "runs"
    __table_args__ = (sa.Index("ix_runs_started", "tenant", "started_at"),)
    tenant: str = Field(primary_key=True, max_length=64)
    run_id: str = Field(primary_key=True, max_length=40)
    started_at: datetime = _dt()
    finished_at: datetime | None = _dt(nullable=True)
    status: str = Field(max_length=16)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    summary: dict[str, Any] = _json()


class RunStreamRow(SQLModel, table=True):
    """The run ledger per stream: records pulled and changed, pages, the cursor reached."""

    __tablename__ = "run_streams"
    tenant: str = Field(primary_key=True, max_length=64)
    run_id: str = Field(primary_key=True, max_length=40)
    stream: str = Field(primary_key=True, max_length=64)
    pulled: int = 0
    changed: int = 0
    pages: int = 0
    cursor: dict[str, Any] | None = _json(nullable=True)


def table(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model, for bulk statements."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


persons = table(PersonRow)
companies = table(CompanyRow)
activities = table(ActivityRow)
scores = table(ScoreRow)
cursors = table(CursorRow)
outbox = table(OutboxRow)
runs = table(RunRow)
run_streams = table(RunStreamRow)
metadata = SQLModel.metadata
