"""``crmsync demo``: the example tenants against the bundled sandbox CRMs, with progress and a summary.

CONTRACT.md section 4: exit 0. It exits 1 only when the demo did not do its job (a cycle failed, the cycles did
not finish in time, it was interrupted before the summary), so that CI notices; with ``--serve``, SIGTERM or
Ctrl-C after the summary exit 0. The logic lives in ``sync.demo``; this module is the display.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from sync.cli.app import cli
from sync.cli.options import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from sync.demo import Demo

CRM_NAMES = {"hubspot": "HubSpot portal", "salesforce": "Salesforce org"}
PROVISION_STATES = {"created": "created", "exists": "present", "missing": "missing", "wrong": "of the wrong type",
                    "not_updateable": "not updateable"}
STAGES = {"pull": "pulling", "score": "scoring", "plan": "planning writes", "push": "writing back"}


@cli.command("demo")
@click.option("--cycles", default=3, show_default=True, type=click.IntRange(1, 50),
              help="Cycles per tenant before the summary (the first is the initial backfill).")
@click.option("--serve", is_flag=True,
              help="After the summary keep the sandbox and the worker running (new activity keeps arriving) "
                   "until Ctrl-C or SIGTERM.")
@click.option("--db", "db_url", metavar="URL", default=None,
              help="Keep the demo's database here (default: a temporary SQLite file, removed at the end). "
                   "Use a fresh one: never your production database.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (no progress display).")
@click.option("--people", default=2000, show_default=True, type=click.IntRange(20, 200_000),
              help="HubSpot contacts of northwind's portal; globex's org gets 40% as many leads and 25% "
                   "as many contacts.")
@click.option("--activity", default=60, show_default=True, type=click.IntRange(0, 100_000),
              help="New activities arriving in each CRM before every cycle after the first.")
@click.option("--every", default=3.0, show_default=True, type=click.FloatRange(2.0, 3600.0), metavar="SECONDS",
              help="The worker's interval between a tenant's cycles.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the sandbox CRMs (0 = any free port).")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the generated data.")
@click.option("--timeout", default=100.0, show_default=True, type=click.FloatRange(1.0), metavar="SECONDS",
              help="Give up waiting for the cycles after this long (then summarise what finished; exit 1).")
def demo_command(cycles: int, serve: bool, db_url: str | None, as_json: bool, people: int, activity: int,
                 every: float, port: int, seed: int, timeout: float) -> None:
    """Sync the example tenants against the bundled sandbox CRMs and show what changed."""
    from sync.logging import configure
    configure("WARNING")                      # the display is the output; warnings and errors still reach stderr
    # A backfill longer than --every makes APScheduler skip (coalesce) a run with a warning: expected here. (Its
    # children: the worker sets the "apscheduler" logger itself when it starts.)
    for name in ("apscheduler.scheduler", "apscheduler.executors"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from sync.demo import Demo, DemoError, DemoSettings
    from sync.store import StoreError

    settings = DemoSettings(cycles=cycles, every_s=every, hubspot_contacts=people,
                            salesforce_leads=max(10, people * 2 // 5), salesforce_contacts=max(10, people // 4),
                            activity=activity, seed=seed, port=port, db_url=db_url,
                            timeout_s=timeout)
    console = Console() if not as_json else Console(stderr=True)
    if not console.is_terminal:
        console = Console(file=console.file, width=max(console.width, 160), highlight=False)
    display = Display(console, cycles, quiet=as_json)
    demo = Demo(settings, hook=display.event)
    stop = threading.Event()                  # SIGTERM/SIGINT: stop at a safe point (handlers first, as in `run`)
    previous = _on_signals(stop)
    try:
        try:
            demo.start()
        except OSError as error:
            click.echo(f"crmsync demo: cannot start the sandbox on port {port}: {error.strerror or error}. "
                       "Pick another --port (0 = any free port).", err=True)
            sys.exit(EXIT_FAILED)
        except (DemoError, StoreError) as error:
            click.echo(f"crmsync demo: {error}", err=True)
            sys.exit(EXIT_FAILED)
        display.started(demo)
        with display.live():
            completed = demo.wait(stop=stop)
        interrupted = stop.is_set()
        if interrupted:
            click.echo("crmsync demo: interrupted; summarising the cycles that finished.", err=True)
        serving = serve and not interrupted
        if not serving:
            demo.stop_worker()
        report = demo.report()
        if as_json:
            click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
        else:
            print_report(console, report.to_dict(), serving=serving)
        if not completed and not interrupted:
            click.echo(f"crmsync demo: the cycles did not finish within {settings.timeout_s:.0f} s "
                       f"(finished: {demo.finished_cycles()}); try a smaller --people or a longer --timeout.",
                       err=True)
        if serving:
            demo.keep_advancing = True
            display.serving = True
            assert demo.sandbox is not None
            console.print(f"Serving: sandbox CRMs at {demo.sandbox.url}/ui/ ; the worker keeps syncing every "
                          f"{every:g} s while new activity arrives. Stop with Ctrl-C or SIGTERM.")
            while not stop.wait(0.5):
                pass
            console.print("Stopping: running cycles end at a safe point.")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        demo.close()
    sys.exit(EXIT_OK if serving or report.ok else EXIT_FAILED)


def _on_signals(stop: threading.Event) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, lambda signum, frame: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}


class Display:
    """Progress while the demo runs: a live line per tenant on a terminal, plain lines otherwise."""

    def __init__(self, console: Console, cycles: int, *, quiet: bool = False) -> None:
        self.console = console
        self.cycles = cycles
        self.quiet = quiet
        self.serving = False
        self.fancy = console.is_terminal and not quiet
        self._lock = threading.Lock()
        self._state: dict[str, dict[str, Any]] = {}
        self._activity: dict[str, dict[str, int]] = {}
        self._live: Live | None = None

    def started(self, demo: Demo) -> None:
        if self.quiet:
            return
        assert demo.sandbox is not None
        self.console.print(f"[bold]crmsync demo[/]: sandbox CRMs at {demo.sandbox.url} "
                           f"(generated data, nothing leaves this machine)")
        for run in demo.runs:
            name = run.tenant.tenant
            states: dict[str, int] = {}
            for item in run.provision:
                states[item.state] = states.get(item.state, 0) + 1
            what = ", ".join(f"{n} {PROVISION_STATES.get(s, s)}" for s, n in sorted(states.items())) or "none"
            self.console.print(f"  {name}: {CRM_NAMES.get(run.tenant.crm.kind, run.tenant.crm.kind)} {run.account}; "
                               f"write-back fields: {what}")
            for item in run.provision:
                if item.state in ("missing", "wrong", "not_updateable"):
                    self.console.print(f"  [yellow]{name}: {item.object_type}.{item.field} is {item.state}: "
                                       f"{escape(item.detail)}; those values will not be written[/]")
            if run.provision_error:
                self.console.print(f"  [red]{name}: {escape(run.provision_error)}[/]")
        self.console.print(f"Running the worker: {self.cycles} cycle(s) per tenant, the first is the initial "
                           "backfill; new activity arrives before each later one.")

    def live(self) -> Any:
        if not self.fancy:
            return _Nothing()
        self._live = Live(get_renderable=self.render, console=self.console, refresh_per_second=8, transient=True)
        return self._live

    def event(self, tenant: str, cycle: int, event: str, data: dict[str, Any]) -> None:
        """The demo's hook (called from the worker's threads)."""
        if self.quiet or (cycle > self.cycles and not self.serving):
            return
        with self._lock:
            state = self._state.setdefault(tenant, {})
            if event == "cycle_started":
                state.clear()
                state.update(cycle=cycle, stage="starting", streams={})
            elif event == "activity":
                self._activity[tenant] = dict(data.get("counts") or {})
            elif event == "stage":
                state["stage"] = data.get("stage")
            elif event == "page":
                state.setdefault("streams", {})[data.get("stream")] = data.get("pulled", 0)
                state["stream"] = data.get("stream")
            elif event == "scored":
                state["scored"] = data.get("scored", 0)
            elif event == "pushed":
                state["pushed"] = data.get("done", 0)
            elif event == "cycle_finished":
                state["stage"] = "done"
                activity = self._activity.pop(tenant, None)
        if event == "cycle_started" and not self.fancy and cycle == 1:
            self.console.print(f"{tenant}: cycle 1 (initial backfill) started", soft_wrap=True)
        if event == "cycle_finished":
            self.console.print(cycle_text(tenant, cycle, data["summary"], activity), soft_wrap=True)

    def render(self) -> RenderableType:
        grid = Table.grid(padding=(0, 1))
        with self._lock:
            for tenant, state in sorted(self._state.items()):
                if state.get("stage") == "done":
                    continue
                grid.add_row(Spinner("dots"), Text(f"{tenant:<10}"), Text(progress_text(state)))
        return Group(grid)


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def progress_text(state: dict[str, Any]) -> str:
    cycle = state.get("cycle", 1)
    label = f"cycle {cycle}" + (" (backfill)" if cycle == 1 else "")
    stage = state.get("stage") or "starting"
    streams: dict[str, int] = state.get("streams") or {}
    if stage == "pull":
        done = ", ".join(f"{name} {n:,}" for name, n in streams.items())
        return f"{label}: pulling  {done or '...'}"
    if stage == "score":
        return f"{label}: scoring  {state.get('scored', 0):,} people"
    if stage == "push":
        return f"{label}: writing back  {state.get('pushed', 0):,} records"
    return f"{label}: {STAGES.get(stage, stage)}"


def cycle_text(tenant: str, cycle: int, summary: dict[str, Any], activity: dict[str, int] | None) -> str:
    from sync.demo import cycle_line
    line = cycle_line(cycle, summary)
    label = f"cycle {cycle}" + (" (backfill)" if cycle == 1 else "")
    if line["status"] == "failed":
        return f"[red]{tenant}: {label} failed: {escape(str(line['error']))}[/]"
    arrived = ""
    if activity:
        arrived = f"after {sum(activity.values()):,} new activities ({_counts(activity)}): "
    return (f"{tenant}: {label} {line['status']} in {line['duration_s']:.1f} s: {arrived}"
            f"{line['pulled']:,} records pulled, {line['scored']:,} scored, "
            f"[bold]{plural(line['new_mqls'], 'new MQL')}[/], "
            f"{line['writes_done']:,} records written, {line['api_calls']:,} API calls")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v)


def print_report(console: Console, report: dict[str, Any], *, serving: bool) -> None:
    console.print()
    console.print(f"[bold]Summary[/] ({report['duration_s']:.0f} s)")
    for t in report["tenants"]:
        crm = CRM_NAMES.get(t["crm"], t["crm"])
        console.print()
        console.print(f"[bold]{t['tenant']}[/] ({crm} {t['account']}){'  [red]FAILED[/]' if t['failed'] else ''}")
        console.print(f"  people pulled: {t['people']:,} ({t['pulled']:,} records over {len(t['cycles'])} cycles); "
                      f"scored: {t['scored']:,} evaluations")
        statuses = ", ".join(f"{n:,} {s}" for s, n in t["statuses"].items()) or "nobody scored yet"
        by_cycle = ", ".join(f"{n} in cycle {c}" for c, n in t["mqls_by_cycle"].items())
        console.print(f"  [bold]MQLs: {t['mqls']:,}[/] ({by_cycle or 'none new'}); everyone now: {statuses}")
        if t["examples"]:
            table = Table("cycle", "person", "score", "MQL reason (as the CRM holds it)", box=None,
                          padding=(0, 1), show_edge=False)
            for row in t["examples"]:
                who = f"{row['name']} <{row['email']}>" if row["email"] else row["name"] or row["person_id"]
                reason = row["reason"] if row["reason_written"] else f"{row['reason']} (not written yet)"
                table.add_row(str(row["cycle"]), Text(who), "" if row["score"] is None else str(row["score"]),
                              Text(reason))
            console.print(table)
        w = t["writes"]
        endpoints = ", ".join(f"{k} {v}" for k, v in list(t["api_calls_by_endpoint"].items())[:4])
        console.print(f"  writes: {w['done']:,} records written, {w['dead']:,} refused, {w['retry']:,} to retry")
        console.print(f"  API calls: {t['api_calls']:,}" + (f" ({endpoints}, ...)" if endpoints else "")
                      + (f"; {t['throttled']} throttled" if t["throttled"] else ""))
        for problem in t["provision_problems"]:
            console.print(f"  [yellow]write-back field: {escape(problem)}[/]")
        for c in t["cycles"]:
            if c["status"] == "failed":
                console.print(f"  [red]cycle {c['cycle']} failed: {escape(str(c['error']))}[/]")
        if t["record_url"]:
            console.print(f"  open an MQL in the CRM: {t['record_url']}")
    console.print()
    if serving:
        console.print(f"All records: {report['records_ui']}")
    else:
        console.print("The sandbox stopped with the demo; run [bold]crmsync demo --serve[/] to keep it (and these "
                      "pages) up.")
