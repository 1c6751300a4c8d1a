"""``crmsync sync --tenant T``: one cycle for one tenant (CONTRACT.md section 4; exit 0 ok, 1 failed, 2 config)."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from sync.cli.app import cli
from sync.cli.options import EXIT_FAILED, EXIT_OK, config_option, db_option, json_option, load_one, opened_store


@cli.command("sync")
@click.option("--tenant", "tenant_name", required=True, metavar="T", help="The tenant to sync.")
@config_option
@db_option
@click.option("--full", is_flag=True, help="Pull everything again, not only what changed since the last cycle.")
@json_option
def sync_command(tenant_name: str, config_path: str | None, db_url: str | None, full: bool, as_json: bool) -> None:
    """Run one cycle for one tenant: pull, diff, score, write back."""
    from sync.logging import configure
    configure()
    tenant = load_one(config_path, tenant_name)
    from sync.cycle import run_cycle
    with opened_store(db_url, "sync") as store:
        summary = run_cycle(tenant, store, full=full).to_dict()
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        print_summary(summary)
    sys.exit(EXIT_OK if summary["status"] in ("ok", "stopped") else EXIT_FAILED)


def print_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    status = summary["status"]
    colour = {"ok": "green", "failed": "red", "stopped": "yellow", "skipped": "yellow"}.get(status, "white")
    title = f"{summary['tenant']}: cycle {status} in {summary['duration_s']:.1f}s"
    if summary.get("dry_run"):
        title += " (dry run: nothing written)"
    console.print(f"[bold {colour}]{title}[/]")
    if summary.get("error"):
        console.print(f"[red]error:[/] {summary['error']}")
    streams = Table("stream", "pulled", "changed", title="pull")
    for name, counts in summary["streams"].items():
        streams.add_row(name, str(counts.get("pulled", 0)), str(counts.get("changed", 0)))
    console.print(streams)
    writes = summary["writes"]
    console.print(f"scored {summary['scored']}; writes planned {writes['planned']}, done {writes['done']}, "
                  f"retry {writes['retry']}, dead {writes['dead']}; API calls "
                  f"{sum(summary['api_calls'].values())} (throttled {summary['throttled']})")
    if summary["status_changes"]:
        console.print("status changes: " + ", ".join(f"{k} {v}" for k, v in summary["status_changes"].items()))
    if summary["new_mqls"]:
        mqls = Table("person", "why", title="new MQLs")
        for pid, reason in summary["new_mqls"]:
            mqls.add_row(str(pid), str(reason))
        console.print(mqls)
    if summary["dead_letters"]:
        dead = Table("person", "CRM error code", title="dead letters (not retried until their inputs change)")
        for pid, code in summary["dead_letters"]:
            dead.add_row(str(pid), str(code))
        console.print(dead)
