"""The connector protocol and the canonical records every connector produces.

A connector is the CRM edge of crmsync: it reads streams of canonical records from a cursor and
writes field updates back, one result per record. It never persists anything: the cycle stores a
page and the cursor after it in one transaction, so a crash resumes from the last stored page.

Exceptions a connector raises (drawn once, here)::

    ConnectorError                 the run cannot go on; .code is the CRM's error code when it has one
    ├── AuthError                  credentials refused, even after one token refresh
    ├── QuotaExhausted             the tenant's API budget (or the CRM's daily limit) is used up
    └── Unreachable                the CRM did not answer after retries (timeouts, 5xx, connection)

Refusals of single records are not exceptions: they come back as :class:`WriteResult` with
``outcome="dead"`` (or ``"retry"`` for transient per-record failures) and the CRM's own code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from config.models import ActivityType, Tenant

Cursor = Mapping[str, Any]          # JSON-serialisable, connector-defined; None/{} = from the beginning
Value = str | int | float | None    # a value written to a CRM field; None clears it

# Canonical names of the engagement counters a connector may report with a person (HubSpot rollup
# properties). The store derives activities from their changes between pulls (ARCHITECTURE.md).
COUNTERS = (
    "page_views", "last_visit_at",
    "email_opens", "last_open_at",
    "email_clicks", "last_click_at",
    "first_conversion_name", "first_conversion_at",
    "recent_conversion_name", "recent_conversion_at",
)


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One scored person (HubSpot contact, Salesforce Lead or Contact) in canonical form."""

    id: str                                   # the CRM's record id
    object_type: str                          # "contact" (HubSpot), "Lead" or "Contact" (Salesforce)
    modified_at: datetime                     # the CRM's modified timestamp (UTC)
    fields: Mapping[str, Any] = field(default_factory=dict)      # canonical person fields (CONTRACT 3)
    crm_values: Mapping[str, Any] = field(default_factory=dict)  # current CRM values of write-back and
                                                                 # lifecycle fields, by CRM field name
    company_id: str | None = None             # primary company / Account, when known
    counters: Mapping[str, Any] = field(default_factory=dict)    # see COUNTERS; {} when the CRM has none
    deleted: bool = False                     # deleted / archived in the CRM
    merged_into: str | None = None            # merged away into this id (its writes are dropped)
    read_only: bool = False                   # never written (e.g. a converted Salesforce lead)


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    id: str
    modified_at: datetime
    fields: Mapping[str, Any] = field(default_factory=dict)      # industry, employees, annual_revenue,
    deleted: bool = False                                        # country, name


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One engagement action of one person. ``id`` is stable across pulls."""

    id: str
    person_id: str
    type: ActivityType
    at: datetime                              # when it happened (UTC)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    deleted: bool = False


@dataclass(frozen=True)
class Page:
    """A batch of records from one stream and the cursor that is safe to save after it."""

    stream: str
    cursor: Cursor
    persons: Sequence[PersonRecord] = ()
    companies: Sequence[CompanyRecord] = ()
    activities: Sequence[ActivityRecord] = ()

    def __len__(self) -> int:
        return len(self.persons) + len(self.companies) + len(self.activities)


@dataclass(frozen=True)
class Update:
    """Field values to write to one record. ``key`` is the outbox idempotency key."""

    person_id: str
    object_type: str
    values: Mapping[str, Value]               # CRM field name -> value
    key: str = ""


Outcome = Literal["done", "retry", "dead"]


@dataclass(frozen=True)
class WriteResult:
    person_id: str
    outcome: Outcome
    code: str | None = None                   # the CRM's own error code, e.g. INVALID_OPTION
    message: str | None = None
    fields: tuple[str, ...] = ()              # the fields the CRM named, when it did


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str                               # what was checked, or what failed and what to do


@dataclass(frozen=True)
class ProvisionItem:
    object_type: str
    field: str
    state: Literal["created", "exists", "missing", "wrong", "not_updateable"]
    detail: str = ""


@dataclass
class ApiUsage:
    """Calls made since the last :meth:`Connector.take_usage`, for the run ledger and metrics."""

    calls: dict[str, int] = field(default_factory=dict)   # endpoint label -> calls
    throttled: int = 0                                    # 429 / rate-limit answers received
    retries: int = 0
    waited_s: float = 0.0                                 # time spent pacing or backing off

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class ConnectorError(Exception):
    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class AuthError(ConnectorError):
    pass


class QuotaExhausted(ConnectorError):
    pass


class Unreachable(ConnectorError):
    pass


@runtime_checkable
class Connector(Protocol):
    """What the sync cycle needs from a CRM. See docs/connectors.md for a worked plugin."""

    kind: ClassVar[str]

    @property
    def max_batch(self) -> int:
        """The most updates :meth:`push` takes in one call."""

    def streams(self) -> Sequence[str]:
        """Stream names in the order a cycle pulls them (companies before persons before activities)."""

    def check(self) -> CheckResult:
        """Log in and make one cheap call."""

    def pull(self, stream: str, cursor: Cursor | None, *, until: datetime,
             full: bool = False) -> Iterator[Page]:
        """Records changed since ``cursor`` (all of them when ``full`` or no cursor), page by page.

        The cursor of every page never goes back, and is capped so that it never passes ``until``
        (the cycle start less a lag), so records indexed late are read again next time.
        """

    def push(self, updates: Sequence[Update]) -> list[WriteResult]:
        """Write at most :attr:`max_batch` updates; one result per update, in input order."""

    def provision(self, *, apply: bool = True) -> list[ProvisionItem]:
        """Create (HubSpot) or check (Salesforce) the write-back fields of the tenant."""

    def take_usage(self) -> ApiUsage:
        """The API usage since the last call, and reset it."""

    def close(self) -> None: ...


class ConnectorFactory(Protocol):
    def __call__(self, tenant: Tenant) -> Connector: ...
