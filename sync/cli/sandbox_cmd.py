"""``crmsync sandbox``: serve the local HubSpot and Salesforce emulators until SIGTERM/SIGINT (exit 0)."""

from __future__ import annotations

import signal
import sys
import threading

import click

from sandbox import FaultSpecError, HubSpotSettings, RateLimits, Sandbox, SandboxConfig, parse_fault_spec
from sync.cli.app import cli

_RATE_KEYS = {"per_10s", "search_per_s", "daily"}


def parse_rate_limit(text: str) -> RateLimits:
    """``per_10s=100,search_per_s=5[,daily=250000]`` (0 = unlimited)."""
    values: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in _RATE_KEYS or not value.strip().isdigit():
            raise click.BadParameter(f"{part!r}: expected key=number with key in {', '.join(sorted(_RATE_KEYS))}")
        values[key.strip()] = int(value)
    return RateLimits(**values)


@cli.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port (0 = any free port).")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the generated data.")
@click.option("--contacts", default=500, show_default=True, type=int, help="HubSpot contacts to generate.")
@click.option("--leads", default=300, show_default=True, type=int, help="Salesforce leads to generate.")
@click.option("--sf-contacts", default=200, show_default=True, type=int, help="Salesforce contacts to generate.")
@click.option("--rate-limit", "rate_limit", default="per_10s=100,search_per_s=5", show_default=True,
              help="HubSpot limits per token: per_10s=N,search_per_s=N[,daily=N]; 0 = unlimited.")
@click.option("--faults", default="", help="Fault rules, e.g. 'error status=503 path=/search every=3; "
                                           "rate_limit path=^/crm p=0.1'. See docs/sandbox.md.")
@click.option("--sf-client-secret", envvar="CRMSYNC_SANDBOX_SF_SECRET", default="sandbox-secret",
              show_default=True, help="Client secret of the Salesforce org (env CRMSYNC_SANDBOX_SF_SECRET).")
@click.option("--index-lag", default=1.0, show_default=True, type=float,
              help="Seconds before HubSpot search sees a write (0 = immediately).")
def sandbox_command(host: str, port: int, seed: int, contacts: int, leads: int, sf_contacts: int, rate_limit: str,
                    faults: str, sf_client_secret: str, index_lag: float) -> None:
    """Serve the sandbox CRMs alone, with generated data, until SIGTERM or Ctrl-C."""
    try:
        rules = parse_fault_spec(faults) if faults else []
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    limits = parse_rate_limit(rate_limit)
    config = SandboxConfig(seed=seed, hubspot=HubSpotSettings(limits=limits, search_index_lag_s=index_lag),
                           host=host)
    stop = threading.Event()       # handlers first: a signal right after the banner must still stop cleanly
    previous = {s: signal.signal(s, lambda signum, frame: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    sb = Sandbox(config)
    try:
        sb.start(port=port, host=host)
    except OSError as exc:
        click.echo(f"crmsync sandbox: cannot listen on {host}:{port}: {exc.strerror}. "
                   "Pick another --port (0 = any free port).", err=True)
        sys.exit(1)
    portal = sb.add_hubspot_portal(contacts=contacts, seed=seed)
    lines = [f"Sandbox listening on {sb.url}",
             f"HubSpot portal {portal}: access token {sb.hubspot_token(portal)} ({contacts} contacts)"]
    if sb.salesforce is not None:
        org = sb.add_salesforce_org(client_secret=sf_client_secret, leads=leads, contacts=sf_contacts, seed=seed + 1)
        lines.append(f"Salesforce org {org}: client id {sb.salesforce_orgs[org]}, client secret from "
                     f"--sf-client-secret ({leads} leads, {sf_contacts} contacts); token URL "
                     f"{sb.url}/services/oauth2/token")
    for rule in rules:
        sb.inject_fault(rule)
    lines += [f"Faults: {len(rules)} rule(s)" if rules else "Faults: none",
              f"Records: {sb.url}/ui/", "Stop with Ctrl-C or SIGTERM."]
    click.echo("\n".join(lines))
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sb.stop()
        click.echo("Sandbox stopped.")
