"""Options and helpers shared by the commands: --config, --db, --json, tenant loading."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from config import ConfigError, Tenant, load_tenants
from config.loader import config_dir
from sync.logging import register_tenant_secrets

if TYPE_CHECKING:
    from sync.store import Store

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def config_option(func: F) -> F:
    return click.option(
        "--config", "config_path", metavar="DIR", envvar="CRMSYNC_CONFIG", default=None,
        help="Folder of tenant files (env CRMSYNC_CONFIG, default ./config/tenants).",
    )(func)


def db_option(func: F) -> F:
    return click.option(
        "--db", "db_url", metavar="URL", envvar="CRMSYNC_DATABASE_URL", default=None,
        help="Database URL (env CRMSYNC_DATABASE_URL, default sqlite:///./crmsync.db; "
             "postgresql+psycopg://... for several replicas).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


def print_config_error(error: ConfigError) -> None:
    for issue in error.issues:
        click.echo(str(issue), err=True)
    count = len(error.issues)
    click.echo(f"{count} problem{'s' if count != 1 else ''} in the tenant files; nothing was done.", err=True)


def load_all(config_path: str | None) -> list[Tenant]:
    """Every tenant, or exit 2 after printing every configuration problem."""
    try:
        tenants = load_tenants(config_dir(config_path))
    except ConfigError as error:
        print_config_error(error)
        sys.exit(EXIT_INVALID)
    for tenant in tenants:
        register_tenant_secrets(tenant)
    return tenants


def load_one(config_path: str | None, name: str) -> Tenant:
    tenants = load_all(config_path)
    for tenant in tenants:
        if tenant.tenant == name:
            return tenant
    known = ", ".join(t.tenant for t in tenants) or "none"
    click.echo(f"unknown tenant {name!r} in {config_dir(config_path)}; known tenants: {known}", err=True)
    sys.exit(EXIT_INVALID)


def open_store(db_url: str | None, command: str) -> Store:
    """The database (migrated), or exit 1 saying why it cannot be opened."""
    from sync.store import Store, StoreError
    try:
        return Store.open(db_url)
    except StoreError as error:
        click.echo(f"crmsync {command}: {error}", err=True)
        sys.exit(EXIT_FAILED)


@contextmanager
def opened_store(db_url: str | None, command: str) -> Iterator[Store]:
    """``open_store`` for the block; closed afterwards."""
    store = open_store(db_url, command)
    try:
        yield store
    finally:
        store.close()
