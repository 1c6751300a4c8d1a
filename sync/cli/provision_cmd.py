"""``crmsync provision --tenant T [--check]``: create (HubSpot) or check (Salesforce) the write-back fields."""

from __future__ import annotations

import json
import sys

import click

from connectors.base import ConnectorError, ProvisionItem
from connectors.registry import create_connector
from sync.cli.app import cli
from sync.cli.options import EXIT_FAILED, EXIT_OK, load_one

PROBLEMS = frozenset({"missing", "wrong", "not_updateable"})


@cli.command()
@click.option("--tenant", "tenant_name", required=True, metavar="T", help="The tenant to provision.")
@click.option("--check", is_flag=True, help="Only check; create nothing.")
@click.option("--config", "config_path", metavar="DIR", envvar="CRMSYNC_CONFIG", default=None,
              help="Folder of tenant files (env CRMSYNC_CONFIG, default ./config/tenants).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def provision(tenant_name: str, check: bool, config_path: str | None, as_json: bool) -> None:
    """Create (HubSpot) or check (Salesforce) the write-back fields; exit 1 when one is missing."""
    tenant = load_one(config_path, tenant_name)
    try:
        connector = create_connector(tenant)
        try:
            items = connector.provision(apply=not check)
        finally:
            connector.close()
    except ConnectorError as error:
        click.echo(f"provision failed: {error}", err=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(json.dumps([_as_dict(i) for i in items], indent=2))
    else:
        click.echo(render(items))
    problems = [i for i in items if i.state in PROBLEMS]
    if problems and not as_json:
        click.echo(f"{len(problems)} field{'s' if len(problems) != 1 else ''} need attention "
                   f"(see the detail column); crmsync will not write {'them' if len(problems) != 1 else 'it'} "
                   "until fixed.", err=True)
    sys.exit(EXIT_FAILED if problems else EXIT_OK)



def _as_dict(item: ProvisionItem) -> dict[str, str]:
    return {"object_type": item.object_type, "field": item.field, "state": item.state, "detail": item.detail}


def render(items: list[ProvisionItem]) -> str:
    rows = [("OBJECT", "FIELD", "STATE", "DETAIL")] + [(i.object_type, i.field, i.state, i.detail) for i in items]
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows)
