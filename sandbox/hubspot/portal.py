"""One HubSpot portal (account): its tables, associations, page-view events, custom properties and writes."""

from __future__ import annotations

import bisect
import random
import threading
from array import array
from dataclasses import dataclass
from typing import Any

from sandbox.generate import PAGE_PATHS, PAGE_TITLES, Dataset
from sandbox.hubspot import activity
from sandbox.hubspot.columns import format_ms, format_number, parse_time
from sandbox.hubspot.errors import property_values_error, standard_error, validation_error
from sandbox.hubspot.ratelimit import RateLimiter, RateLimits
from sandbox.hubspot.schema import (
    ASSOCIATION_TYPES,
    BUILTIN_GROUPS,
    PRIMARY_COMPANY_TYPE_ID,
    GroupDef,
    PropertyDef,
)
from sandbox.hubspot.seed import seed_portal
from sandbox.hubspot.table import ObjectTable
from sandbox.vocab import SITE

PAGE_VIEW_EVENT = "e_visited_page"
_ENGAGEMENT_TYPES = ("meetings", "calls", "emails", "notes", "tasks")


@dataclass(frozen=True)
class WriteOptions:
    backward_lifecycle: str = "error"     # "error" (per-record error) | "ignore" (silently kept)


@dataclass
class UpdateOutcome:
    rows: list[int]
    errors: list[dict[str, Any]]


class Portal:
    """A portal's data. Callers hold :attr:`lock` around every read and write."""

    def __init__(self, portal_id: str, token: str, data: Dataset, seed: int, limits: RateLimits) -> None:
        self.id = portal_id
        self.token = token
        self.lock = threading.RLock()
        self.rng = random.Random(seed * 7919 + 1)
        self.limiter = RateLimiter(limits, portal_id)
        seeded = seed_portal(data, random.Random(seed))
        self.tables: dict[str, ObjectTable] = seeded.tables
        self.contact_company = seeded.contact_company
        self.engagement_contact = seeded.engagement_contact
        self.events = seeded.events
        self.groups: dict[str, dict[str, GroupDef]] = {t: {g.name: g for g in gs} for t, gs in BUILTIN_GROUPS.items()}
        self._reverse: dict[str, dict[int, list[int]]] = {}   # lazily built: contact -> engagement rows etc.

    # ---- writes
    def update(self, type_name: str, inputs: list[dict[str, Any]], now_ms: int, opts: WriteOptions) -> UpdateOutcome:
        table = self.tables[type_name]
        changes = [self._validated(table, item) for item in inputs]
        seen: set[str] = set()
        for item in inputs:
            rid = str(item.get("id"))
            if rid in seen:
                raise validation_error(f"Duplicate IDs found in batch input: [{rid}]. IDs must be unique")
            seen.add(rid)
        missing: list[str] = []
        errors: list[dict[str, Any]] = []
        rows: list[int] = []
        for item, values in zip(inputs, changes, strict=True):
            rid = str(item.get("id"))
            row = table.live_row(rid)
            if row is None:
                missing.append(rid)
                continue
            refusal = self._lifecycle_check(table, row, values, opts)
            if refusal is not None:
                context = {"ids": [rid], "propertyName": ["lifecyclestage"]}
                if item.get("objectWriteTraceId"):
                    context["objectWriteTraceId"] = [str(item["objectWriteTraceId"])]
                errors.append(standard_error("VALIDATION_ERROR", refusal, context))
                continue
            self.write_values(table, row, values, now_ms)
            rows.append(row)
        if missing:
            errors.append(standard_error(
                "OBJECT_NOT_FOUND",
                f"Could not get some {table.type.singular} objects, they may be deleted or not exist. "
                "Check that ids are valid.", {"ids": missing}))
        rows.reverse()        # HubSpot does not keep input order: callers must match results by id
        return UpdateOutcome(rows, errors)

    def write_values(self, table: ObjectTable, row: int, values: dict[str, str | None], now_ms: int) -> None:
        written = table.written.setdefault(row, set())
        for name, value in values.items():
            table.column(name).set(row, value)
            written.add(name)
        table.touch(row, now_ms)

    def _validated(self, table: ObjectTable, item: Any) -> dict[str, str | None]:
        if not isinstance(item, dict) or "id" not in item:
            raise validation_error("each input needs an id and properties")
        raw = item.get("properties")
        if not isinstance(raw, dict):
            raise validation_error(f"input {item.get('id')!r} has no properties object")
        return validate_properties(table, raw)

    def _lifecycle_check(self, table: ObjectTable, row: int, values: dict[str, str | None],
                         opts: WriteOptions) -> str | None:
        if "lifecyclestage" not in values or table.type.name not in ("contacts", "companies"):
            return None
        new = values["lifecyclestage"]
        old = table.get(row, "lifecyclestage")
        if not new or not old or new == old:
            return None
        order = {o.value: i for i, o in enumerate(table.props["lifecyclestage"].options)}
        if order.get(new, 0) >= order.get(old, 0):
            return None
        if opts.backward_lifecycle == "ignore":
            del values["lifecyclestage"]
            return None
        return (f"lifecyclestage can only move forward through the API: {table.id_of(row)} is {old!r}, "
                f"cannot set {new!r}. Clear it (\"\") first, then set the earlier stage.")

    def archive(self, type_name: str, row: int, now_ms: int) -> None:
        table = self.tables[type_name]
        table.archived[row] = 1
        table.archived_at[row] = now_ms
        table.version += 1

    def merge(self, type_name: str, winner: int, loser: int, now_ms: int) -> None:
        """Merge ``loser`` into ``winner``: the winner keeps its values (filling its blanks from the loser)
        and lists the loser in ``hs_merged_object_ids``; the loser is archived."""
        table = self.tables[type_name]
        for name, col in table.columns.items():
            if name != "hs_merged_object_ids" and col.get(winner) is None and col.get(loser) is not None:
                col.set(winner, col.get(loser))
        merged = table.column("hs_merged_object_ids")
        ids = [i for i in (merged.get(winner) or "").split(";") if i]
        ids += [table.id_of(loser), *[i for i in (merged.get(loser) or "").split(";") if i]]
        merged.set(winner, ";".join(ids))
        self.archive(type_name, loser, now_ms)
        table.touch(winner, now_ms)

    # ---- properties
    def add_property(self, type_name: str, prop: PropertyDef) -> None:
        table = self.tables[type_name]
        table.props[prop.name] = prop

    # ---- associations
    def associations(self, from_type: str, to_type: str, row: int) -> list[dict[str, Any]]:
        """The ``to`` list of one associations v4 result item for ``row`` of ``from_type``."""
        targets = self._associated_rows(from_type, to_type, row)
        to_table = self.tables[to_type]
        type_id = ASSOCIATION_TYPES.get((from_type, to_type), 0)
        out = []
        for target, primary in targets:
            if to_table.archived[target]:
                continue
            types = [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]
            if primary:
                primary_id = PRIMARY_COMPANY_TYPE_ID if from_type == "contacts" else 2
                types.insert(0, {"category": "HUBSPOT_DEFINED", "typeId": primary_id, "label": "Primary"})
            out.append({"toObjectId": int(to_table.id_of(target)), "associationTypes": types})
        return out

    def _associated_rows(self, from_type: str, to_type: str, row: int) -> list[tuple[int, bool]]:
        if from_type == "contacts" and to_type == "companies":
            company = self.contact_company[row] if row < len(self.contact_company) else -1
            return [(company, True)] if company >= 0 else []
        if from_type == "companies" and to_type == "contacts":
            return [(c, True) for c in self._reverse_index("companies", self.contact_company).get(row, [])]
        if from_type == "contacts" and to_type in _ENGAGEMENT_TYPES:
            return [(e, False) for e in self._reverse_index(to_type, self.engagement_contact[to_type]).get(row, [])]
        if from_type in _ENGAGEMENT_TYPES and to_type == "contacts":
            links = self.engagement_contact[from_type]
            return [(links[row], False)] if row < len(links) and links[row] >= 0 else []
        return []

    def _reverse_index(self, name: str, links: array[int]) -> dict[int, list[int]]:
        index = self._reverse.get(name)
        if index is None:
            index = {}
            for source, target in enumerate(links):
                if target >= 0:
                    index.setdefault(target, []).append(source)
            self._reverse[name] = index
        return index

    def link_engagement(self, type_name: str, row: int, contact: int) -> None:
        links = self.engagement_contact[type_name]
        while len(links) <= row:
            links.append(-1)
        links[row] = contact
        index = self._reverse.get(type_name)
        if index is not None:
            index.setdefault(contact, []).append(row)

    # ---- events
    def add_page_view(self, contact: int, at_ms: int, page: int) -> None:
        ev = self.events
        pos = len(ev.at) if not ev.at or at_ms >= ev.at[-1] else bisect.bisect_right(ev.at, at_ms)
        ev.person.insert(pos, contact)
        ev.at.insert(pos, at_ms)
        ev.kind.insert(pos, page)
        ev.outcome.insert(pos, 0)
        ev.owner.insert(pos, 0)

    def query_events(self, contact: int | None, after_ms: int | None, before_ms: int | None, start: int,
                     limit: int, descending: bool) -> tuple[list[dict[str, Any]], int | None]:
        """Page-view events, oldest first (or newest first); returns the page and the next cursor position."""
        ev = self.events
        lo = 0 if after_ms is None else bisect.bisect_right(ev.at, after_ms)
        hi = len(ev.at) if before_ms is None else bisect.bisect_left(ev.at, before_ms)
        positions = range(hi - 1, lo - 1, -1) if descending else range(lo, hi)
        out: list[dict[str, Any]] = []
        contacts = self.tables["contacts"]
        k = 0
        for k, pos in enumerate(positions[start:], start=start):
            person = ev.person[pos]
            if contact is not None and person != contact:
                continue
            if len(out) == limit:
                return out, k
            page = ev.kind[pos]
            out.append({"objectType": "contact", "objectId": contacts.id_of(person), "eventType": PAGE_VIEW_EVENT,
                        "occurredAt": format_ms(ev.at[pos]), "id": f"pv-{ev.at[pos]}-{person}-{page}",
                        "properties": {"hs_url": SITE + PAGE_PATHS[page], "hs_page_title": PAGE_TITLES[page],
                                       "hs_page_path": PAGE_PATHS[page]}})
        return out, None

    # ---- new activity
    def advance(self, n: int, now_ms: int) -> dict[str, int]:
        return activity.advance(self, n, now_ms)

    def stats(self) -> dict[str, Any]:
        return {"portalId": self.id, "objects": {name: {"records": t.size, "archived": t.archived.count(1)}
                                                 for name, t in self.tables.items()},
                "events": len(self.events.at)}


def validate_properties(table: ObjectTable, raw: dict[str, Any]) -> dict[str, str | None]:
    """Property values of one input, normalized; raises the whole-request 400 on any invalid value."""
    values: dict[str, str | None] = {}
    problems: list[tuple[str, str, str]] = []
    for name, value in raw.items():
        text = "" if value is None else (("true" if value else "false") if isinstance(value, bool) else str(value))
        prop = table.props.get(name)
        problem = _check_value(prop, name, text)
        if problem is not None or prop is None:
            problems.append(problem or (name, "PROPERTY_DOESNT_EXIST", name))
            continue
        values[name] = _normalize(prop, text)
    if problems:
        raise property_values_error(problems)
    return values


def _check_value(prop: PropertyDef | None, name: str, text: str) -> tuple[str, str, str] | None:
    if prop is None:
        return name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
    if prop.read_only:
        return name, "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.'
    if text == "":
        return None
    if prop.is_enum and prop.options:
        values = text.split(";") if prop.field_type == "checkbox" else [text]
        bad = [v for v in values if v not in prop.option_values]
        if bad:
            allowed = ", ".join(f"label: {o.label!r}\nvalue: {o.value!r}" for o in prop.options)
            return name, "INVALID_OPTION", f"{bad[0]} was not one of the allowed options: [{allowed}]"
    if prop.type == "number":
        try:
            float(text)
        except ValueError:
            return name, "INVALID_NUMBER", f"{text!r} is not a valid number for {name}"
    if prop.type in ("datetime", "date") and parse_time(text) is None:
        return name, "INVALID_DATE", f"{text!r} is not a valid date for {name}: use epoch milliseconds or ISO 8601"
    if name == "email" and ("@" not in text or " " in text):
        return name, "INVALID_EMAIL", f"Email address {text} is invalid"
    return None


def _normalize(prop: PropertyDef, text: str) -> str | None:
    if text == "":
        return None
    if prop.type == "number":
        return format_number(float(text))
    if prop.type == "bool":
        return text.lower()
    return text

