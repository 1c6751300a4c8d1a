"""An in-memory CRM implementing the Connector protocol: a test double for cycle tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.base import (
    ActivityRecord,
    ApiUsage,
    CheckResult,
    CompanyRecord,
    Cursor,
    Page,
    PersonRecord,
    ProvisionItem,
    Update,
    WriteResult,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeCRM:
    """Persons, companies and activities with modified dates; push applies values and bumps the date."""

    kind: ClassVar[str] = "fake"
    page_size: int = 2
    batch: int = 2
    clock: datetime = T0
    persons: dict[str, PersonRecord] = field(default_factory=dict)
    companies: dict[str, CompanyRecord] = field(default_factory=dict)
    activities: dict[str, ActivityRecord] = field(default_factory=dict)
    refuse: dict[str, str] = field(default_factory=dict)          # person id -> error code (dead)
    flaky: dict[str, int] = field(default_factory=dict)           # person id -> retry answers left
    pushes: list[list[Update]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def max_batch(self) -> int:
        return self.batch

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    # ----------------------------------------------------------------- editing (the "CRM user")
    def put_person(self, pid: str, **fields: Any) -> None:
        old = self.persons.get(pid)
        crm_values = dict(old.crm_values) if old else {}
        counters = fields.pop("counters", dict(old.counters) if old else {})
        crm_values.update(fields.pop("crm_values", {}))
        base = dict(old.fields) if old else {}
        base.update(fields)
        self.persons[pid] = PersonRecord(pid, "contact", self.tick(), base, crm_values,
                                         company_id=base.pop("company_id", old.company_id if old else None),
                                         counters=counters)

    def delete_person(self, pid: str) -> None:
        self.persons[pid] = replace(self.persons[pid], deleted=True, modified_at=self.tick())

    def put_activity(self, aid: str, pid: str, kind: str, at: datetime, **attrs: Any) -> None:
        self.activities[aid] = ActivityRecord(aid, pid, kind, at, attrs)  # type: ignore[arg-type]
        self._modified[aid] = self.tick()

    def __post_init__(self) -> None:
        self._modified: dict[str, datetime] = {}

    def writes_to(self, pid: str) -> list[dict[str, Any]]:
        return [dict(u.values) for batch in self.pushes for u in batch if u.person_id == pid]

    # ----------------------------------------------------------------- the protocol
    def streams(self) -> Sequence[str]:
        return ("companies", "persons", "activities")

    def check(self) -> CheckResult:
        return CheckResult(True, "fake")

    def _count(self, endpoint: str) -> None:
        self.calls[endpoint] = self.calls.get(endpoint, 0) + 1

    def pull(self, stream: str, cursor: Cursor | None, *, until: datetime, full: bool = False) -> Iterator[Page]:
        since = datetime.fromisoformat(cursor["since"]) if cursor and not full else None
        sources: dict[str, dict[str, Any]] = {"companies": self.companies, "persons": self.persons,
                                              "activities": self.activities}
        pool: list[Any] = list(sources[stream].values())

        def stamp(record: Any) -> datetime:
            if isinstance(record, ActivityRecord):
                return self._modified[record.id]
            return record.modified_at  # type: ignore[no-any-return]

        records = sorted(pool, key=lambda r: (stamp(r), r.id))
        records = [r for r in records if since is None or stamp(r) > since]
        self._count(f"pull:{stream}")
        if not records:
            yield Page(stream, dict(cursor or {}))
            return
        for start in range(0, len(records), self.page_size):
            if start:
                self._count(f"pull:{stream}")
            part = records[start:start + self.page_size]
            page_cursor = {"since": stamp(part[-1]).isoformat()}
            key = {"companies": "companies", "persons": "persons", "activities": "activities"}[stream]
            yield Page(stream, page_cursor, **{key: part})

    def push(self, updates: Sequence[Update]) -> list[WriteResult]:
        assert len(updates) <= self.batch
        self._count("push")
        self.pushes.append(list(updates))
        out = []
        for update in updates:
            person = self.persons.get(update.person_id)
            if person is None or person.deleted:
                out.append(WriteResult(update.person_id, "dead", code="OBJECT_NOT_FOUND"))
            elif update.person_id in self.refuse:
                out.append(WriteResult(update.person_id, "dead", code=self.refuse[update.person_id],
                                       message="refused", fields=tuple(update.values)))
            elif self.flaky.get(update.person_id, 0) > 0:
                self.flaky[update.person_id] -= 1
                out.append(WriteResult(update.person_id, "retry", code="SERVER_ERROR"))
            else:
                values = dict(person.crm_values)
                values.update({k: ("" if v is None else str(v)) for k, v in update.values.items()})
                self.persons[update.person_id] = replace(person, crm_values=values, modified_at=self.tick())
                out.append(WriteResult(update.person_id, "done"))
        return out

    def provision(self, *, apply: bool = True) -> list[ProvisionItem]:
        return []

    def take_usage(self) -> ApiUsage:
        usage = ApiUsage(calls=dict(self.calls))
        self.calls = {}
        return usage

    def close(self) -> None:
        pass
