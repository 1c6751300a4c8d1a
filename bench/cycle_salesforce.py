"""Benchmark: full and incremental Salesforce cycles against the sandbox in its own process.

    .venv/bin/python bench/cycle_salesforce.py [--contacts 100000] [--db sqlite:///bench.db] [--bulk-threshold N]

Prints JSON: per cycle API calls per endpoint, calls vs the minimum possible, writes per call, worker CPU
seconds, wall time, and the worker's peak RSS. Run by hand; not part of CI.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cycle_common import SCORING, measure_cycles  # bench/ is on sys.path when run as a script

CLIENT_ID, CLIENT_SECRET = "3MVG9bench", "bench-secret-000001"
SERVER = """
import sys, time
from sandbox import Sandbox
sb = Sandbox().start(port=0)
n = int(sys.argv[3])
sb.add_salesforce_org(client_id=sys.argv[1], client_secret=sys.argv[2], leads=n * 6 // 10, contacts=n - n * 6 // 10,
                      seed=3, daily_api_limit=100_000_000, activities_per_person=10.0)
print(sb.url, flush=True)
sys.stdin.read()
import json, resource
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu_s": round(ru.ru_utime + ru.ru_stime, 1), "peak_rss_mb": ru.ru_maxrss // 1024}), flush=True)
"""
TENANT = """
tenant: bench
crm:
  kind: salesforce
  login_url: {url}
  client_id: {client_id}
  client_secret: {client_secret}
  people: [Lead, Contact]
  daily_api_share: 1.0{bulk}
""" + SCORING + """write_back:
  fields: {{fit: Fit_Score__c, engagement: Engagement_Score__c, score: Score__c, grade: Grade__c,
           status: MQL_Status__c, mql_reason: MQL_Reason__c, mql_at: MQL_Date__c}}
  lifecycle:
    field: {{Lead: Status, Contact: Lifecycle_Stage__c}}
    mql_value: MQL
    protected: [Working - Contacted, Closed - Converted, Closed - Not Converted, SQL, Opportunity, Customer]
"""



REST_PAGE, BULK_PAGE, COLLECTION = 2000, 50_000, 200


def is_write(endpoint: str) -> bool:
    return endpoint == "salesforce.composite.update" or endpoint.startswith(("salesforce.bulk2.ingest",
                                                                            "salesforce.bulk2.upload"))


def minimum(summary: dict[str, Any]) -> dict[str, Any]:
    """The fewest calls that could do this cycle's work, per endpoint family, and the cycle's calls against them.

    Reads: per stream the cheaper of REST (one call per 2,000 rows, at least one) and Bulk API 2.0 (job
    create, one status poll, one result page per 50,000 rows). Writes: one sObject Collections call per
    200 records. Login: one token call when the cycle logged in (a kept connector reuses its session).
    """
    calls: dict[str, int] = summary["api_calls"]
    reads = {name: min(max(1, math.ceil(s["pulled"] / REST_PAGE)), 2 + math.ceil(s["pulled"] / BULK_PAGE))
             for name, s in summary["streams"].items()}
    rest_reads = {name: max(1, math.ceil(s["pulled"] / REST_PAGE)) for name, s in summary["streams"].items()}
    login = calls.get("salesforce.oauth.token", 0)
    # one login when the cycle needed a session (the first; a kept connector reuses it afterwards)
    floor = {"read": sum(reads.values()), "write": math.ceil(summary["writes"]["done"] / COLLECTION),
             "login": min(login, 1)}
    total = sum(calls.values())
    write = sum(n for e, n in calls.items() if is_write(e) or e.startswith("salesforce.bulk2.ingest"))
    done = {"read": total - write - login, "write": write, "login": login}
    return {"calls_min": floor, "calls_by_family": done,
            "calls_vs_minimum": round(total / sum(floor.values()), 3),
            "read_calls_vs_rest_minimum": round(done["read"] / sum(rest_reads.values()), 3),
            "changed": {name: s["changed"] for name, s in summary["streams"].items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    parser.add_argument("--bulk-threshold", type=int, default=None,
                        help="crm.bulk_threshold (default 2,000; a huge value keeps pulls on REST)")
    args = parser.parse_args()
    from config import parse_tenant

    server = subprocess.Popen([sys.executable, "-c", SERVER, CLIENT_ID, CLIENT_SECRET, str(args.contacts)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        started = time.monotonic()
        url = server.stdout.readline().strip()
        seed_s = time.monotonic() - started
        bulk = "" if args.bulk_threshold is None else f"\n  bulk_threshold: {args.bulk_threshold}"
        tenant = parse_tenant(TENANT.format(url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, bulk=bulk))
        out: dict[str, Any] = {"contacts": args.contacts, "bulk_threshold": getattr(tenant.crm, "bulk_threshold", None),
                               "sandbox_seed_s": round(seed_s, 1)}
        out["cycles"] = measure_cycles(tenant, args.db, batch=200, is_write=is_write, extra=minimum, pause_s=2.5)
        server.stdin.close()             # type: ignore[union-attr]
        out["sandbox"] = json.loads(server.stdout.readline())    # its own CPU (seeding included) and RSS
        print(json.dumps(out, indent=2))
    finally:
        if server.stdin and not server.stdin.closed:
            server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sync.logging import configure

    configure("WARNING")
    main()
