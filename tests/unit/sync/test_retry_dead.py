"""Dead letters go back to the outbox with `crmsync retry` once their cause is fixed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from config import Tenant
from sync.cli.app import cli
from sync.cycle import run_cycle
from sync.outbox import Outbox
from sync.store import Store

from .fakecrm import FakeCRM

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_retry_requeues_dead_letters_by_code_and_the_next_cycle_pushes_them(tmp_path: Path, tenant: Tenant) -> None:
    url = f"sqlite:///{tmp_path}/crmsync.db"
    store = Store.open(url)
    crm = FakeCRM()
    crm.put_person("1", title="VP Sales")
    crm.put_person("2", title="Student")
    crm.refuse.update({"1": "PROPERTY_DOESNT_EXIST", "2": "INVALID_OPTION"})
    first = run_cycle(tenant, store, connector=crm, now=NOW)
    assert sorted(first.dead_letters) == [("1", "PROPERTY_DOESNT_EXIST"), ("2", "INVALID_OPTION")]
    crm.refuse.clear()                                    # the operator fixes the cause

    runner = CliRunner()
    none = runner.invoke(cli, ["retry", "--tenant", "acme", "--code", "NO_SUCH_CODE", "--db", url])
    assert none.exit_code == 0 and "no dead letters with code NO_SUCH_CODE; nothing to retry" in none.output
    done = runner.invoke(cli, ["retry", "--tenant", "acme", "--code", "PROPERTY_DOESNT_EXIST", "--db", url])
    assert done.exit_code == 0
    assert "1 dead letter with code PROPERTY_DOESNT_EXIST will be pushed again" in done.output

    crm.pushes.clear()
    second = run_cycle(tenant, store, connector=crm, now=NOW + timedelta(hours=1))
    assert second.writes["done"] == 1
    assert crm.persons["1"].crm_values["crmsync_fit_score"] == "30"
    assert crm.writes_to("2") == []                       # not requeued: still a dead letter
    assert [d["person_id"] for d in Outbox(store.for_tenant("acme")).dead_letters()] == ["2"]

    by_id = runner.invoke(cli, ["retry", "--tenant", "acme", "--id", "2", "--db", url])
    assert "1 dead letter of person 2 will be pushed again" in by_id.output
    run_cycle(tenant, store, connector=crm, now=NOW + timedelta(hours=2))
    assert crm.persons["2"].crm_values["crmsync_status"] == "disqualified"
    assert Outbox(store.for_tenant("acme")).dead_letters() == []
    store.close()
