"""Sandbox throughput: records/s pulled (list and search, 100 per page) and written (batch update, 100 per
call) through one keep-alive HTTP connection, plus the server's RSS holding a large portal.

Starts ``crmsync sandbox`` in a subprocess with rate limits off and no search index lag, drives it with
``http.client`` and prints one JSON object.

    .venv/bin/python bench/sandbox_throughput.py [--contacts 100000] [--rss-contacts 1000000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

import orjson

PROPS = ["email", "firstname", "lastname", "jobtitle", "company", "country", "lifecyclestage", "hs_lead_status",
         "hs_analytics_num_page_views", "hs_analytics_last_visit_timestamp", "hs_email_open", "hs_email_click",
         "recent_conversion_event_name", "recent_conversion_date", "lastmodifieddate"]


class Server:
    """``crmsync sandbox`` in a subprocess; ``url`` and ``token`` read from its banner."""

    def __init__(self, contacts: int) -> None:
        cmd = [sys.executable, "-c", "from sync.cli import main; main()", "sandbox", "--port", "0",
               "--contacts", str(contacts), "--leads", "10", "--sf-contacts", "10",
               "--rate-limit", "per_10s=0,search_per_s=0,daily=0", "--index-lag", "0"]
        started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ,
                                                                                    "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        banner = "".join(self.proc.stdout.readline() for _ in range(2))
        self.ready_s = time.perf_counter() - started
        url = re.search(r"http://([\d.]+):(\d+)", banner)
        token = re.search(r"pat-na1-[0-9a-f-]+", banner)
        if url is None or token is None:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {banner!r}")
        self.host, self.port, self.token = url.group(1), int(url.group(2)), token.group(0)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def cpu_s(self) -> float:
        """User + system CPU seconds the server process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class Client:
    def __init__(self, server: Server) -> None:
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        self.conn.request(method, path, body=None if body is None else orjson.dumps(body), headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path} -> {resp.status}: {data[:300]!r}")
        return orjson.loads(data) if data else None


def bench_list(client: Client, records: int) -> dict[str, float]:
    props = "&".join(f"properties={p}" for p in PROPS)
    got, after, started = 0, "", time.perf_counter()
    while got < records:
        page = client.call("GET", f"/crm/v3/objects/contacts?limit=100&{props}" + (f"&after={after}" if after else ""))
        got += len(page["results"])
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    elapsed = time.perf_counter() - started
    return {"records": got, "seconds": round(elapsed, 3), "records_per_s": round(got / elapsed)}


def bench_search(client: Client, records: int) -> dict[str, float]:
    """The incremental pattern: lastmodifieddate GTE cursor, sorted ascending, re-anchored before 10,000."""
    got, cursor, after, started = 0, 0, 0, time.perf_counter()
    while got < records:
        body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                               "value": str(cursor)}]}],
                "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                "properties": PROPS, "limit": 100, "after": str(after)}
        page = client.call("POST", "/crm/v3/objects/contacts/search", body)
        got += len(page["results"])
        if "paging" not in page:
            break
        after = int(page["paging"]["next"]["after"])
        if after >= 9_900:
            last = page["results"][-1]["properties"]["lastmodifieddate"]
            cursor = int(time.mktime(time.strptime(last[:19], "%Y-%m-%dT%H:%M:%S")) * 1000) - 86_400_000
            after = 0
    elapsed = time.perf_counter() - started
    return {"records": got, "seconds": round(elapsed, 3), "records_per_s": round(got / elapsed)}


def bench_write(client: Client, records: int) -> dict[str, float]:
    client.call("POST", "/crm/v3/properties/contacts/groups", {"name": "lead_scoring", "label": "Lead scoring"})
    client.call("POST", "/crm/v3/properties/contacts", {"name": "crmsync_fit_score", "label": "Fit score",
                                                        "type": "number", "fieldType": "number",
                                                        "groupName": "lead_scoring"})
    client.call("POST", "/crm/v3/properties/contacts", {"name": "crmsync_mql_reason", "label": "MQL reason",
                                                        "type": "string", "fieldType": "textarea",
                                                        "groupName": "lead_scoring"})
    live = [r["id"] for r in client.call("GET", "/crm/v3/objects/contacts?limit=100")["results"]]
    done, started = 0, time.perf_counter()
    while done < records:
        inputs = [{"id": rid, "properties": {"crmsync_fit_score": str((done + i) % 100),
                                             "crmsync_mql_reason": f"Fit {(done + i) % 60}: VP title +15"}}
                  for i, rid in enumerate(live)]
        client.call("POST", "/crm/v3/objects/contacts/batch/update", {"inputs": inputs})
        done += len(inputs)
    elapsed = time.perf_counter() - started
    return {"records": done, "seconds": round(elapsed, 3), "records_per_s": round(done / elapsed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000, help="portal size for the pull/write runs")
    parser.add_argument("--records", type=int, default=50_000, help="records per measured run")
    parser.add_argument("--rss-contacts", type=int, default=1_000_000, help="portal size for the memory figure")
    args = parser.parse_args()
    out: dict[str, Any] = {"contacts": args.contacts}
    server = Server(args.contacts)
    try:
        out["startup_s"] = round(server.ready_s, 2)
        client = Client(server)
        for name, run in (("list_pull", bench_list), ("search_pull", bench_search), ("batch_write", bench_write)):
            cpu = server.cpu_s()
            out[name] = run(client, args.records)
            out[name]["server_cpu_s"] = round(server.cpu_s() - cpu, 3)
        out["rss_mb"] = server.rss_mb()
    finally:
        server.stop()
    if args.rss_contacts:
        big = Server(args.rss_contacts)
        try:
            out["large"] = {"contacts": args.rss_contacts, "startup_s": round(big.ready_s, 2),
                            "rss_mb": big.rss_mb()}
            client = Client(big)
            out["large"]["list_pull"] = bench_list(client, 20_000)
            out["large"]["search_pull"] = bench_search(client, 20_000)
        finally:
            big.stop()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
