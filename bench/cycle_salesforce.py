"""Benchmark: full and incremental Salesforce cycles against the sandbox in its own process.

    .venv/bin/python bench/cycle_salesforce.py [--contacts 100000] [--db sqlite:///bench.db]

Prints JSON: per cycle API calls per endpoint, calls vs the minimum possible, writes per call, worker CPU
seconds, wall time, and the worker's peak RSS. Run by hand; not part of CI.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cycle_common import measure_cycles  # bench/ is on sys.path when run as a script

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
"""
TENANT = """
tenant: bench
crm:
  kind: salesforce
  login_url: {url}
  client_id: {client_id}
  client_secret: {client_secret}
  people: [Lead, Contact]
  daily_api_share: 1.0
scoring:
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
write_back:
  fields: {{fit: Fit_Score__c, engagement: Engagement_Score__c, score: Score__c, grade: Grade__c,
           status: MQL_Status__c, mql_reason: MQL_Reason__c, mql_at: MQL_Date__c}}
  lifecycle:
    field: {{Lead: Status, Contact: Lifecycle_Stage__c}}
    mql_value: MQL
    protected: [Working - Contacted, Closed - Converted, Closed - Not Converted, SQL, Opportunity, Customer]
"""



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    from config import parse_tenant

    server = subprocess.Popen([sys.executable, "-c", SERVER, CLIENT_ID, CLIENT_SECRET, str(args.contacts)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        started = time.monotonic()
        url = server.stdout.readline().strip()
        seed_s = time.monotonic() - started
        tenant = parse_tenant(TENANT.format(url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET))
        out: dict[str, Any] = {"contacts": args.contacts, "sandbox_seed_s": round(seed_s, 1)}
        out["cycles"] = measure_cycles(tenant, args.db, batch=200, is_write=lambda endpoint: "update" in endpoint)
        print(json.dumps(out, indent=2))
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sync.logging import configure

    configure("WARNING")
    main()
