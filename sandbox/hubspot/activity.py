"""New engagement arriving in a portal: visits, form fills, e-mail opens/clicks, meetings, calls, replies.

Each activity updates the contact's rollup properties exactly as the sync derives activities from them
(ARCHITECTURE.md "Where activities come from"): a page view raises ``hs_analytics_num_page_views`` and sets
``hs_analytics_last_visit_timestamp`` (and adds a page-view event with its URL); a form fill raises
``num_conversion_events`` and sets ``recent_conversion_*`` (``first_conversion_*`` when it is the first);
opens and clicks raise ``hs_email_open`` / ``hs_email_click`` and set their last dates; meetings, calls and
incoming e-mails are new engagement objects associated with the contact. Every touched record's modified
date becomes ``now``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox import generate, vocab
from sandbox.hubspot.columns import format_ms

if TYPE_CHECKING:
    from sandbox.hubspot.portal import Portal

KINDS: tuple[tuple[str, int], ...] = (
    ("page_view", 40), ("email_open", 18), ("email_click", 8), ("form_submission", 14), ("demo_request", 3),
    ("meeting", 7), ("call", 5), ("email_reply", 5),
)


def advance(portal: Portal, n: int, now_ms: int) -> dict[str, int]:
    """Add ``n`` activities to random live contacts, timestamped ``now_ms``; returns counts per kind."""
    contacts = portal.tables["contacts"]
    counts: dict[str, int] = {}
    if contacts.size == 0:
        return counts
    rng = portal.rng
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    for kind in rng.choices(names, weights=weights, k=n):
        row = rng.randrange(contacts.size)
        if contacts.archived[row]:
            continue
        _apply(portal, kind, row, now_ms)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _apply(portal: Portal, kind: str, row: int, now_ms: int) -> None:
    contacts = portal.tables["contacts"]
    rng = portal.rng
    if kind == "page_view":
        page = rng.randrange(len(generate.PAGE_PATHS))
        contacts.bump("hs_analytics_num_page_views", row)
        contacts.bump("hs_analytics_num_visits", row)
        contacts.set_ms("hs_analytics_last_visit_timestamp", row, now_ms)
        portal.add_page_view(row, now_ms, page)
    elif kind in ("email_open", "email_click"):
        contacts.bump("hs_email_open", row)
        contacts.set_ms("hs_email_last_open_date", row, now_ms)
        if kind == "email_click":
            contacts.bump("hs_email_click", row)
            contacts.set_ms("hs_email_last_click_date", row, now_ms)
        contacts.column("hs_email_last_email_name").set(row, rng.choice(vocab.EMAIL_CAMPAIGNS))
    elif kind in ("form_submission", "demo_request"):
        form = vocab.DEMO_REQUEST_FORM if kind == "demo_request" else rng.choice(generate.FORM_VALUES)
        if contacts.get(row, "first_conversion_event_name") is None:
            contacts.column("first_conversion_event_name").set(row, form)
            contacts.set_ms("first_conversion_date", row, now_ms)
        contacts.column("recent_conversion_event_name").set(row, form)
        contacts.set_ms("recent_conversion_date", row, now_ms)
        contacts.bump("num_conversion_events", row)
    else:
        _add_engagement(portal, kind, row, now_ms)
        contacts.set_ms("notes_last_updated", row, now_ms)
    contacts.touch(row, now_ms)


def _add_engagement(portal: Portal, kind: str, contact: int, now_ms: int) -> None:
    rng = portal.rng
    owner = portal.tables["contacts"].get(contact, "hubspot_owner_id")
    stamp = format_ms(now_ms)
    common: dict[str, str | None] = {"hs_timestamp": stamp, "hs_createdate": stamp, "hs_lastmodifieddate": stamp,
                                     "hubspot_owner_id": owner}
    if kind == "meeting":
        type_name = "meetings"
        values = {**common, "hs_meeting_title": rng.choice(vocab.MEETING_TITLES), "hs_meeting_outcome": "SCHEDULED",
                  "hs_meeting_start_time": stamp, "hs_meeting_end_time": format_ms(now_ms + 30 * 60_000)}
    elif kind == "call":
        type_name = "calls"
        values = {**common, "hs_call_title": "Call", "hs_call_direction": rng.choice(("INBOUND", "OUTBOUND")),
                  "hs_call_status": "COMPLETED", "hs_call_duration": str(rng.randint(60, 1800) * 1000),
                  "hs_call_disposition": vocab.CALL_DISPOSITIONS[0][0], "hs_call_body": rng.choice(vocab.CALL_BODIES)}
    else:
        type_name = "emails"
        values = {**common, "hs_email_direction": "INCOMING_EMAIL", "hs_email_status": "SENT",
                  "hs_email_subject": rng.choice(vocab.EMAIL_SUBJECTS_IN),
                  "hs_email_text": "Hi, thanks for getting back to me."}
    table = portal.tables[type_name]
    row = table.append_row(values)
    portal.link_engagement(type_name, row, contact)
