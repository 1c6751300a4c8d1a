"""What the cycle benchmarks share: CPU/RSS readings, per-cycle figures, the three measured cycles."""

from __future__ import annotations

import math
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The scoring model of both cycle benchmarks, a part of their tenant templates (``str.format`` braces doubled).
SCORING = """scoring:
  fit:
    - label: Senior title
      when: {{title: {{matches: "(?i)\\\\b(vp|director|head of|chief)\\\\b"}}}}
      points: 30
  engagement:
    - label: Page view
      activity: page_view
      points: 3
      max_count: 5
    - label: Meeting
      activity: meeting
      points: 20
    - label: Form
      activity: form_submission
      points: 15
  decay: {{half_life_days: 30, window_days: 180}}
  mql: {{fit_min: 20, engagement_min: 15}}
  grades: {{A: 40, B: 25, C: 10}}
"""


def usage() -> tuple[float, int]:
    """CPU seconds so far and peak RSS in MB of this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss // 1024


def rss_mb() -> int:
    """This process's resident set now, in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() // (1024 * 1024)
    except OSError:
        return 0


class StageRss:
    """A cycle's progress callback: the largest resident set seen in each stage (pull, score, plan, push)."""

    def __init__(self) -> None:
        self.stage = "start"
        self.peaks: dict[str, int] = {}

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "stage":
            self.stage = str(data["stage"])
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), rss_mb())


def figures(summary: dict[str, Any], cpu: float, wall: float, *, batch: int,
            is_write: Callable[[str], bool]) -> dict[str, Any]:
    calls = summary["api_calls"]
    writes = summary["writes"]["done"]
    write_calls = sum(n for endpoint, n in calls.items() if is_write(endpoint))
    minimum_writes = math.ceil(writes / batch)
    return {
        "status": summary["status"], "error": summary["error"], "scored": summary["scored"],
        "pulled": {k: v["pulled"] for k, v in summary["streams"].items()},
        "api_calls": calls, "api_calls_total": sum(calls.values()), "throttled": summary["throttled"],
        "writes_done": writes, "write_calls": write_calls,
        "writes_per_call": round(writes / write_calls, 1) if write_calls else None,
        "write_calls_vs_minimum": round(write_calls / minimum_writes, 3) if minimum_writes else None,
        "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
    }


def measure_cycles(tenant: Any, db: str | None, *, batch: int, is_write: Callable[[str], bool],
                   extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                   pause_s: float = 0.6, settle: bool = False) -> dict[str, Any]:
    """Run a full, an echo and a no-change cycle 15 minutes apart; figures for each.

    ``pause_s``: real seconds before each cycle (the CRM's clock runs at the real pace while ``now`` jumps).
    ``settle``: while the echo cycle (or a settle cycle) still wrote something, run a ``settle`` cycle
    (at most 3), so that ``no_change`` follows a cycle that changed nothing in the CRM.
    One connector serves every cycle, as in ``crmsync run`` (the worker keeps a tenant's connector).
    """
    from connectors.registry import create_connector
    from sync.cycle import run_cycle
    from sync.store import Store

    cycles: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(db or f"sqlite:///{Path(folder) / 'bench.db'}")
        connector = create_connector(tenant)
        now = datetime.now(UTC)
        names = ["full", "echo", "no_change"]
        for n, name in enumerate(names):
            time.sleep(pause_s)
            cpu0, _ = usage()
            t0 = time.monotonic()
            # 15 minutes apart, or later when a cycle took longer than that (its writes must stay after
            # the next cycle's cursor, as they are when the clock is real)
            at = max(now + timedelta(minutes=15 * n), datetime.now(UTC))
            stages = StageRss()
            summary = run_cycle(tenant, store, connector=connector, now=at, progress=stages).to_dict()
            stages("end", {})
            cpu1, rss = usage()
            key = name if name not in cycles else f"{name}_{n}"
            cycles[key] = figures(summary, cpu1 - cpu0, time.monotonic() - t0, batch=batch, is_write=is_write)
            cycles[key].update(extra(summary) if extra else {})
            cycles[key]["peak_rss_mb"] = rss
            cycles[key]["rss_by_stage_mb"] = stages.peaks      # sampled after each page, chunk and batch
            if settle and name in ("echo", "settle") and summary["writes"]["done"] and names.count("settle") < 3:
                names.insert(n + 1, "settle")
        connector.close()
        store.close()
    return cycles
