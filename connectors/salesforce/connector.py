"""``SalesforceConnector``: the Connector protocol over one tenant's Salesforce org."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import ClassVar

import requests

from config.models import SalesforceCRM, Tenant
from connectors.base import (
    ApiUsage,
    CheckResult,
    ConnectorError,
    Cursor,
    Page,
    ProvisionItem,
    Update,
    WriteResult,
)
from connectors.http import Caller, SalesforceBudget
from connectors.salesforce.bulk import Bulk
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.mapping import format_value, outputs_by_field
from connectors.salesforce.provision import check_object
from connectors.salesforce.pull import build_streams, pull_stream
from connectors.salesforce.push import MAX_BATCH, push_updates


class SalesforceConnector:
    kind: ClassVar[str] = "salesforce"

    def __init__(self, tenant: Tenant, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None, max_attempts: int = 6, max_elapsed_s: float = 300,
                 bulk_poll_s: float = 2.0, bulk_timeout_s: float = 3600, force_bulk: bool = False) -> None:
        if not isinstance(tenant.crm, SalesforceCRM):
            raise ValueError(f"tenant {tenant.tenant} is not a Salesforce tenant")
        self.tenant = tenant
        self.crm: SalesforceCRM = tenant.crm
        budget = SalesforceBudget(self.crm.daily_api_share, clock=clock, sleep=sleep, tenant=tenant.tenant)
        self.caller = Caller(budget, tenant=tenant.tenant, sleep=sleep, rng=rng, max_attempts=max_attempts,
                             max_elapsed_s=max_elapsed_s)
        self.client = SalesforceClient(self.crm, self.caller, session=session)
        # Bulk jobs are polled by a Caller of their own that may wait up to ``bulk_timeout_s``.
        self.poller = Caller(budget, tenant=tenant.tenant, sleep=sleep, rng=rng,
                             max_attempts=max(2, int(bulk_timeout_s / max(bulk_poll_s, 0.001)) + 1),
                             max_elapsed_s=bulk_timeout_s)
        self.bulk = Bulk(self.client, self.poller, poll_s=bulk_poll_s)
        self.force_bulk = force_bulk
        self._streams = build_streams(tenant)
        self._written: dict[str, int] = {}      # object -> records we wrote since its stream was last pulled

    @property
    def max_batch(self) -> int:
        return MAX_BATCH

    def streams(self) -> Sequence[str]:
        return tuple(self._streams)

    def check(self) -> CheckResult:
        try:
            limits = self.client.read_limits()
        except ConnectorError as exc:
            return CheckResult(False, str(exc))
        daily = limits.get("DailyApiRequests") or {}
        return CheckResult(True, f"logged in to {self.client.sf.sf_instance}; daily API requests "
                                 f"{daily.get('Remaining', '?')} of {daily.get('Max', '?')} left")

    def pull(self, stream: str, cursor: Cursor | None, *, until: datetime, full: bool = False) -> Iterator[Page]:
        spec = self._streams.get(stream)
        if spec is None:
            raise ValueError(f"unknown Salesforce stream {stream!r}; streams: {', '.join(self._streams)}")
        threshold = 0 if self.force_bulk else self.crm.bulk_threshold
        expected = self._written.pop(spec.object, 0) if spec.kind == "person" else 0
        return pull_stream(self.client, spec, cursor, until=until, full=full, bulk=self.bulk,
                           bulk_threshold=threshold, expected=expected)

    def push(self, updates: Sequence[Update]) -> list[WriteResult]:
        return self._count_written(updates, push_updates(self.client, self.tenant, updates))

    def _count_written(self, updates: Sequence[Update], results: list[WriteResult]) -> list[WriteResult]:
        """Remember how many records of each object we changed: the next pull of that object reads them back
        (our writes bump SystemModstamp), and knowing how many lets it pick the cheaper API at once."""
        for update, result in zip(updates, results, strict=False):
            if result.outcome == "done":
                self._written[update.object_type] = self._written.get(update.object_type, 0) + 1
        return results

    def push_bulk(self, updates: Sequence[Update]) -> list[WriteResult]:
        """Write any number of updates: per object, Bulk API 2.0 above ``crm.bulk_threshold`` records,
        else sObject Collections in batches of 200. One result per update, in input order."""
        results: dict[int, WriteResult] = {}
        by_object: dict[str, list[int]] = {}
        for index, update in enumerate(updates):
            by_object.setdefault(update.object_type, []).append(index)
        outputs = outputs_by_field(self.tenant)
        for object_type, indexes in by_object.items():
            group = [updates[i] for i in indexes]
            if len(group) > self.crm.bulk_threshold:
                done = self.bulk.update(object_type, group,
                                        lambda crm, value: format_value(outputs.get(crm), value))
            else:
                done = [r for start in range(0, len(group), MAX_BATCH)
                        for r in push_updates(self.client, self.tenant, group[start:start + MAX_BATCH])]
            results.update(zip(indexes, done, strict=True))
        return self._count_written(updates, [results[i] for i in range(len(updates))])

    def provision(self, *, apply: bool = True) -> list[ProvisionItem]:
        """Check (never create) the write-back and lifecycle fields on every scored object."""
        items: list[ProvisionItem] = []
        for object_type in self.crm.people:
            items += check_object(self.tenant, object_type, self.client.describe(object_type))
        return items

    def take_usage(self) -> ApiUsage:
        usage = self.caller.take_usage()
        polled = self.poller.take_usage()
        for label, calls in polled.calls.items():
            usage.calls[label] = usage.calls.get(label, 0) + calls
        usage.throttled += polled.throttled
        usage.waited_s += polled.waited_s
        return usage

    def close(self) -> None:
        self.client.close()
