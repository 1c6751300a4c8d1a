"""``crmsync demo``: the example tenants against the in-process sandbox, through the CLI and as a process."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

from click.testing import CliRunner

import sync.cli.demo_cmd  # noqa: F401  (registers `demo` on the group until commands.py imports it)
from sync.cli.app import cli
from sync.store import Store

SMALL = ["--people", "150", "--every", "2", "--activity", "40"]
REASON = re.compile(r"\b(Fit|Engagement) -?\d+: .*[+-]\d")        # a breakdown with contributions
ENTRY = "import sync.cli.demo_cmd; from sync.cli.app import main; main()"   # `crmsync`, with demo registered


def test_demo_json_reports_mqls_with_the_reasons_the_crm_holds(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", *SMALL, "--cycles", "3", "--json", "--db", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["ok"] and report["completed"]
    tenants = {t["tenant"]: t for t in report["tenants"]}
    assert set(tenants) == {"northwind", "globex"}
    assert tenants["northwind"]["crm"] == "hubspot" and tenants["globex"]["crm"] == "salesforce"
    for t in tenants.values():
        assert [c["cycle"] for c in t["cycles"]] == [1, 2, 3]
        assert all(c["status"] == "ok" for c in t["cycles"])
        assert t["people"] > 50
        assert t["mqls"] > 0 and t["mqls"] == t["statuses"]["mql"]
        assert t["writes"]["done"] > 0 and t["writes"]["dead"] == 0
        assert t["api_calls"] == sum(t["api_calls_by_endpoint"].values()) > 0
        assert t["provision_problems"] == []
        # new activity arrived before cycles 2 and 3, and those cycles pulled and rescored it
        assert all(c["pulled"] > 0 and c["scored"] > 0 for c in t["cycles"][1:])
        assert t["examples"]
        for row in t["examples"]:
            assert row["reason_written"], row          # read back from the CRM record, not from our store
            assert REASON.search(row["reason"]), row["reason"]
            assert row["status"] == "mql" and row["email"]
        assert t["record_url"] == t["examples"][0]["url"]
        assert t["record_url"].startswith(report["sandbox_url"] + "/ui/")
    assert tenants["northwind"]["provision"].get("created", 0) > 0     # HubSpot properties created by the demo
    assert "exists" in tenants["globex"]["provision"]                   # the sandbox org has the custom fields
    # --db keeps the cycles for `crmsync status`
    store = Store.open(f"sqlite:///{db}")
    try:
        assert sorted(store.tenants()) == ["globex", "northwind"]
        assert len(store.recent_runs("northwind")) >= 3
        for t in tenants.values():                 # the CRM holds exactly the reason the scoring gave
            ts = store.for_tenant(t["tenant"])
            for row in t["examples"]:
                score = ts.score(row["person_id"])
                assert score is not None and score["status"] == "mql"
                assert row["reason"] == score["mql_reason"]
                assert row["score"] == score["score"]
    finally:
        store.close()
    # that database now belongs to a sandbox that is gone: a second demo refuses it
    again = CliRunner().invoke(cli, ["demo", *SMALL, "--db", f"sqlite:///{db}"])
    assert again.exit_code == 1
    assert "already holds cycles of globex, northwind; give --db a new database" in again.output


def test_demo_process_prints_progress_and_summary_then_serves_until_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "CRMSYNC_DATABASE_URL": f"sqlite:///{tmp_path}/not-the-demo.db"}
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, "demo", *SMALL, "--cycles", "2", "--serve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    lines = _reader(proc.stdout)
    out: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while not any(line.startswith("Serving:") for line in out):
            assert time.monotonic() < deadline, "".join(out)
            assert proc.poll() is None, "".join(out) + proc.stderr.read()
            with contextlib.suppress(queue.Empty):
                out.append(lines.get(timeout=1))
        text = "".join(out)
        # plain progress lines (stdout is a pipe, not a terminal), one per finished cycle
        for tenant in ("northwind", "globex"):
            assert f"{tenant}: cycle 1 (initial backfill) started" in text
            assert re.search(rf"^{tenant}: cycle 1 \(backfill\) ok in .* new MQL", text, re.M), text
            assert re.search(rf"^{tenant}: cycle 2 ok in .*: after \d+ new activities", text, re.M), text
        assert "\x1b[" not in text                            # no live display, no colour codes in a pipe
        assert "MQL reason (as the CRM holds it)" in text
        assert REASON.search(text), text
        written = [int(n.replace(",", "")) for n in re.findall(r"writes: ([\d,]+) records written", text)]
        assert len(written) == 2 and all(n > 0 for n in written)
        urls = re.findall(r"open an MQL in the CRM: (http://\S+)", text)
        assert len(urls) == 2
        for url in urls:                                      # the sandbox is still up with --serve
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (127.0.0.1)
                page = response.read().decode()
                assert response.status == 200
                assert response.headers.get_content_type() == "text/html"
            assert ("crmsync_mql_reason" in page) or ("MQL_Reason__c" in page)     # the fields crmsync wrote
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (tmp_path / "not-the-demo.db").exists()      # the demo never touches the configured database


def _reader(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_terminal_display_shows_a_live_line_per_tenant_then_a_line_per_cycle() -> None:
    from io import StringIO

    from rich.console import Console

    from sync.cli.demo_cmd import Display

    out = StringIO()
    display = Display(Console(file=out, force_terminal=True, width=200, color_system=None), cycles=2)
    assert display.fancy
    summary = {"status": "ok", "streams": {"contacts": {"pulled": 120, "changed": 120}}, "scored": 118,
               "new_mqls": [["1", "Fast-track: Demo request (2026-12-01)."]], "writes": {"done": 118},
               "api_calls": {"hubspot.contacts.list": 2}, "duration_s": 1.25}
    display.event("northwind", 1, "cycle_started", {})
    display.event("northwind", 1, "stage", {"stage": "pull"})
    display.event("northwind", 1, "page", {"stream": "contacts", "pulled": 100, "changed": 100, "pages": 1})
    display.event("globex", 1, "cycle_started", {})
    display.event("globex", 1, "stage", {"stage": "score"})
    display.event("globex", 1, "scored", {"scored": 500})
    frame = StringIO()
    Console(file=frame, width=200, color_system=None).print(display.render())
    lines = frame.getvalue()
    assert "globex     cycle 1 (backfill): scoring  500 people" in lines
    assert "northwind  cycle 1 (backfill): pulling  contacts 100" in lines
    display.event("northwind", 1, "cycle_finished", {"summary": summary})
    display.event("northwind", 2, "activity", {"counts": {"page_view": 3, "demo_request": 1}})
    display.event("northwind", 2, "cycle_started", {})
    display.event("northwind", 2, "cycle_finished", {"summary": {**summary, "status": "failed",
                                                                 "error": "Unreachable: [REDACTED] timed out"}})
    display.event("northwind", 3, "cycle_finished", {"summary": summary})     # past --cycles: not shown
    printed = out.getvalue()
    assert ("northwind: cycle 1 (backfill) ok in 1.2 s: 120 records pulled, 118 scored, 1 new MQL, "
            "118 records written, 2 API calls") in printed
    assert "northwind: cycle 2 failed: Unreachable: [REDACTED] timed out" in printed   # not taken as markup
    assert "cycle 3" not in printed
