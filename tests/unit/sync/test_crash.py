"""SIGKILL the cycle at many points; after a rerun the CRM equals an uninterrupted run's, and no
person was ever written a value that contradicts its final one."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .crash_worker import load, save
from .fakecrm import FakeCRM

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def build_crm(path: Path) -> FakeCRM:
    crm = FakeCRM(page_size=3, batch=3)
    for n in range(12):
        title = ["VP Sales", "Engineer", "Student", "Director"][n % 4]
        crm.put_person(f"p{n:02d}", title=title, crm_values={"lifecyclestage": ["lead", "customer", ""][n % 3]},
                       counters={"page_views": str(n % 5), "last_visit_at": "2026-11-08T10:00:00Z"})
    for n in range(0, 12, 2):
        crm.put_activity(f"w{n}", f"p{n:02d}", "webinar_attended", NOW - timedelta(days=n), name="Launch")
    crm.put_activity("demo", "p01", "form_submission", NOW - timedelta(days=3), form="Request a demo")
    crm.__dict__["path"] = path                     # where save() writes it
    save(crm)
    return crm


def run(state: Path, db: Path, crash: str | None) -> int:
    env = dict(os.environ)
    env.pop("CRMSYNC_CRASH_AT", None)
    if crash:
        env["CRMSYNC_CRASH_AT"] = crash
    proc = subprocess.run([sys.executable, "-m", "tests.unit.sync.crash_worker", str(state), f"sqlite:///{db}",
                           NOW.isoformat()], cwd=ROOT, env=env, capture_output=True, timeout=60, check=False)
    return proc.returncode


def final_values(crm: FakeCRM) -> dict[str, dict[str, Any]]:
    return {pid: dict(p.crm_values) for pid, p in sorted(crm.persons.items())}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("clean")
    build_crm(folder / "crm.pickle")
    assert run(folder / "crm.pickle", folder / "db.sqlite", None) == 0
    return final_values(load(folder / "crm.pickle"))


@pytest.mark.parametrize("crash", [
    "page_pulled:1", "page_pulled:3", "page_stored:2", "page_stored:5", "scored:1", "planned:1",
    "pushed:1", "pushed:2", "recorded:1", "recorded:3",
])
def test_crash_then_rerun_equals_clean_run(tmp_path: Path, crash: str, clean: dict[str, dict[str, Any]]) -> None:
    state, db = tmp_path / "crm.pickle", tmp_path / "db.sqlite"
    build_crm(state)
    assert run(state, db, crash) == -9                                # SIGKILL
    assert run(state, db, None) == 0
    crm = load(state)
    assert final_values(crm) == clean
    final = final_values(crm)
    for pid in crm.persons:
        for write in crm.writes_to(pid):
            for name, value in write.items():
                shown = "" if value is None else str(value)
                assert shown == final[pid][name], f"{pid}.{name} was written {value!r}, ends {final[pid][name]!r}"
