"""Runs one cycle against a file-backed FakeCRM in its own process (for the crash tests).

usage: python -m tests.unit.sync.crash_worker STATE.pickle DB_URL ISO_NOW
The CRM state is saved after every push, before the push returns (as a real CRM would have applied
it), so a SIGKILL right after a push leaves the CRM changed and the outbox not yet acknowledged.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from connectors.base import Update, WriteResult
from sync.cycle import run_cycle
from sync.store import Store

from .conftest import make_tenant
from .fakecrm import FakeCRM


class FileCRM(FakeCRM):
    path: Path = Path()

    def push(self, updates: Sequence[Update]) -> list[WriteResult]:
        results = super().push(updates)
        save(self)
        return results


def load(path: Path) -> FakeCRM:
    with path.open("rb") as fh:
        crm: FakeCRM = pickle.load(fh)  # noqa: S301  (our own test file)
    return crm


def save(crm: FakeCRM) -> None:
    plain = FakeCRM.__new__(FakeCRM)
    plain.__dict__.update({k: v for k, v in crm.__dict__.items() if k != "path"})
    path: Path = crm.__dict__["path"]
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(plain, fh)
    tmp.replace(path)


def main(argv: list[str]) -> int:
    state, db_url, now = Path(argv[0]), argv[1], datetime.fromisoformat(argv[2])
    crm = FileCRM.__new__(FileCRM)
    crm.__dict__.update(load(state).__dict__)
    crm.path = state
    store = Store.open(db_url)
    summary = run_cycle(make_tenant(), store, connector=crm, now=now)
    store.close()
    save(crm)
    return 0 if summary.status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
