"""The HTML view under ``/ui/``: accounts, paged record lists, and a page per record with every field.

Plain server-rendered HTML, every value escaped, no JavaScript. On a record page the fields written
through the API (and any ``crmsync_`` field or Salesforce custom ``__c`` field) come first, so a user sees
what crmsync wrote "inside the CRM record".
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sandbox.hubspot.schema import OBJECT_TYPES
from sandbox.wire import SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from sandbox.core import Sandbox

PAGE_SIZE = 50
SALESFORCE_OBJECTS = ("Lead", "Contact", "Account", "Campaign", "CampaignMember", "Task", "Event")
_LIST_COLUMNS = {
    "contacts": ("email", "firstname", "lastname", "jobtitle", "company", "lifecyclestage", "lastmodifieddate"),
    "companies": ("name", "domain", "industry", "numberofemployees", "country", "hs_lastmodifieddate"),
    "meetings": ("hs_meeting_title", "hs_meeting_outcome", "hs_timestamp"),
    "calls": ("hs_call_direction", "hs_call_status", "hs_timestamp"),
    "emails": ("hs_email_direction", "hs_email_subject", "hs_timestamp"),
    "notes": ("hs_note_body", "hs_timestamp"),
    "tasks": ("hs_task_subject", "hs_task_status", "hs_timestamp"),
}
_STYLE = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:14px}th{background:#f3f3f3}"
          ".written td{background:#fff6d6}.muted{color:#888}h2{margin-top:1.5em}")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _page(title: str, body: str, status: int = 200) -> SandboxResponse:
    doc = (f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title><style>{_STYLE}</style>"
           f"</head><body><p><a href='/ui/'>Sandbox</a></p><h1>{_e(title)}</h1>{body}</body></html>")
    return SandboxResponse.text(status, doc, "text/html; charset=utf-8")


def _not_found(what: str) -> SandboxResponse:
    return _page("Not found", f"<p>{_e(what)}</p>", 404)


def _href(*parts: str) -> str:
    return "/ui/" + "/".join(quote(p, safe="") for p in parts)


def handle(sb: Sandbox, request: SandboxRequest) -> SandboxResponse:
    parts = [p for p in request.path.split("/")[2:] if p]
    try:
        page = max(0, int(request.param("page") or 0))
    except ValueError:
        page = 0
    if not parts:
        return _index(sb)
    crm, rest = parts[0], parts[1:]
    if crm == "hubspot" and rest:
        return _hubspot(sb, rest, page)
    if crm == "salesforce" and rest:
        return _salesforce(sb, rest, page)
    return _not_found(f"no page at {request.path}")


def _index(sb: Sandbox) -> SandboxResponse:
    rows = []
    for pid, portal in sb.hubspot.portals.items():
        links = " ".join(f"<a href='{_href('hubspot', pid, name)}'>{_e(name)} ({t.size})</a>"
                         for name, t in portal.tables.items())
        rows.append(f"<tr><td>HubSpot portal</td><td>{_e(pid)}</td><td>{links}</td></tr>")
    for org_id, client_id in sb.salesforce_orgs.items():
        links = " ".join(f"<a href='{_href('salesforce', org_id, name)}'>{_e(name)}</a>" for name in SALESFORCE_OBJECTS)
        rows.append(f"<tr><td>Salesforce org</td><td>{_e(org_id)}<br><span class='muted'>client id "
                    f"{_e(client_id)}</span></td><td>{links}</td></tr>")
    body = ("<table><tr><th>CRM</th><th>Account</th><th>Objects</th></tr>" + "".join(rows) + "</table>"
            if rows else "<p class='muted'>No accounts yet.</p>")
    return _page("Sandbox accounts", body)


def _pager(base: str, page: int, total: int) -> str:
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    prev = f"<a href='{base}?page={page - 1}'>&larr; previous</a>" if page > 0 else ""
    nxt = f"<a href='{base}?page={page + 1}'>next &rarr;</a>" if page + 1 < pages else ""
    return f"<p>{prev} page {page + 1} of {pages} ({total} records) {nxt}</p>"


def _hubspot(sb: Sandbox, parts: list[str], page: int) -> SandboxResponse:
    portal = sb.hubspot.portals.get(parts[0])
    if portal is None:
        return _not_found(f"no HubSpot portal {parts[0]}")
    if len(parts) == 1:
        return _index(sb)
    table = portal.tables.get(parts[1])
    if table is None or parts[1] not in OBJECT_TYPES:
        return _not_found(f"no object type {parts[1]}")
    with portal.lock:
        if len(parts) == 2:
            cols = _LIST_COLUMNS.get(table.type.name, ())
            start = page * PAGE_SIZE
            head = "".join(f"<th>{_e(c)}</th>" for c in ("id", *cols, "archived"))
            rows = []
            for row in range(start, min(start + PAGE_SIZE, table.size)):
                rid = table.id_of(row)
                cells = "".join(f"<td>{_e(table.get(row, c))}</td>" for c in cols)
                rows.append(f"<tr><td><a href='{_href('hubspot', portal.id, table.type.name, rid)}'>{_e(rid)}</a>"
                            f"</td>{cells}<td>{'yes' if table.archived[row] else ''}</td></tr>")
            base = _href("hubspot", portal.id, table.type.name)
            body = _pager(base, page, table.size) + f"<table><tr>{head}</tr>{''.join(rows)}</table>"
            return _page(f"HubSpot {portal.id}: {table.type.name}", body)
        found = table.row_of(parts[2])
        if found is None:
            return _not_found(f"no {table.type.singular.lower()} {parts[2]} in portal {portal.id}")
        rec_row: int = found
        values = table.properties_of(rec_row)
        written = table.written.get(rec_row, set())
        assoc = {to: portal.associations(table.type.name, to, rec_row)
                 for to in ("companies", "contacts", "meetings", "calls", "emails") if to != table.type.name}
    meta = {"id": table.id_of(rec_row), "archived": bool(table.archived[rec_row])}
    return _page(f"HubSpot {table.type.singular.lower()} {parts[2]}",
                 _fields_tables(meta, values, lambda k: k in written or k.startswith("crmsync_"))
                 + _hubspot_assoc(portal.id, assoc))


def _hubspot_assoc(portal_id: str, assoc: dict[str, list[dict[str, Any]]]) -> str:
    items = []
    for to, links in assoc.items():
        for link in links:
            rid = str(link["toObjectId"])
            labels = ", ".join(str(t["label"] or t["typeId"]) for t in link["associationTypes"])
            items.append(f"<li>{_e(to)} <a href='{_href('hubspot', portal_id, to, rid)}'>{_e(rid)}</a> "
                         f"<span class='muted'>{_e(labels)}</span></li>")
    return "<h2>Associations</h2><ul>" + "".join(items) + "</ul>" if items else ""


def _fields_tables(meta: dict[str, Any], values: dict[str, Any], highlight: Any) -> str:
    marked = {k: v for k, v in values.items() if highlight(k)}
    rest = {k: v for k, v in values.items() if not highlight(k)}
    out = "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta.items()) + "</table>"
    if marked:
        out += "<h2>Written through the API / crmsync fields</h2><table class='written'>" + "".join(
            f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in marked.items()) + "</table>"
    out += "<h2>All fields</h2><table>" + "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v) if v is not None else '<span class=muted>(empty)</span>'}</td></tr>"
        for k, v in rest.items()) + "</table>"
    return out


def _salesforce(sb: Sandbox, parts: list[str], page: int) -> SandboxResponse:
    app = sb.salesforce
    org_id = parts[0]
    if app is None or org_id not in sb.salesforce_orgs:
        return _not_found(f"no Salesforce org {org_id}")
    if len(parts) == 1:
        return _index(sb)
    sobject = parts[1]
    try:
        if len(parts) == 2:
            records = app.records(org_id, sobject)
        else:
            record = app.record(org_id, sobject, parts[2])
    except KeyError:
        return _not_found(f"no sObject {sobject}")
    if len(parts) == 2:
        start = page * PAGE_SIZE
        chunk = records[start:start + PAGE_SIZE]
        cols = [k for k in (chunk[0] if chunk else {}) if k != "attributes" and not isinstance(chunk[0][k], dict)][:8]
        head = "".join(f"<th>{_e(c)}</th>" for c in cols)
        rows = "".join("<tr>" + "".join(
            f"<td><a href='{_href('salesforce', org_id, sobject, str(r.get('Id')))}'>{_e(r.get(c))}</a></td>"
            if c == "Id" else f"<td>{_e(r.get(c))}</td>" for c in cols) + "</tr>" for r in chunk)
        body = _pager(_href("salesforce", org_id, sobject), page, len(records)) + \
            f"<table><tr>{head}</tr>{rows}</table>"
        return _page(f"Salesforce {org_id}: {sobject}", body)
    if record is None:
        return _not_found(f"no {sobject} {parts[2]} in org {org_id}")
    values = {k: v for k, v in record.items() if k != "attributes"}
    return _page(f"Salesforce {sobject} {parts[2]}",
                 _fields_tables({"Id": record.get("Id")}, values, lambda k: k.endswith("__c")))
