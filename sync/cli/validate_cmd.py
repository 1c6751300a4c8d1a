"""``crmsync validate``: check every tenant file; exit 0 when all are valid, 2 with every error."""

from __future__ import annotations

import json
import sys

import click

from config import collect_tenants
from config.loader import config_dir
from config.models import format_duration
from sync.cli.app import cli
from sync.cli.options import EXIT_INVALID, EXIT_OK, config_option, json_option


@cli.command()
@config_option
@json_option
def validate(config_path: str | None, as_json: bool) -> None:
    """Check every tenant file; errors as file:line: key: message."""
    folder = config_dir(config_path)
    result = collect_tenants(folder)
    if as_json:
        click.echo(json.dumps({
            "valid": not result.issues,
            "tenants": [t.tenant for t in result.tenants],
            "errors": [vars(i) for i in result.issues],
            "warnings": [vars(i) for i in result.warnings],
        }, indent=2))
        sys.exit(EXIT_INVALID if result.issues else EXIT_OK)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.issues:
        for issue in result.issues:
            click.echo(str(issue), err=True)
        count = len(result.issues)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in {folder}", err=True)
        sys.exit(EXIT_INVALID)
    for tenant in result.tenants:
        crm = tenant.crm.kind
        rules = sum(len(getattr(tenant.scoring, k)) for k in ("fit", "engagement", "disqualify", "fast_track"))
        mode = " (dry run)" if tenant.write_back.dry_run else ""
        click.echo(f"ok  {tenant.tenant:<20} {crm:<11} every {format_duration(tenant.schedule.every):<5} "
                   f"{rules} rules, model {tenant.scoring.fingerprint()}{mode}  [{tenant.source}]")
    click.echo(f"{len(result.tenants)} tenant file(s) valid in {folder}")
