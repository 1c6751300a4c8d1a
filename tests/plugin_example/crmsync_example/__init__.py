"""An example crmsync connector plugin: a fixed in-memory CRM with two people."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from config.models import Tenant
from connectors.base import (
    ApiUsage,
    CheckResult,
    Cursor,
    Page,
    PersonRecord,
    ProvisionItem,
    Update,
    WriteResult,
)


@dataclass(frozen=True)
class _Person:
    id: str
    email: str
    title: str
    at: datetime


_PEOPLE = (
    _Person("p1", "ada@example.com", "VP Engineering", datetime(2026, 1, 2, tzinfo=UTC)),
    _Person("p2", "bob@example.com", "Intern", datetime(2026, 1, 3, tzinfo=UTC)),
)


class ExampleConnector:
    kind: ClassVar[str] = "example"

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.values: dict[str, dict[str, Any]] = {p.id: {} for p in _PEOPLE}
        self.usage = ApiUsage()

    @property
    def max_batch(self) -> int:
        return 50

    def streams(self) -> Sequence[str]:
        return ("people",)

    def check(self) -> CheckResult:
        return CheckResult(True, "the example CRM is always there")

    def pull(self, stream: str, cursor: Cursor | None, *, until: datetime, full: bool = False) -> Iterator[Page]:
        self.usage.calls["example.people"] = self.usage.calls.get("example.people", 0) + 1
        since = None if full or not cursor else datetime.fromisoformat(str(cursor["ts"]))
        rows = [p for p in _PEOPLE if (since is None or p.at >= since) and p.at <= until]
        persons = [PersonRecord(id=p.id, object_type="person", modified_at=p.at,
                                fields={"email": p.email, "title": p.title},
                                crm_values=dict(self.values[p.id])) for p in rows]
        top = max((p.at for p in rows), default=since or until)
        yield Page(stream, {"ts": min(top, until).isoformat()}, persons=persons)

    def push(self, updates: Sequence[Update]) -> list[WriteResult]:
        results = []
        for update in updates:
            if update.person_id not in self.values:
                results.append(WriteResult(update.person_id, "dead", code="NOT_FOUND"))
                continue
            self.values[update.person_id].update(update.values)
            results.append(WriteResult(update.person_id, "done"))
        return results

    def provision(self, *, apply: bool = True) -> list[ProvisionItem]:
        return [ProvisionItem("person", name, "exists") for name in self.tenant.write_back.fields.mapping().values()]

    def take_usage(self) -> ApiUsage:
        usage, self.usage = self.usage, ApiUsage()
        return usage

    def close(self) -> None:
        return None
