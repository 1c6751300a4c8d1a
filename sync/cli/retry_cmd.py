"""``crmsync retry --tenant T [--code C] [--id ID]``: push dead letters again at the tenant's next cycle."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from sync.cli.app import cli
from sync.cli.options import EXIT_OK, db_option, opened_store


@cli.command("retry")
@click.option("--tenant", "tenant_name", required=True, metavar="T", help="The tenant whose dead letters to retry.")
@click.option("--code", default=None, metavar="CODE", help="Only dead letters with this CRM error code.")
@click.option("--id", "person_id", default=None, metavar="ID", help="Only this person's dead letter.")
@db_option
def retry_command(tenant_name: str, code: str | None, person_id: str | None, db_url: str | None) -> None:
    """Push dead letters again at the tenant's next cycle, once their cause is fixed.

    A write the CRM refused (a missing field, a value it rejects) is kept as a dead letter and not retried
    while the person's inputs stay the same. After fixing the cause (for example `crmsync provision`),
    this puts them back in the outbox; `crmsync status --tenant T` lists them with their codes.
    """
    from sync.logging import configure
    configure()
    from sync.outbox import Outbox
    with opened_store(db_url, "retry") as store:
        count = Outbox(store.for_tenant(tenant_name)).retry_dead(datetime.now(UTC), code=code, person_id=person_id)
    narrowed = "".join([f" with code {code}" if code else "", f" of person {person_id}" if person_id else ""])
    if count:
        click.echo(f"{tenant_name}: {count} dead letter{'s' if count != 1 else ''}{narrowed} will be pushed again "
                   "at the next cycle (`crmsync sync --tenant` runs one now).")
    else:
        click.echo(f"{tenant_name}: no dead letters{narrowed}; nothing to retry.")
    sys.exit(EXIT_OK)
