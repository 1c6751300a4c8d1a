"""``crmsync status``: recent cycles per tenant (when, counts, errors, dead letters)."""

from __future__ import annotations

from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from sync.cli.app import cli
from sync.cli.options import db_option, json_option, opened_store


@cli.command("status")
@click.option("--tenant", "tenant_name", default=None, metavar="T", help="Only this tenant.")
@click.option("--limit", default=10, show_default=True, help="Cycles per tenant.")
@db_option
@json_option
def status_command(tenant_name: str | None, limit: int, db_url: str | None, as_json: bool) -> None:
    """Recent cycles per tenant: when, counts, errors, dead letters."""
    from sync.logging import configure
    configure()
    from sync.outbox import Outbox
    with opened_store(db_url, "status") as store:
        names = [tenant_name] if tenant_name else store.tenants()
        report = {name: {"runs": store.recent_runs(name, limit),
                         "dead_letters": Outbox(store.for_tenant(name)).dead_letters(),
                         "outbox": Outbox(store.for_tenant(name)).states()} for name in names}
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    if not report:
        console.print("no cycles recorded yet (run `crmsync sync --tenant T`)")
    for name, data in report.items():
        print_tenant(console, name, data)


def print_tenant(console: Console, name: str, data: dict[str, Any]) -> None:
    table = Table("started (UTC)", "status", "s", "pulled", "changed", "scored", "planned", "done", "retry",
                  "dead", "calls", "error", title=f"{name}: recent cycles")
    for run in data["runs"]:
        streams = run.get("streams") or {}
        writes = run.get("writes") or {}
        table.add_row(
            str(run["started_at"])[:19].replace("T", " "), run["status"], f"{run.get('duration_s', 0):.1f}",
            str(sum(s.get("pulled", 0) for s in streams.values())),
            str(sum(s.get("changed", 0) for s in streams.values())), str(run.get("scored", "")),
            *(str(writes.get(k, "")) for k in ("planned", "done", "retry", "dead")),
            str(sum((run.get("api_calls") or {}).values())), run.get("error") or "")
    console.print(table)
    if data["dead_letters"]:
        dead = Table("person", "code", "message", "when", title=f"{name}: dead letters")
        for letter in data["dead_letters"]:
            dead.add_row(letter["person_id"], letter["code"] or "", letter["message"] or "", letter["at"][:19])
        console.print(dead)
