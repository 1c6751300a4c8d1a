"""Benchmark: full and incremental HubSpot cycles against the sandbox in its own process.

    .venv/bin/python bench/cycle_hubspot.py [--contacts 100000] [--db sqlite:///bench.db]

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

from cycle_common import measure_cycles  # bench/ is on sys.path when run as a script

TOKEN = "pat-na1-00000000-0000-4000-8000-0000000bench"  # noqa: S105  (the sandbox's own test token)
SERVER = """
import sys, time
from sandbox import HubSpotSettings, RateLimits, Sandbox, SandboxConfig
sb = Sandbox(SandboxConfig(hubspot=HubSpotSettings(search_index_lag_s=0.5))).start(port=0)
sb.add_hubspot_portal(token=sys.argv[1], contacts=int(sys.argv[2]), seed=3,
                      rate_limit=RateLimits(per_10s=0, search_per_s=0, daily=0))
print(sb.url, flush=True)
sys.stdin.read()
"""
TENANT = """
tenant: bench
crm:
  kind: hubspot
  base_url: {url}
  access_token: {token}
  rate_limit: {{per_10s: 10000, search_per_s: 100}}
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
"""



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    from config import parse_tenant
    from connectors.registry import create_connector

    server = subprocess.Popen([sys.executable, "-c", SERVER, TOKEN, str(args.contacts)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        started = time.monotonic()
        url = server.stdout.readline().strip()
        seed_s = time.monotonic() - started
        tenant = parse_tenant(TENANT.format(url=url, token=TOKEN))
        connector = create_connector(tenant)
        connector.provision()
        connector.close()
        out: dict[str, Any] = {"contacts": args.contacts, "sandbox_seed_s": round(seed_s, 1)}
        list_minimum = math.ceil(args.contacts / 100)
        out["cycles"] = measure_cycles(
            tenant, args.db, batch=100, is_write=lambda endpoint: endpoint == "hubspot.contacts.batch_update",
            extra=lambda s: {"contacts_list_vs_minimum":
                             round(s["api_calls"].get("hubspot.contacts.list", 0) / list_minimum, 3)})
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
