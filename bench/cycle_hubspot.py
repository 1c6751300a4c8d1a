"""Benchmark: full and incremental HubSpot cycles against the sandbox in its own process.

    .venv/bin/python bench/cycle_hubspot.py [--contacts 100000] [--db sqlite:///bench.db]

Prints JSON: per cycle API calls per endpoint, calls vs the minimum possible, writes per call, worker CPU
seconds, wall time, and the worker's peak RSS. Run by hand; not part of CI.

The minimum (``api_calls_minimum``) is what the endpoints crmsync uses cannot go below: per stream one
list page per 100 records (companies and contacts on a full pass, the archived list), one search page
per 200 records (incremental reads and engagements), at least one read call per stream; one
associations batch read per 1,000 records read that need one; one batch update per 100 writes.

The sandbox's generated history ends 5 minutes before the portal exists, older than the cycle's 60 s
cursor lag: the full cycle reads everything, the echo cycle reads only our own writes back, and the
no-change cycle follows a cycle that changed nothing (see docs/sync.md, "Cursors and the lag").
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cycle_common import SCORING, measure_cycles  # bench/ is on sys.path when run as a script

TOKEN = "pat-na1-00000000-0000-4000-8000-0000000bench"  # noqa: S105  (the sandbox's own test token)
SERVER = """
import sys
from sandbox import HubSpotSettings, RateLimits, Sandbox, SandboxConfig
sb = Sandbox(SandboxConfig(hubspot=HubSpotSettings(search_index_lag_s=0.5))).start(port=0)
pid = sb.add_hubspot_portal(token=sys.argv[1], contacts=int(sys.argv[2]), seed=3,
                      rate_limit=RateLimits(per_10s=0, search_per_s=0, daily=0))
import json
portal = sb.hubspot.portals[pid]
print(sb.url, json.dumps(portal.stats()["objects"]), flush=True)
sys.stdin.read()
"""
TENANT = """
tenant: bench
crm:
  kind: hubspot
  base_url: {url}
  access_token: {token}
  rate_limit: {{per_10s: 10000, search_per_s: 100}}
""" + SCORING

LIST = 100
SEARCH = 200
ASSOCIATIONS = 1000
BATCH = 100


def minimum_calls(summary: Mapping[str, Any]) -> dict[str, int]:
    """The fewest calls per endpoint label that could have read and written what this cycle did."""
    pulled = {stream: v["pulled"] for stream, v in summary["streams"].items()}
    calls: Mapping[str, int] = summary["api_calls"]
    out: dict[str, int] = {}
    for label in calls:
        parts = label.split(".")
        if parts[1] == "associations":
            stream = parts[2].split("_")[0]
            out[label] = math.ceil(pulled.get(stream, 0) / ASSOCIATIONS)
        elif parts[2] == "batch_update":
            out[label] = math.ceil(summary["writes"]["done"] / BATCH)
        elif parts[2] == "list_archived":
            out[label] = max(1, math.ceil(pulled.get("archived_contacts", 0) / LIST))
        else:
            per = LIST if parts[2] == "list" else SEARCH
            out[label] = max(1, math.ceil(pulled.get(parts[1], 0) / per))
    return out


def calls_vs_minimum(summary: Mapping[str, Any]) -> dict[str, Any]:
    minimum = minimum_calls(summary)
    total = sum(minimum.values())
    return {"api_calls_minimum": minimum, "api_calls_minimum_total": total,
            "calls_vs_minimum": round(sum(summary["api_calls"].values()) / total, 3) if total else None}


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
        url, stats = server.stdout.readline().strip().split(" ", 1)
        seed_s = time.monotonic() - started
        tenant = parse_tenant(TENANT.format(url=url, token=TOKEN))
        connector = create_connector(tenant)
        connector.provision()
        connector.close()
        out: dict[str, Any] = {"contacts": args.contacts, "sandbox_seed_s": round(seed_s, 1),
                               "portal": json.loads(stats)}
        out["cycles"] = measure_cycles(
            tenant, args.db, batch=BATCH, is_write=lambda endpoint: endpoint == "hubspot.contacts.batch_update",
            extra=calls_vs_minimum, settle=True)
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
