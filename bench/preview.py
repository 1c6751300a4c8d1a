"""``crmsync preview`` and ``explain`` on a synced store: persons per second and peak memory by tenant size.

    .venv/bin/python bench/preview.py [--people 5000 20000] [--activities 8]

For each size, a child process builds a SQLite store with one cycle (the in-memory test CRM, the
15-rule model of ``scoring_throughput``), then times ``preview`` against a candidate model (stricter MQL
threshold, one more fit rule) and ``explain`` of one person by id and by email. Peak RSS is read before
and after the preview, and the preview's peak Python allocation is traced in a second run (tracemalloc):
flat memory means neither grows with the size. One JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from scoring_throughput import TENANT  # bench/ is on sys.path when run as a script

from config import parse_tenant

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
CANDIDATE = TENANT.replace("mql: {fit_min: 20, engagement_min: 30}", "mql: {fit_min: 25, engagement_min: 35}").replace(
    "  fit:\n", "  fit:\n    - {label: Known country, when: {country: {exists: true}}, points: 2}\n", 1)
TITLES = ["VP Sales", "Engineer", "Marketing Manager", "Head of Data", "Student", "CTO", "Analyst"]
KINDS = [("page_view", {"url": "/pricing"}), ("page_view", {"url": "/blog"}), ("email_open", {"campaign": "c"}),
         ("email_click", {"campaign": "c", "url": "/x"}), ("form_submission", {"form": "Ebook"}),
         ("meeting", {"title": "intro", "outcome": "held"}), ("form_submission", {"form": "Demo request"})]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(people: int, activities: int) -> dict[str, Any]:
    from sync.cli.explain_cmd import explain
    from sync.cli.preview_cmd import preview
    from sync.cycle import run_cycle
    from sync.store import Store
    from tests.unit.sync.fakecrm import FakeCRM

    tenant = parse_tenant(TENANT)
    candidate = parse_tenant(CANDIDATE).scoring
    rng = random.Random(7)
    crm = FakeCRM(page_size=1000, batch=100)
    for n in range(people):
        crm.put_person(f"p{n:07d}", title=rng.choice(TITLES), email=f"user{n}@example.com",
                       country=rng.choice(["US", "DE", "FR", ""]), industry=rng.choice(["Software", "Retail"]),
                       employees=rng.choice([50, 300, 9000]))
        for k in range(rng.randint(0, activities * 2)):
            kind, attrs = rng.choice(KINDS)
            crm.put_activity(f"a{n}-{k}", f"p{n:07d}", kind, NOW - timedelta(days=rng.randint(0, 120)), **attrs)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'bench.db'}")
        clock = time.perf_counter()
        summary = run_cycle(tenant, store, connector=crm, now=NOW)
        cycle_s = time.perf_counter() - clock
        del crm
        ts = store.for_tenant(tenant.tenant)
        before = peak_mb()
        cpu0, clock = time.process_time(), time.perf_counter()
        report = preview(tenant, candidate, ts, as_of=date(2026, 11, 10))
        wall, cpu = time.perf_counter() - clock, time.process_time() - cpu0
        after = peak_mb()
        tracemalloc.start()
        preview(tenant, candidate, ts, as_of=date(2026, 11, 10))
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        explained = {}
        for label, kwargs in (("by_id", {"person_id": f"p{people // 2:07d}"}),
                              ("by_email", {"email": f"USER{people // 2}@example.com"})):
            clock = time.perf_counter()
            result = explain(tenant, ts, as_of=date(2026, 11, 10), **kwargs)   # type: ignore[arg-type]
            explained[label] = {"s": round(time.perf_counter() - clock, 3), "persons": len(result["persons"])}
        store.close()
    return {
        "people": people, "cycle_s": round(cycle_s, 1), "cycle_status": summary.status,
        "preview": {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "persons_per_s": round(people / wall),
                    "status_changes": report["status_changes"],
                    "writes_candidate": report["writes"]["candidate"]["records"],
                    "writes_current": report["writes"]["current"]["records"],
                    "api_calls": report["writes"]["candidate"]["api_calls"]},
        "peak_rss_mb": {"before_preview": round(before), "after_preview": round(after),
                        "growth": round(after - before, 1)},
        "preview_peak_alloc_mb": round(traced_peak, 1),
        "explain": explained,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--activities", type=int, default=8, help="mean activities per person")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.activities)))
        return
    runs = []
    for people in args.people:
        out = subprocess.run([sys.executable, __file__, "--child", str(people), "--activities", str(args.activities)],
                             capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(json.dumps({"bench": "preview", "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
