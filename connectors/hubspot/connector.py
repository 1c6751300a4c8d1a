"""The HubSpot connector: streams, push and provision behind :class:`connectors.base.Connector`."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from config.models import HubSpotCRM, Tenant
from connectors.base import (
    ActivityRecord,
    ApiUsage,
    CheckResult,
    ConnectorError,
    Cursor,
    Page,
    PersonRecord,
    ProvisionItem,
    Update,
    WriteResult,
)
from connectors.http import Caller, Clock, HubSpotBudget, Sleep
from connectors.hubspot import mapping
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.provision import provision
from connectors.hubspot.pull import Record, SearchSpec, grouped, list_all, search_changes, sweep_archived
from connectors.hubspot.push import MAX_BATCH, push_updates

BASE_STREAMS = ("companies", "contacts", "archived_contacts", "meetings", "calls", "emails")
ASSOCIATIONS_BATCH = 1000      # ids per associations v4 batch read (CRM_APIS.md 1.8)
INCOMING_ONLY = ({"propertyName": "hs_email_direction", "operator": "EQ", "value": mapping.INCOMING_EMAIL},)
EVENTS_LOOKBACK = timedelta(days=365)


class HubSpotConnector:
    kind: ClassVar[str] = "hubspot"

    def __init__(self, tenant: Tenant, *, sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
                 rng: random.Random | None = None, max_elapsed_s: float = 300) -> None:
        if not isinstance(tenant.crm, HubSpotCRM):
            raise ConnectorError(f"tenant {tenant.tenant} is not a HubSpot tenant (crm.kind={tenant.crm.kind})")
        self.tenant = tenant
        self.crm: HubSpotCRM = tenant.crm
        limits = self.crm.rate_limit
        budget = HubSpotBudget(limits.per_10s, limits.search_per_s, clock=clock, sleep=sleep)
        self.caller = Caller(budget, tenant=tenant.tenant, sleep=sleep, clock=clock, rng=rng,
                             max_elapsed_s=max_elapsed_s)
        self.client = HubSpotClient(self.crm, self.caller)
        self._contact_props = mapping.contact_properties(tenant)

    @property
    def max_batch(self) -> int:
        return MAX_BATCH

    def streams(self) -> Sequence[str]:
        return (*BASE_STREAMS, "events") if self.crm.events.enabled else BASE_STREAMS

    def check(self) -> CheckResult:
        try:
            self.client.list_page("contacts", ["email"], None, limit=1)
        except ConnectorError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"HubSpot at {self.crm.base_url}: token accepted, contacts readable")

    # ------------------------------------------------------------------ pull
    def pull(self, stream: str, cursor: Cursor | None, *, until: datetime, full: bool = False) -> Iterator[Page]:
        until_ms = mapping.to_ms(until)
        if stream == "companies":
            yield from self._pull_companies(cursor, until_ms, full)
        elif stream == "contacts":
            yield from self._pull_contacts(cursor, until_ms, full)
        elif stream == "archived_contacts":
            for records, after in sweep_archived(self.client, "contacts", ["email"], cursor, until_ms,
                                                 full=full):
                yield Page(stream, after, persons=[mapping.to_archived(r) for r in records])
        elif stream in mapping.ENGAGEMENTS:
            yield from self._pull_engagements(stream, cursor, until_ms)
        elif stream == "events" and self.crm.events.enabled:
            yield from self._pull_events(cursor, until, until_ms)
        else:
            raise ValueError(f"unknown HubSpot stream {stream!r}; streams are {', '.join(self.streams())}")

    def _pull_companies(self, cursor: Cursor | None, until_ms: int, full: bool) -> Iterator[Page]:
        props = mapping.company_properties()
        if full or not cursor or "full" in cursor:
            source = list_all(self.client, "companies", props, cursor, until_ms)
        else:
            source = search_changes(self.client, SearchSpec("companies", mapping.OBJECT_MODIFIED, props), cursor,
                                    until_ms)
        for records, after in source:
            yield Page("companies", after, companies=[mapping.to_company(r) for r in records])

    def _pull_contacts(self, cursor: Cursor | None, until_ms: int, full: bool) -> Iterator[Page]:
        props = self._contact_props
        if full or not cursor or "full" in cursor:
            source = list_all(self.client, "contacts", props, cursor, until_ms)
        else:
            source = search_changes(self.client, SearchSpec("contacts", mapping.CONTACT_MODIFIED, props), cursor,
                                    until_ms)
        for records, after in grouped(source, ASSOCIATIONS_BATCH):
            yield Page("contacts", after, persons=self._persons(records))

    def _persons(self, records: Sequence[Record]) -> list[PersonRecord]:
        if not records:
            return []
        companies = self._associated(("contacts", "companies"), [str(r["id"]) for r in records])
        persons: list[PersonRecord] = []
        for record in records:
            rid = str(record["id"])
            person = mapping.to_person(record, self.tenant, mapping.primary_company(companies.get(rid, ())))
            persons.append(person)
            persons.extend(mapping.to_merged(mid, person) for mid in mapping.merged_ids(record))
        return persons

    def _associated(self, kinds: tuple[str, str], ids: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
        found: dict[str, list[Mapping[str, Any]]] = {}
        for start in range(0, len(ids), ASSOCIATIONS_BATCH):
            answer = self.client.associations(kinds[0], kinds[1], ids[start:start + ASSOCIATIONS_BATCH])
            data = answer.data if isinstance(answer.data, dict) else {}
            for item in data.get("results") or ():
                found.setdefault(str((item.get("from") or {}).get("id")), []).extend(item.get("to") or ())
        return found

    def _pull_engagements(self, stream: str, cursor: Cursor | None, until_ms: int) -> Iterator[Page]:
        object_type, _, props = mapping.ENGAGEMENTS[stream]
        where = INCOMING_ONLY if stream == "emails" else ()
        spec = SearchSpec(object_type, mapping.OBJECT_MODIFIED, props, where=where)
        for records, after in grouped(search_changes(self.client, spec, cursor, until_ms), ASSOCIATIONS_BATCH):
            relevant = [r for r in records if stream != "emails" or
                        str((r.get("properties") or {}).get("hs_email_direction")) == mapping.INCOMING_EMAIL]
            activities: list[ActivityRecord] = []
            if relevant:
                contacts = self._associated((object_type, "contacts"), [str(r["id"]) for r in relevant])
                for record in relevant:
                    people = [str(t.get("toObjectId")) for t in contacts.get(str(record["id"]), ())]
                    activities.extend(mapping.engagement_activity(stream, record, people))
            yield Page(stream, after, activities=activities)

    def _pull_events(self, cursor: Cursor | None, until: datetime, until_ms: int) -> Iterator[Page]:
        start_ms = int((cursor or {}).get("ts") or mapping.to_ms(until - EVENTS_LOOKBACK))
        seen = set((cursor or {}).get("ids") or ())
        since = datetime.fromtimestamp(max(0, start_ms - 1) / 1000, tz=until.tzinfo).isoformat()
        before = until.isoformat()
        activities: list[ActivityRecord] = []
        for event_type in self.crm.events.page_view_event_types:
            after: str | None = None
            while True:
                answer = self.client.events_page(event_type, since, before, after)
                data = answer.data if isinstance(answer.data, dict) else {}
                for event in data.get("results") or ():
                    activity = mapping.page_view(event)
                    if activity is None or activity.id in seen:
                        continue
                    ms = mapping.to_ms(activity.at)
                    if start_ms <= ms <= until_ms:
                        activities.append(activity)
                after = ((data.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
        if not activities:
            return
        top = max(mapping.to_ms(a.at) for a in activities)
        at_top = sorted({a.id for a in activities if mapping.to_ms(a.at) == top} |
                        (seen if top == start_ms else set()))
        yield Page("events", {"ts": top, "ids": at_top}, activities=activities)

    # ------------------------------------------------------------------ push, provision
    def push(self, updates: Sequence[Update]) -> list[WriteResult]:
        return push_updates(self.client, updates)

    def provision(self, *, apply: bool = True) -> list[ProvisionItem]:
        return provision(self.client, self.tenant, apply=apply)

    def take_usage(self) -> ApiUsage:
        return self.caller.take_usage()

    def close(self) -> None:
        self.client.close()
