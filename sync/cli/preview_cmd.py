"""``crmsync preview --tenant T --scoring NEW.yaml``: what a candidate scoring model would change (exit 0).

Every live stored person is evaluated under the current and the candidate model, with the same inputs the
cycle builds (``sync.inputs``), the same day and the same previous state; persons are read a slice at a
time (keyset paging), so memory stays flat. The report: status transitions, examples with both reasons,
the outputs that change, and the CRM writes (per field) and push calls the first cycle after the change
would make, beside those the next cycle would make anyway with the current model. Nothing is written and
no CRM is called. ``--scoring`` takes a whole tenant file (its ``scoring:`` block is used), a file holding
just a ``scoring:`` block, or the scoring mapping itself; an invalid one is reported like ``validate``
reports tenant files (``file:line: key: message``) with exit 2.
"""

from __future__ import annotations

import json
import math
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from config import ConfigError, ConfigIssue, Scoring, Tenant, load_tenant_file, parse_tenant
from config.yamlpos import YamlSyntaxError, load_with_lines
from scoring import Activity, Evaluation, Previous, compare_models, compile_model, evaluate
from scoring.preview import KEPT_SUFFIX
from sync.cli.app import cli
from sync.cli.options import (
    EXIT_INVALID,
    EXIT_OK,
    config_option,
    db_option,
    json_option,
    load_one,
    opened_store,
)

if TYPE_CHECKING:
    from sync.store import TenantStore

PAGE = 500                  # persons read (and evaluated) at a time
DEFAULT_EXAMPLES = 5
TENANT_KEYS = ("tenant", "crm", "schedule", "fields", "write_back")


@cli.command("preview")
@click.option("--tenant", "tenant_name", required=True, metavar="T", help="The tenant whose persons are scored.")
@click.option("--scoring", "scoring_path", required=True, metavar="NEW.yaml",
              type=click.Path(exists=True, dir_okay=False),
              help="The candidate model: a tenant file, a `scoring:` block, or the scoring mapping itself.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default=None,
              help="Evaluate as of this date; default today (UTC).")
@click.option("--examples", "max_examples", default=DEFAULT_EXAMPLES, show_default=True, metavar="N",
              type=click.IntRange(min=0), help="Examples shown per status change.")
@config_option
@db_option
@json_option
def preview_command(tenant_name: str, scoring_path: str, as_of: str | None, max_examples: int,
                    config_path: str | None, db_url: str | None, as_json: bool) -> None:
    """Who would change status under a candidate model, and the writes it would cause. Writes nothing."""
    from sync.cli.score_cmd import parse_as_of
    day = parse_as_of(as_of)
    from sync.logging import configure
    configure()
    tenant = load_one(config_path, tenant_name)
    try:
        candidate = load_candidate(Path(scoring_path), tenant)
    except ConfigError as error:
        for issue in error.issues:
            click.echo(str(issue), err=True)
        count = len(error.issues)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in {scoring_path}; nothing was previewed.",
                   err=True)
        sys.exit(EXIT_INVALID)
    with opened_store(db_url, "preview") as store:
        report = preview(tenant, candidate, store.for_tenant(tenant.tenant), as_of=day, max_examples=max_examples)
    report["scoring_file"] = scoring_path
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report)
    sys.exit(EXIT_OK)


# --------------------------------------------------------------------------- the candidate model
def load_candidate(path: Path, tenant: Tenant) -> Scoring:
    """The candidate scoring model in ``path``; :class:`ConfigError` with ``file:line: key: message`` issues.

    A whole tenant file is loaded as such (its ``${VAR}`` references must be set). A ``scoring:`` block, or
    the bare mapping, is checked with the tenant's own ``fields:`` names, so rules may read them.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(str(path), 0, "", f"cannot read the file: {exc}")]) from None
    try:
        data, _ = load_with_lines(text)
    except YamlSyntaxError as exc:
        raise ConfigError([ConfigIssue(str(path), exc.line, "", exc.message)]) from None
    if isinstance(data, dict) and any(key in data for key in TENANT_KEYS):
        return load_tenant_file(path).scoring
    if isinstance(data, dict) and list(data) == ["scoring"]:
        body, shift = text, 0
    elif isinstance(data, dict) and data and all(key in Scoring.model_fields for key in data):
        body, shift = "scoring:\n" + textwrap.indent(text, "  ", lambda line: True), 1
    else:
        allowed = ", ".join(Scoring.model_fields)
        raise ConfigError([ConfigIssue(str(path), 1, "", "expected a tenant file, a file with a `scoring:` "
                                                         f"block, or the scoring mapping itself (keys: {allowed})")])
    # The rest of a tenant, appended after the text so that the file's own line numbers hold.
    rest = {"tenant": tenant.tenant, "crm": {"kind": "hubspot", "access_token": "preview"},
            "fields": {name: name for name in tenant.fields}}
    full = body.rstrip("\n") + "\n" + "".join(f"{key}: {json.dumps(value)}\n" for key, value in rest.items())
    try:
        return parse_tenant(full, str(path), base_dir=path.parent).scoring
    except ConfigError as error:
        raise ConfigError([_moved(issue, shift) for issue in error.issues]) from None


def _moved(issue: ConfigIssue, shift: int) -> ConfigIssue:
    """An issue of the wrapped bare mapping, back at its own line and key."""
    if not shift:
        return issue
    key = issue.key.removeprefix("scoring").removeprefix(".")
    return ConfigIssue(issue.file, max(issue.line - shift, 1) if issue.line else 0, key, issue.message)


# --------------------------------------------------------------------------- the comparison
@dataclass
class Writes:
    """What the planner would write: persons with writes, per object type and per CRM field."""

    records: int = 0
    by_object: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)

    def add(self, object_type: str, values: Mapping[str, Any]) -> None:
        if values:
            self.records += 1
            self.by_object[object_type] += 1
            self.fields.update(values.keys())

    def to_dict(self, endpoint: str, max_batch: int, dry_run: bool) -> dict[str, Any]:
        calls = 0 if dry_run else math.ceil(self.records / max_batch)
        return {"records": self.records, "by_object": dict(sorted(self.by_object.items())),
                "fields": dict(sorted(self.fields.items())), "api_calls": {endpoint: calls} if calls else {}}


def preview(tenant: Tenant, candidate: Scoring, ts: TenantStore, *, as_of: date,
            max_examples: int = DEFAULT_EXAMPLES, page: int = PAGE) -> dict[str, Any]:
    """Compare the tenant's model with ``candidate`` over every live stored person; reads only.

    Writes are planned as the cycle plans them, against the CRM values stored at the last pull plus our own
    writes that pull cannot show yet (``TenantStore.unechoed_writes``): what was just written is not counted
    again. Read-only persons are never written; dead intents block the current model only (a new model
    version retries them, as the cycle does).
    """
    from sync.inputs import due_person, scoring_inputs
    from sync.outbox import Outbox
    from sync.plan import plan_writes
    old = compile_model(tenant.scoring, reason_max_length=tenant.reason_max_length)
    new = compile_model(candidate, reason_max_length=tenant.reason_max_length)
    blocked = Outbox(ts).dead_blocked()       # dead intents the cycle does not retry under the current model
    current, after_change = Writes(), Writes()

    def people() -> Iterator[tuple[str, dict[str, Any], list[Activity], Previous | None]]:
        after: str | None = None
        while True:
            part = ts.live_persons(after=after, limit=page)
            if not part:
                return
            after = part[-1][0]["id"]
            inputs = scoring_inputs(ts, [due_person(person, score) for person, score in part])
            written = ts.unechoed_writes({person["id"]: person["modified_at"] for person, _ in part})
            for (person, _), given in zip(part, inputs, strict=True):
                if not person["read_only"]:
                    crm_values = {**(person["crm_values"] or {}), **written.get(person["id"], {})}
                    fields, kind = person["fields"] or {}, person["object_type"]
                    for model, writes in ((old, current), (new, after_change)):
                        if (person["id"], person["input_hash"], model.version) in blocked:
                            continue
                        ev = evaluate(model, given.fields, given.activities, as_of, given.previous)
                        writes.add(kind, plan_writes(tenant.write_back, kind, score_values(ev), crm_values, fields))
                yield given.id, given.fields, given.activities, given.previous

    report = compare_models(old, new, people(), as_of, max_examples)
    endpoint, max_batch = push_batch(tenant)
    dry_run = tenant.write_back.dry_run
    return {
        "tenant": tenant.tenant, "as_of": as_of.isoformat(), **report.to_dict(),
        "same_model": old.version == new.version, "status_changes": report.status_changes,
        "dry_run": dry_run, "push": {"endpoint": endpoint, "max_batch": max_batch},
        "writes": {"candidate": after_change.to_dict(endpoint, max_batch, dry_run),
                   "current": current.to_dict(endpoint, max_batch, dry_run)},
    }


def score_values(ev: Evaluation) -> dict[str, Any]:
    """An evaluation as the planner reads a score row."""
    return {"fit": ev.fit, "engagement": ev.engagement, "score": ev.score, "grade": ev.grade, "status": ev.status,
            "mql_at": ev.mql_at, "mql_reason": ev.mql_reason}


def push_batch(tenant: Tenant) -> tuple[str, int]:
    """The API call that pushes writes and how many records one call takes (the connector's ``max_batch``).

    The cycle pushes the outbox in batches of that size whatever the object type (Salesforce's composite
    update mixes Leads and Contacts), so the calls are ``ceil(records / max_batch)`` when nothing is retried.
    """
    if tenant.crm.kind == "hubspot":
        from connectors.hubspot import push as hubspot
        return f"hubspot.{hubspot.OBJECT_TYPE}.batch_update", hubspot.MAX_BATCH
    if tenant.crm.kind == "salesforce":
        from connectors.salesforce import push as salesforce
        return salesforce.ENDPOINT, salesforce.MAX_BATCH
    from connectors.registry import create_connector  # a plugin: building it makes no call
    connector = create_connector(tenant)
    try:
        return f"{tenant.crm.kind}.push", connector.max_batch
    finally:
        connector.close()


# --------------------------------------------------------------------------- terminal
def print_report(report: Mapping[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]{report['tenant']}: model {report['new_version']} ({escape(report['scoring_file'])}) "
                  f"against {report['old_version']}, as of {report['as_of']}, {report['people']} persons[/]"
                  " (nothing was written)")
    if not report["people"]:
        console.print(f"[yellow]no stored persons: run `crmsync sync --tenant {report['tenant']}` first[/]")
    if report["same_model"]:
        console.print("[yellow]the candidate model is the current one[/]")
    changed = {k: n for k, n in report["transitions"].items() if is_change(k)}
    kept = {k: n for k, n in report["transitions"].items() if not is_change(k)}
    if changed:
        table = Table("status change", "persons", title="status changes")
        for key, n in changed.items():
            table.add_row(key, str(n))
        console.print(table)
    else:
        console.print("no status changes")
    if kept:
        console.print("unchanged: " + ", ".join(f"{key} {n}" for key, n in kept.items()))
    for key, examples in report["examples"].items():
        table = Table("person", "now", "with the candidate", title=f"examples: {key}", show_lines=True)
        for example in examples:
            table.add_row(escape(str(example["id"])), _side(example["old"]), _side(example["new"]))
        console.print(table)
    fields = report["changed_fields"]
    console.print("outputs that change: " + ", ".join(f"{name} {n}" for name, n in fields.items()))
    after, now = report["writes"]["candidate"], report["writes"]["current"]
    writes = Table("CRM field", "after the change", "anyway (current model)",
                   title="writes of the next cycle (records with a changed value)")
    for name in sorted(set(after["fields"]) | set(now["fields"])):
        writes.add_row(name, str(after["fields"].get(name, 0)), str(now["fields"].get(name, 0)))
    writes.add_row("[bold]records[/]", str(after["records"]), str(now["records"]))
    endpoint = report["push"]["endpoint"]
    writes.add_row("[bold]API calls[/]", str(after["api_calls"].get(endpoint, 0)),
                   str(now["api_calls"].get(endpoint, 0)))
    console.print(writes)
    console.print(f"push: {endpoint}, {report['push']['max_batch']} records a call (more if the CRM asks to retry)")
    if report["dry_run"]:
        console.print("[yellow]write_back.dry_run is on: the cycle plans these writes but makes none[/]")


def is_change(transition: str) -> bool:
    """``lead->mql`` and ``mql->mql (kept)`` are changes; ``lead->lead`` is not."""
    old, _, new = transition.partition("->")
    return old != new or transition.endswith(KEPT_SUFFIX)


def _side(data: Mapping[str, Any]) -> str:
    return escape(f"{data['status']}, score {data['score']}\n{data['mql_reason'] or '-'}")
