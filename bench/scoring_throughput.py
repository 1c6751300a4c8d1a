"""Scoring throughput: people per second through a 15-rule model, and peak memory.

    .venv/bin/python bench/scoring_throughput.py [--people 200000] [--activities 10] [--full-people N]
                                                  [--jsonl-people 100000]

Issue #7's size is ``--people 1000000`` (10 activities each, one core). Three figures, one JSON object:
- ``engine``: ``scoring.evaluate`` and its status, over people generated beforehand (seeded; a pool of
  distinct people is generated first and cycled, so generation is not timed and memory stays flat;
  ``rss_before_mb`` is the process before the timed loop, ``peak_rss_mb`` after it);
- ``engine_full``: the same, also reading every output (``to_dict``: the reason and the breakdown are
  rendered; the sync cycle reads them through ``mql_reason`` and ``breakdown_dicts()``); ``--full-people``
  (default: ``--people``; 0 skips it);
- ``jsonl``: the full ``crmsync score`` command (parse, evaluate, serialise) in a child process over a
  generated JSONL file, with the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from config import parse_tenant
from scoring import Activity, compile_model, evaluate

AS_OF = date(2026, 11, 10)

TENANT = """
tenant: bench
crm: {kind: hubspot, access_token: bench-token}
scoring:
  decay: {half_life_days: 30, window_days: 180}
  fit:
    - {label: Senior title, when: {title: {matches: "(?i)\\\\b(vp|director|head of|chief)\\\\b"}}, points: 15}
    - {label: Manager title, when: {title: {matches: "(?i)\\\\bmanager\\\\b"}}, points: 8}
    - {label: Target industry, when: {industry: {in: [Software, Internet, Banking]}}, points: 10}
    - {label: 200-5000 employees, when: {employees: {between: [200, 5000]}}, points: 10}
    - {label: Core market, when: {country: [US, CA, GB, DE]}, points: 5}
    - {label: Free-mail address, when: {email: {domain_in: [gmail.com, yahoo.com]}}, points: -10}
  engagement:
    - {label: Pricing page visit, activity: page_view, when: {url: {contains: /pricing}}, points: 10, max_count: 3}
    - {label: Website visit, activity: page_view, points: 1, max_count: 10}
    - {label: Content download, activity: form_submission, when: {form: {matches: "(?i)ebook|guide"}}, points: 10}
    - {label: Email click, activity: email_click, points: 3, max_count: 5}
    - {label: Email open, activity: email_open, points: 1, max_count: 5, half_life_days: 14}
    - {label: Meeting, activity: meeting, points: 20, max_count: 2}
  disqualify:
    - {label: Student or intern, when: {title: {matches: "(?i)\\\\b(student|intern)\\\\b"}}}
    - {label: Competitor, when: {email: {domain_in: [rivalsoft.example]}}}
  fast_track:
    - {label: Demo request, activity: form_submission, when: {form: {matches: "(?i)demo"}}, within_days: 30}
  mql: {fit_min: 20, engagement_min: 30}
  engaged: {engagement_min: 10}
  grades: {A: 40, B: 25, C: 10}
"""

TITLES = ["VP Engineering", "Marketing Manager", "Engineer", "Director of IT", "Student", "Head of Data", "Analyst"]
INDUSTRIES = ["Software", "Banking", "Retail", "Internet", "Education", None]
COUNTRIES = ["US", "DE", "FR", "GB", "IN", "CA"]
DOMAINS = ["acme.com", "gmail.com", "globex.io", "rivalsoft.example", "initech.com"]
ACTIVITIES: list[tuple[str, dict[str, str]]] = [
    ("page_view", {"url": "https://example.com/pricing"}), ("page_view", {"url": "https://example.com/blog/x"}),
    ("form_submission", {"form": "Ebook: data guide"}), ("form_submission", {"form": "Request a demo"}),
    ("email_click", {"campaign": "Nov", "url": "https://example.com"}), ("email_open", {"campaign": "Nov"}),
    ("meeting", {"title": "Intro", "outcome": "held"}), ("webinar_attended", {"name": "Data 101"}),
]


def make_person(rng: random.Random, index: int, activities: int) -> dict[str, Any]:
    base = datetime(2026, 11, 10, tzinfo=UTC)
    acts = []
    for n in range(activities):
        kind, attrs = ACTIVITIES[rng.randrange(len(ACTIVITIES))]
        at = base - timedelta(minutes=rng.randrange(0, 200 * 24 * 60))
        acts.append({"type": kind, "at": at.isoformat().replace("+00:00", "Z"), "id": f"{index}-{n}", **attrs})
    return {
        "id": f"p{index}",
        "fields": {"email": f"user{index}@{rng.choice(DOMAINS)}", "title": rng.choice(TITLES),
                   "industry": rng.choice(INDUSTRIES), "employees": rng.choice([10, 150, 800, 12000, "450"]),
                   "country": rng.choice(COUNTRIES)},
        "activities": acts,
    }


def to_activities(person: dict[str, Any]) -> list[Activity]:
    out = []
    for raw in person["activities"]:
        attrs = {k: v for k, v in raw.items() if k not in ("type", "at", "id")}
        out.append(Activity(raw["type"], datetime.fromisoformat(raw["at"]), attrs, raw["id"]))
    return out


def bench_engine(people: int, activities: int, full: bool = False, pool_size: int = 2000) -> dict[str, Any]:
    tenant = parse_tenant(TENANT)
    model = compile_model(tenant.scoring, reason_max_length=tenant.reason_max_length)
    rng = random.Random(7)
    pool = []
    for i in range(pool_size):
        person = make_person(rng, i, activities)
        pool.append((person["fields"], to_activities(person)))
    statuses: dict[str, int] = {}
    rss_before = current_rss_mb()
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(people):
        fields, acts = pool[i % pool_size]
        evaluation = evaluate(model, fields, acts, AS_OF)
        if full:
            evaluation.to_dict(i)
        status = evaluation.status
        statuses[status] = statuses.get(status, 0) + 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"people": people, "activities_each": activities, "rules": 15, "outputs": "all" if full else "status",
            "seconds": round(elapsed, 3), "people_per_s": round(people / elapsed), "cpu_seconds": round(cpu, 3),
            "people_per_cpu_s": round(people / cpu), "statuses": dict(sorted(statuses.items())),
            "rss_before_mb": rss_before, "rss_after_mb": current_rss_mb(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def current_rss_mb() -> float:
    """This process's resident memory now (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return 0.0
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def bench_jsonl(people: int, activities: int) -> dict[str, Any]:
    crmsync = Path(sys.executable).with_name("crmsync")
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        tenant_file = Path(tmp, "bench.yaml")
        tenant_file.write_text(TENANT, encoding="utf-8")
        source = Path(tmp, "people.jsonl")
        with source.open("w", encoding="utf-8") as out:
            for i in range(people):
                out.write(json.dumps(make_person(rng, i, activities)) + "\n")
        start = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            child = subprocess.Popen([str(crmsync), "score", "--tenant-file", str(tenant_file), "--input",
                                      str(source), "--as-of", AS_OF.isoformat()], stdout=sink)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        if child.returncode != 0:
            raise SystemExit(f"crmsync score exited {child.returncode}")
        size_mb = source.stat().st_size / 1e6
    cpu = usage.ru_utime + usage.ru_stime
    return {"people": people, "activities_each": activities, "input_mb": round(size_mb, 1),
            "seconds": round(elapsed, 3), "people_per_s": round(people / elapsed), "cpu_seconds": round(cpu, 3),
            "people_per_cpu_s": round(people / cpu), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=10)
    parser.add_argument("--full-people", type=int, default=None, help="default: --people; 0 skips it")
    parser.add_argument("--jsonl-people", type=int, default=100_000)
    args = parser.parse_args()
    figures = {"engine": bench_engine(args.people, args.activities)}
    full_people = args.people if args.full_people is None else args.full_people
    if full_people:
        figures["engine_full"] = bench_engine(full_people, args.activities, full=True)
    if args.jsonl_people:
        figures["jsonl"] = bench_jsonl(args.jsonl_people, args.activities)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
