"""``crmsync explain --tenant T (--id ID | --email E)``: one stored person's full breakdown (exit 0, 1 unknown).

Reads the store only (nothing is written, no CRM is called). For each person: identity, the input fields
the tenant's fit and disqualify rules read (empty ones filled from the company, as the cycle does), the
newest activities, the stored score row, and a fresh evaluation as of today with the full breakdown and
reason; the stored score is called stale when the model, the inputs or the day changed it.
``--email`` matches case-insensitively and explains every person holding that email (a lead and the
contact it became, say): live persons first, then by id.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from config.models import Tenant
from scoring import Evaluation, Model, compile_model, evaluate
from scoring.predicates import is_empty
from sync.cli.app import cli
from sync.cli.options import EXIT_FAILED, EXIT_OK, config_option, db_option, json_option, load_one, opened_store

if TYPE_CHECKING:
    from sync.inputs import ScoringInput
    from sync.store import TenantStore

OUTPUTS = ("fit", "engagement", "score", "grade", "status", "mql_at", "mql_reason")
DEFAULT_ACTIVITIES = 20


@cli.command("explain")
@click.option("--tenant", "tenant_name", required=True, metavar="T", help="The tenant the person belongs to.")
@click.option("--id", "person_id", default=None, metavar="ID", help="The person's CRM id.")
@click.option("--email", default=None, metavar="E", help="The person's email (any case); explains every match.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default=None,
              help="Evaluate afresh as of this date; default today (UTC).")
@click.option("--activities", "max_activities", default=DEFAULT_ACTIVITIES, show_default=True, metavar="N",
              type=click.IntRange(min=0), help="Show at most N activities (newest first).")
@config_option
@db_option
@json_option
def explain_command(tenant_name: str, person_id: str | None, email: str | None, as_of: str | None,
                    max_activities: int, config_path: str | None, db_url: str | None, as_json: bool) -> None:
    """One stored person's fields, activities, stored score and a fresh breakdown."""
    if (person_id is None) == (email is None):
        raise click.UsageError("give exactly one of --id ID and --email E")
    from sync.cli.score_cmd import parse_as_of
    day = parse_as_of(as_of)
    from sync.logging import configure
    configure()
    tenant = load_one(config_path, tenant_name)
    with opened_store(db_url, "explain") as store:
        report = explain(tenant, store.for_tenant(tenant.tenant), person_id=person_id, email=email, as_of=day,
                         max_activities=max_activities)
    if not report["persons"]:
        wanted = f"id {person_id!r}" if person_id is not None else f"email {email!r}"
        click.echo(f"crmsync explain: no stored person with {wanted} in tenant {tenant.tenant} "
                   f"(persons are stored by `crmsync sync --tenant {tenant.tenant}`)", err=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report)
    sys.exit(EXIT_OK)


# --------------------------------------------------------------------------- building the report
def explain(tenant: Tenant, ts: TenantStore, *, person_id: str | None = None, email: str | None = None,
            as_of: date, max_activities: int = DEFAULT_ACTIVITIES) -> dict[str, Any]:
    """The JSON-ready explanation of the person with ``person_id``, or of every person with ``email``."""
    from sync.inputs import due_person, scoring_inputs
    if person_id is not None:
        row = ts.person(person_id)
        matches = [(row, ts.score(person_id))] if row is not None else []
    else:
        matches = ts.find_persons_by_email(email or "")
    model = compile_model(tenant.scoring, reason_max_length=tenant.reason_max_length)
    inputs = scoring_inputs(ts, [due_person(person, score) for person, score in matches])
    persons = [explain_person(model, person, score, given, as_of, max_activities)
               for (person, score), given in zip(matches, inputs, strict=True)]
    query = {"id": person_id} if person_id is not None else {"email": email}
    return {"tenant": tenant.tenant, "query": query, "as_of": as_of.isoformat(), "model_version": model.version,
            "persons": persons}


def read_fields(model: Model) -> list[str]:
    """The person fields the fit and disqualify rules read, in rule order."""
    names: dict[str, None] = {}
    conditions = [rule.when for rule in model.scoring.fit] + [rule.when for rule in model.scoring.disqualify]
    for when in conditions:
        if when is not None:
            names.update(dict.fromkeys(sorted(when.fields())))
    return list(names)


def explain_person(model: Model, person: Mapping[str, Any], score: Mapping[str, Any] | None, given: ScoringInput,
                   as_of: date, max_activities: int) -> dict[str, Any]:
    own = person["fields"] or {}
    fields = given.fields
    inputs: dict[str, dict[str, Any]] = {}
    for name in read_fields(model):
        value = fields.get(name)
        source = None if is_empty(value) else "company" if is_empty(own.get(name)) else "person"
        inputs[name] = {"value": jsonable(value), "from": source}
    fresh = evaluate(model, fields, given.activities, as_of, given.previous)
    newest = sorted(given.activities, key=lambda a: (a.at, a.id or ""), reverse=True)
    full_name = " ".join(str(own[k]) for k in ("first_name", "last_name") if own.get(k)) or None
    stored = stored_score(score)
    return {
        "id": person["id"],
        "object_type": person["object_type"],
        "email": own.get("email"),
        "name": full_name,
        "company": {"name": own.get("company"), "id": person["company_id"],
                    "found": given.company is not None},
        "deleted": bool(person["deleted"]),
        "merged_into": person["merged_into"],
        "read_only": bool(person["read_only"]),
        "modified_at": iso(person["modified_at"]),
        "inputs": inputs,
        "activities_total": len(newest),
        "activities": [{"id": a.id, "type": a.type, "at": iso(a.at), "attributes": jsonable(dict(a.attributes))}
                       for a in newest[:max_activities]],
        "stored": stored,
        "fresh": {**fresh_dict(fresh), "model_version": model.version, "as_of": as_of.isoformat()},
        **staleness(model, person, stored, fresh, as_of),
    }


def fresh_dict(evaluation: Evaluation) -> dict[str, Any]:
    data = evaluation.to_dict()
    del data["id"]
    data["kept"] = evaluation.kept
    return data


def stored_score(score: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if score is None:
        return None
    keys = (*OUTPUTS, "breakdown", "model_version", "as_of", "evaluated_at", "input_hash")
    return {key: iso(score[key]) if isinstance(score[key], date) else score[key] for key in keys}


def staleness(model: Model, person: Mapping[str, Any], stored: Mapping[str, Any] | None, fresh: Evaluation,
              as_of: date) -> dict[str, Any]:
    """``stale``, why (``stale_reasons``) and which outputs a rescore would change (``differences``)."""
    reasons: list[str] = []
    fresh_values = fresh_dict(fresh)
    if stored is None:
        live = not person["deleted"] and not person["merged_into"]
        reasons.append("never scored: the next cycle scores this person" if live else
                       "never scored: deleted and merged records are not scored")
        differences = {key: [None, fresh_values[key]] for key in OUTPUTS}
    else:
        differences = {key: [stored[key], fresh_values[key]] for key in OUTPUTS if stored[key] != fresh_values[key]}
        if stored["model_version"] != model.version:
            reasons.append(f"model changed: scored with model {stored['model_version']}, "
                           f"the tenant file now gives {model.version}")
        if stored["input_hash"] != person["input_hash"] or person["dirty"]:
            reasons.append("inputs changed since it was scored (fields, activities or company)")
        if differences and stored["as_of"] < as_of.isoformat():
            reasons.append(f"scored as of {stored['as_of']}; points decay by the day")
        if differences and not reasons:
            reasons.append("a fresh evaluation gives other values")
    return {"stale": bool(reasons), "stale_reasons": reasons, "differences": differences}


def iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def jsonable(value: Any) -> Any:
    """Plain JSON data: mappings and lists walked, dates as ISO text, anything else odd as its text."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- terminal
def print_report(report: Mapping[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    persons: Sequence[Mapping[str, Any]] = report["persons"]
    if len(persons) > 1:
        listed = ", ".join(f"{p['id']} ({describe_state(p)})" for p in persons)
        console.print(f"[bold]{len(persons)} persons hold {report['query']['email']}:[/] {escape(listed)}")
    for person in persons:
        print_person(console, report, person)


def describe_state(person: Mapping[str, Any]) -> str:
    parts = [person["object_type"]]
    if person["deleted"]:
        parts.append("deleted")
    if person["merged_into"]:
        parts.append(f"merged into {person['merged_into']}")
    if person["read_only"]:
        parts.append("read-only: never written")
    return ", ".join(parts)


def print_person(console: Console, report: Mapping[str, Any], person: Mapping[str, Any]) -> None:
    console.rule(f"{report['tenant']}: person {escape(str(person['id']))} ({escape(describe_state(person))})")
    company = person["company"]
    company_text = company["name"] or "-"
    if company["id"]:
        company_text += f" (company {company['id']}{'' if company['found'] else ', not stored'})"
    for label, value in (("email", person["email"]), ("name", person["name"]), ("company", company_text),
                         ("modified", str(person["modified_at"])[:19].replace("T", " "))):
        console.print(f"  {label:<9} {escape(str(value or '-'))}")

    inputs = Table("field", "value", "from", title="fields the rules read")
    for name, data in person["inputs"].items():
        inputs.add_row(name, escape("-" if data["value"] is None else str(data["value"])), data["from"] or "")
    if person["inputs"]:
        console.print(inputs)
    else:
        console.print("  no fit or disqualify rule reads a person field")

    total, shown = person["activities_total"], person["activities"]
    acts = Table("at (UTC)", "type", "attributes",
                 title=f"activities: {len(shown)} of {total}, newest first")
    for act in shown:
        attrs = ", ".join(f"{k}={v}" for k, v in act["attributes"].items())
        acts.add_row(act["at"][:19].replace("T", " "), act["type"], escape(attrs))
    console.print(acts if shown else f"  activities: {total} (none shown)" if total else "  no activities")

    stored = person["stored"]
    if stored is None:
        console.print("[bold]stored score:[/] none yet")
    else:
        console.print(f"[bold]stored score[/] (model {stored['model_version']}, as of {stored['as_of']}, "
                      f"evaluated {str(stored['evaluated_at'])[:19].replace('T', ' ')}):")
        print_outputs(console, stored)
    fresh = person["fresh"]
    console.print(f"[bold]fresh evaluation[/] (model {fresh['model_version']}, as of {fresh['as_of']}):")
    print_outputs(console, fresh)
    breakdown = Table("kind", "rule", "count", "points", title="breakdown")
    for item in fresh["breakdown"]:
        breakdown.add_row(item["kind"], escape(item["label"]), str(item["count"]), str(item["points"]))
    if fresh["breakdown"]:
        console.print(breakdown)
    if person["stale"]:
        console.print("[yellow]the stored score is stale:[/] " + escape("; ".join(person["stale_reasons"])))
        for key, (old, new) in person["differences"].items():
            if key != "mql_reason":
                console.print(f"  {key}: {escape(str(old))} -> {escape(str(new))}")
        if "mql_reason" in person["differences"]:
            console.print("  mql_reason changes")
    else:
        console.print("[green]the stored score is up to date[/] (a fresh evaluation gives the same values)")


def print_outputs(console: Console, data: Mapping[str, Any]) -> None:
    since = f" since {data['mql_at']}" if data.get("mql_at") else ""
    kept = " (kept: MQL is sticky)" if data.get("kept") else ""
    console.print(f"  status {data['status']}{since}{kept}; score {data['score']} = fit {data['fit']} + "
                  f"engagement {data['engagement']}; grade {data['grade'] or '-'}")
    console.print(f"  reason: {escape(data['mql_reason'] or '-')}")
