"""``crmsync score``: exact JSONL output, byte-identical reruns, errors naming the line (CliRunner and a
real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.cli import score_cmd  # noqa: F401  (registers the command)
from sync.cli.app import cli

TENANT = """
tenant: acme
crm: {kind: hubspot, access_token: test-token}
scoring:
  decay: {half_life_days: 30, window_days: 180}
  fit:
    - {label: Senior title, when: {title: {matches: "(?i)\\\\bvp\\\\b"}}, points: 15}
    - {label: Software, when: {industry: Software}, points: 10}
  engagement:
    - {label: Pricing page visit, activity: page_view, when: {url: {contains: /pricing}}, points: 10, max_count: 3}
  disqualify:
    - {label: Student, when: {title: {matches: "(?i)student"}}}
  fast_track:
    - {label: Demo request, activity: form_submission, when: {form: {matches: "(?i)demo"}}, within_days: 30}
  mql: {fit_min: 20, engagement_min: 15}
  grades: {A: 20, B: 10}
"""

PEOPLE = [
    {"id": "p1", "fields": {"title": "VP Sales"}, "company": {"industry": "Software"},
     "activities": [{"type": "page_view", "at": "2026-11-09T12:00:00Z", "url": "/pricing", "id": "a1"},
                    {"type": "page_view", "at": "2026-10-10T00:00:00Z", "url": "/pricing", "id": "a2"},
                    {"type": "page_view", "at": "2026-11-09T12:00:00Z", "url": "/pricing", "id": "a1"}]},
    {"id": "p2", "fields": {"title": "Engineer"},
     "activities": [{"type": "form_submission", "at": "2026-11-02T08:00:00+02:00", "form": "Book a demo"}]},
    {"id": 3, "fields": {"title": "Student"}, "previous": {"status": "mql", "mql_at": "2026-10-01"}},
    {"id": "p4", "previous": {"status": "mql", "mql_at": "2026-10-01"}},
]

EXPECTED = [
    {"id": "p1", "fit": 25, "engagement": 15, "score": 40, "grade": "A", "status": "mql", "mql_at": "2026-11-10",
     "mql_reason": "Thresholds met: fit 25 >= 20, engagement 15 >= 15. Fit 25: Senior title +15, Software +10. "
                   "Engagement 15: Pricing page visit x2 +14.9.",
     "breakdown": [{"kind": "fit", "label": "Senior title", "count": 1, "points": 15},
                   {"kind": "fit", "label": "Software", "count": 1, "points": 10},
                   {"kind": "engagement", "label": "Pricing page visit", "count": 2, "points": 14.89}]},
    {"id": "p2", "fit": 0, "engagement": 0, "score": 0, "grade": "D", "status": "mql", "mql_at": "2026-11-10",
     "mql_reason": "Fast-track: Demo request (2026-11-02).",
     "breakdown": [{"kind": "fast_track", "label": "Demo request", "count": 1, "points": 0}]},
    {"id": 3, "fit": 0, "engagement": 0, "score": 0, "grade": "D", "status": "disqualified", "mql_at": "2026-10-01",
     "mql_reason": "Disqualified: Student.",
     "breakdown": [{"kind": "disqualify", "label": "Student", "count": 1, "points": 0}]},
    {"id": "p4", "fit": 0, "engagement": 0, "score": 0, "grade": "D", "status": "mql", "mql_at": "2026-10-01",
     "mql_reason": "Kept as MQL since 2026-10-01 (thresholds no longer met).", "breakdown": []},
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    tenant = tmp_path / "acme.yaml"
    tenant.write_text(TENANT, encoding="utf-8")
    people = tmp_path / "people.jsonl"
    people.write_text("\n".join(json.dumps(p) for p in PEOPLE[:2]) + "\n\n"
                      + "\n".join(json.dumps(p) for p in PEOPLE[2:]) + "\n", encoding="utf-8")
    return tenant, people


def run(args: list[str], stdin: bytes | None = None) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, args, input=stdin)
    return result.exit_code, result.stdout_bytes, result.stderr


def test_exact_output(files: tuple[Path, Path]) -> None:
    tenant, people = files
    code, out, _ = run(["score", "--tenant-file", str(tenant), "--input", str(people), "--as-of", "2026-11-10"])
    assert code == 0
    lines = out.decode().splitlines()
    assert [json.loads(line) for line in lines] == EXPECTED
    assert list(json.loads(lines[0])) == ["id", "fit", "engagement", "score", "grade", "status", "mql_at",
                                          "mql_reason", "breakdown"]


def test_stdin_and_byte_identical_reruns(files: tuple[Path, Path]) -> None:
    tenant, people = files
    args = ["score", "--tenant-file", str(tenant), "--as-of", "2026-11-10"]
    first = run([*args, "--input", str(people)])
    second = run([*args, "--input", "-"], stdin=people.read_bytes())
    assert first[0] == second[0] == 0
    assert first[1] == second[1]


def test_subprocess(files: tuple[Path, Path]) -> None:
    tenant, people = files
    command = [sys.executable, "-c", "from sync.cli import main; main()", "score", "--tenant-file", str(tenant),
               "--input", str(people), "--as-of", "2026-11-10"]
    runs = [subprocess.run(command, capture_output=True, check=True, timeout=60) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout
    assert [json.loads(line) for line in runs[0].stdout.splitlines()] == EXPECTED
    assert runs[0].stderr == b""


@pytest.mark.parametrize(("line", "message"), [
    (b"{not json", "line 2: not valid JSON"),
    (b"[1, 2]", "line 2: expected a JSON object"),
    (b'{"id": "x", "activites": []}', "line 2: unknown key 'activites'; allowed: id, fields, company, activities"),
    (b'{"id": "x", "activities": [{"type": "page_view", "at": "yesterday"}]}',
     "line 2: activities[0].at: 'yesterday' is not a date-time such as 2026-11-02T14:30:00Z"),
    (b'{"id": "x", "activities": [{"type": "tweet", "at": "2026-11-01"}]}',
     "line 2: activities[0].type: 'tweet' is not an activity type"),
    (b'{"id": "x", "activities": [{"at": "2026-11-01"}]}', "line 2: activities[0].type: None is not"),
    (b'{"id": "x", "activities": [{"type": "page_view", "at": "2026-11-01"}, {"type": ["x"], "at": "2026-11-01"}]}',
     "line 2: activities[1].type: ['x'] is not an activity type"),
    (b'{"id": "x", "activities": [{"type": "page_view", "at": "2026-11-01"}, {"type": "page_view"}]}',
     "line 2: activities[1].at: missing"),
    (b'{"id": "x", "activities": [{"type": "page_view", "at": "2026-11-01", "id": 7}, 3]}',
     "line 2: activities[1]: must be an object"),
    (b'{"id": "x", "activities": [{"type": "page_view", "at": "2026-11-01", "id": true}]}',
     "line 2: activities[0].id: must be a text or an integer"),
    (b'{"id": "x", "activities": {"type": "page_view"}}', "line 2: activities: must be a list of objects"),
    (b'{"id": "x", "fields": [1]}', "line 2: fields: must be an object"),
    (b'{"id": "x", "previous": {"status": "sql"}}', "line 2: previous.status: 'sql' is not one of"),
    (b'{"id": "x", "previous": {"mql_at": "soon"}}', "line 2: previous.mql_at: 'soon' is not a date"),
    (b'{"id": {"a": 1}}', "line 2: id: must be a text or an integer"),
])
def test_bad_line_exits_2_naming_the_line(files: tuple[Path, Path], line: bytes, message: str) -> None:
    tenant, _ = files
    good = json.dumps(PEOPLE[3]).encode()
    code, out, err = run(["score", "--tenant-file", str(tenant), "--input", "-", "--as-of", "2026-11-10"],
                         stdin=good + b"\n" + line + b"\n" + good + b"\n")
    assert code == 2
    assert message in err
    assert len(out.splitlines()) == 1        # the line before the bad one was written, nothing after


def test_bad_tenant_file_exits_2_with_config_errors(tmp_path: Path) -> None:
    tenant = tmp_path / "bad.yaml"
    tenant.write_text("tenant: acme\ncrm: {kind: hubspot, access_token: x}\nscoring: {fit: []}\n", encoding="utf-8")
    code, out, err = run(["score", "--tenant-file", str(tenant), "--input", "-"], stdin=b"")
    assert code == 2
    assert out == b""
    assert "bad.yaml" in err
    assert "problem" in err


def test_bad_as_of_is_a_usage_error(files: tuple[Path, Path]) -> None:
    tenant, people = files
    code, _, err = run(["score", "--tenant-file", str(tenant), "--input", str(people), "--as-of", "10/11/2026"])
    assert code == 2
    assert "is not a date like 2026-11-02" in err
