"""``crmsync run``: the long-lived worker (CONTRACT.md section 4; exit 0 on SIGTERM).

Every tenant's cycle on its schedule, health and metrics over HTTP, SIGHUP reloads the tenant files,
SIGTERM/SIGINT stop at a safe point. docs/operations.md is the operator's guide.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import click

from sync.cli.app import cli
from sync.cli.options import EXIT_FAILED, EXIT_OK, config_option, db_option, load_all, open_store


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    from config.models import parse_duration
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(f"{error} (e.g. 30s, 5m, 1h)") from None


@cli.command("run")
@config_option
@db_option
@click.option("--http-port", type=click.IntRange(0, 65535), envvar="CRMSYNC_HTTP_PORT", default=8080,
              show_default=True, help="Port of /healthz /readyz /metrics /status (env CRMSYNC_HTTP_PORT).")
@click.option("--http-host", envvar="CRMSYNC_HTTP_HOST", default="0.0.0.0", show_default=True,  # noqa: S104
              help="Address the HTTP endpoint listens on (env CRMSYNC_HTTP_HOST).")
@click.option("--max-concurrent", type=click.IntRange(1, 64), envvar="CRMSYNC_MAX_CONCURRENT", default=4,
              show_default=True, help="Tenants whose cycles may run at the same time (env CRMSYNC_MAX_CONCURRENT).")
@click.option("--stop-timeout", type=click.FloatRange(0), envvar="CRMSYNC_STOP_TIMEOUT", default=60.0,
              show_default=True,
              help="Seconds SIGTERM waits for running cycles to reach a safe point (env CRMSYNC_STOP_TIMEOUT).")
@click.option("--every", callback=_duration, default=None, metavar="DURATION",
              help="Run every tenant at this interval instead of its schedule (trials and tests).")
@click.option("--keep-history", callback=_duration, default="30d", show_default=True, metavar="DURATION",
              envvar="CRMSYNC_KEEP_HISTORY",
              help="Delete cycle records and finished outbox rows older than this, daily (env CRMSYNC_KEEP_HISTORY).")
def run_command(config_path: str | None, db_url: str | None, http_port: int, http_host: str, max_concurrent: int,
                stop_timeout: float, every: timedelta | None, keep_history: timedelta) -> None:
    """The long-lived worker: every tenant on its schedule, health and metrics over HTTP."""
    from sync.logging import configure
    configure()
    tenants = load_all(config_path)      # exits 2 naming every problem (an empty folder is one)
    from sync.health import HealthServer
    from sync.service import Signals, Worker, serve
    store = open_store(db_url, "run")
    worker = Worker(tenants, store, max_concurrent=max_concurrent, config_path=config_path, every=every,
                    keep_history=keep_history)
    signals = Signals()
    signals.install()
    try:
        server = HealthServer(worker, host=http_host, port=http_port).start()
    except OSError as error:
        click.echo(f"crmsync run: cannot listen on {http_host}:{http_port}: {error.strerror}; choose another "
                   "port with --http-port (env CRMSYNC_HTTP_PORT) or stop what holds this one", err=True)
        store.close()
        sys.exit(EXIT_FAILED)
    clean = serve(worker, signals, stop_timeout=stop_timeout)
    server.close()
    if not clean:
        # Cycles still running past the timeout are cut off here; their committed work is kept and the outbox
        # replays the rest next time, so nothing is lost. Pool threads are not daemons: leave without them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_OK)
    store.close()
    sys.exit(EXIT_OK)
