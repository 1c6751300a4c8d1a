"""``crmsync preview``: a candidate model's status changes, examples, writes and push calls; reads only."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import sync.cli.preview_cmd  # noqa: F401  (registers the command before the lead wires it in commands.py)
from config import load_tenant_file, parse_tenant
from connectors.registry import create_connector
from sandbox import Sandbox
from sync import tables as t
from sync.cli.app import cli
from sync.cli.preview_cmd import Writes, preview, push_batch
from sync.cycle import run_cycle
from sync.store import Store
from tests.e2e.conftest import HS_TOKEN, HUBSPOT_TENANT, SALESFORCE_TENANT, SF_ID, SF_SECRET

from .test_explain import ENV, NOW, YAML, counts, crm_with_people, make_tenant, sync_once, tenant_yaml

DAY = "2026-11-10"
# Only stickiness keeps person 1 MQL: its engagement (34) is below the new minimum.
STRICTER = """\
scoring:
  fit:
    - label: Senior title
      when: {title: {matches: "(?i)\\\\b(vp|director|chief)\\\\b"}}
      points: 30
    - label: Software
      when: {industry: Software}
      points: 10
  engagement:
    - label: Page view
      activity: page_view
      points: 10
    - label: Webinar
      activity: webinar_attended
      points: 25
  disqualify:
    - label: Student
      when: {title: {matches: "(?i)student"}}
  decay: {half_life_days: 30, window_days: 180}
  mql: {fit_min: 20, engagement_min: 40}
  grades: {A: 40, B: 25, C: 10}
  fast_track:
    - label: Demo request
      activity: form_submission
      when: {form: {matches: "(?i)demo"}}
      within_days: 30
"""
# Engineers fit, and fit alone makes an MQL: person 2 (a customer) becomes MQL.
ENGINEERS = STRICTER.replace("    - label: Software\n", "    - label: Engineer\n      when: {title: Engineer}\n"
                                                      "      points: 25\n    - label: Software\n").replace(
    "mql: {fit_min: 20, engagement_min: 40}", "mql: {fit_min: 20}")


@pytest.fixture
def synced(tmp_path: Path) -> tuple[Path, str]:
    return sync_once(tmp_path)


def run(folder: Path, url: str, candidate: Path, *args: str) -> Result:
    return CliRunner(env=ENV).invoke(cli, ["preview", "--tenant", "acme", "--config", str(folder), "--db", url,
                                           "--scoring", str(candidate), *args])


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout[result.stdout.index("{"):])
    return data


def write(folder: Path, name: str, text: str) -> Path:
    path = folder.parent / name
    path.write_text(text)
    return path


def test_preview_counts_kept_mqls_and_the_writes_they_cause(synced: tuple[Path, str]) -> None:
    folder, url = synced
    data = as_json(run(folder, url, write(folder, "new.yaml", STRICTER), "--as-of", DAY, "--json"))
    assert data["people"] == 2                                       # the merged lead is not live
    assert data["transitions"] == {"lead->lead": 1, "mql->mql (kept)": 1}
    assert data["status_changes"] == 1
    assert data["same_model"] is False
    [example] = data["examples"]["mql->mql (kept)"]
    assert example["id"] == "1"
    assert example["old"]["mql_reason"].startswith("Thresholds met: fit 40 >= 20, engagement 34 >= 30.")
    assert example["new"]["mql_reason"] == ("Kept as MQL since 2026-11-10 (thresholds no longer met). "
                                            "Fit 40: Senior title +30, Software +10. "
                                            "Engagement 34: Webinar +24.4, Page view +10.")
    assert data["changed_fields"] == {"fit": 0, "engagement": 0, "score": 0, "grade": 0, "status": 0,
                                      "mql_at": 0, "mql_reason": 1}
    # the cycle just wrote the current values: only the new reason would be written
    assert data["writes"]["candidate"] == {"records": 1, "by_object": {"contact": 1},
                                           "fields": {"crmsync_mql_reason": 1},
                                           "api_calls": {"hubspot.contacts.batch_update": 1}}
    assert data["writes"]["current"] == {"records": 0, "by_object": {}, "fields": {}, "api_calls": {}}
    assert data["push"] == {"endpoint": "hubspot.contacts.batch_update", "max_batch": 100}
    assert data["dry_run"] is False


def test_preview_new_mql_writes_status_but_not_a_protected_lifecycle(synced: tuple[Path, str]) -> None:
    folder, url = synced
    data = as_json(run(folder, url, write(folder, "new.yaml", ENGINEERS), "--as-of", DAY, "--json"))
    assert data["transitions"] == {"lead->mql": 1, "mql->mql": 1}
    [example] = data["examples"]["lead->mql"]
    assert (example["id"], example["old"]["status"], example["new"]["status"]) == ("2", "lead", "mql")
    assert example["new"]["mql_reason"] == "Thresholds met: fit 25 >= 20. Fit 25: Engineer +25."
    fields = data["writes"]["candidate"]["fields"]
    assert fields == {"crmsync_fit_score": 1, "crmsync_grade": 1, "crmsync_mql_date": 1, "crmsync_mql_reason": 2,
                      "crmsync_score": 1, "crmsync_status": 1}      # person 2 is a customer: protected
    assert data["writes"]["candidate"]["records"] == 2


def test_preview_terminal_output(synced: tuple[Path, str]) -> None:
    folder, url = synced
    result = run(folder, url, write(folder, "new.yaml", ENGINEERS), "--as-of", DAY)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "2 persons (nothing was written)" in text
    assert "│ lead->mql │ 1 │" in text
    assert "unchanged: mql->mql 1" in text
    assert "examples: lead->mql" in text
    assert "Fit 25: Engineer +25." in text
    assert "│ crmsync_status │ 1 │ 0 │" in text
    assert "│ records │ 2 │ 0 │" in text
    assert "│ API calls │ 1 │ 0 │" in text
    assert "push: hubspot.contacts.batch_update, 100 records a call" in text


def test_the_three_forms_of_candidate_agree(synced: tuple[Path, str]) -> None:
    folder, url = synced
    bare = "".join(line[2:] + "\n" for line in STRICTER.splitlines()[1:])
    whole = tenant_yaml().replace("mql: {fit_min: 20, engagement_min: 30}", "mql: {fit_min: 20, engagement_min: 40}")
    reports = [as_json(run(folder, url, write(folder, name, text), "--as-of", DAY, "--json"))
               for name, text in (("block.yaml", STRICTER), ("bare.yaml", bare), ("tenant.yaml", whole))]
    for report in reports:
        report.pop("scoring_file")
    assert reports[0] == reports[1] == reports[2]
    same = as_json(run(folder, url, folder / "acme.yaml", "--as-of", DAY, "--json"))
    assert same["same_model"] is True
    assert same["transitions"] == {"lead->lead": 1, "mql->mql": 1}
    assert same["writes"]["candidate"]["records"] == 0


@pytest.mark.parametrize(("text", "first"), [
    (STRICTER.replace("points: 25", "points: lots"),
     "new.yaml:15: scoring.engagement[1].points: expected a number, got 'lots'"),
    ("".join(line[2:] + "\n" for line in STRICTER.replace("{industry: Software}", "{industri: Software}")
             .splitlines()[1:]),
     "new.yaml:6: fit[1].when.industri: unknown field `industri`"),
    ("scoring:\n  fit: [\n", "new.yaml:3: invalid YAML"),
    ("- just\n- a list\n", "new.yaml:1: expected a tenant file, a file with a `scoring:` block, or the scoring "
                           "mapping itself"),
])
def test_invalid_candidate_exits_2_like_validate(synced: tuple[Path, str], text: str, first: str) -> None:
    folder, url = synced
    result = run(folder, url, write(folder, "new.yaml", text))
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(str(folder.parent / first)), lines
    assert lines[-1] == f"1 problem in {folder.parent / 'new.yaml'}; nothing was previewed."
    assert "{" not in result.stdout


def test_preview_writes_nothing(synced: tuple[Path, str]) -> None:
    folder, url = synced
    before = counts(url)
    store = Store.open(url)
    with store.engine.connect() as conn:
        outbox = conn.execute(t.outbox.select().order_by(t.outbox.c.seq)).all()
        scores = conn.execute(t.scores.select().order_by(t.scores.c.person_id)).all()
    store.close()
    assert run(folder, url, write(folder, "new.yaml", ENGINEERS), "--json").exit_code == 0
    assert run(folder, url, write(folder, "new.yaml", STRICTER), "--as-of", "2027-01-01").exit_code == 0
    assert counts(url) == before
    store = Store.open(url)
    with store.engine.connect() as conn:
        assert conn.execute(t.outbox.select().order_by(t.outbox.c.seq)).all() == outbox
        assert conn.execute(t.scores.select().order_by(t.scores.c.person_id)).all() == scores
    store.close()


def test_preview_of_an_unsynced_tenant_says_so(synced: tuple[Path, str], tmp_path: Path) -> None:
    folder, _ = synced
    result = run(folder, f"sqlite:///{tmp_path}/empty.db", write(folder, "new.yaml", STRICTER))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "0 persons (nothing was written)" in text
    assert "no stored persons: run `crmsync sync --tenant acme` first" in text


def test_dry_run_tenant_makes_no_calls(synced: tuple[Path, str]) -> None:
    folder, url = synced
    (folder / "acme.yaml").write_text(YAML.format(name="acme", dry_run="true"))
    data = as_json(run(folder, url, write(folder, "new.yaml", ENGINEERS), "--as-of", DAY, "--json"))
    assert data["dry_run"] is True
    assert data["writes"]["candidate"]["records"] == 2
    assert data["writes"]["candidate"]["api_calls"] == {}
    text = " ".join(run(folder, url, folder.parent / "new.yaml", "--as-of", DAY).stdout.split())
    assert "write_back.dry_run is on: the cycle plans these writes but makes none" in text


def test_calls_are_batches_of_the_connectors_maximum() -> None:
    writes = Writes()
    for n in range(201):
        writes.add("Lead" if n % 2 else "Contact", {"Fit_Score__c": 1})
    writes.add("Lead", {})                                          # no change: no record
    data = writes.to_dict("salesforce.composite.update", 200, dry_run=False)
    assert data == {"records": 201, "by_object": {"Contact": 101, "Lead": 100}, "fields": {"Fit_Score__c": 201},
                    "api_calls": {"salesforce.composite.update": 2}}
    assert writes.to_dict("hubspot.contacts.batch_update", 100, dry_run=False)["api_calls"] == {
        "hubspot.contacts.batch_update": 3}
    assert push_batch(load_tenant_file("config/examples/globex.yaml")) == ("salesforce.composite.update", 200)
    assert push_batch(make_tenant()) == ("hubspot.contacts.batch_update", 100)


def test_live_persons_pages_and_unechoed_writes(store: Store) -> None:
    """The store's reads, on SQLite and PostgreSQL: keyset pages, and our writes the last pull cannot show."""
    tenant = make_tenant()
    crm = crm_with_people()
    crm.put_person("3", title="Student")
    crm.clock = NOW + timedelta(minutes=5)              # the CRM stamps our writes after the cycle started
    run_cycle(tenant, store, connector=crm, now=NOW)
    ts = store.for_tenant("acme")
    first = ts.live_persons(limit=2)
    assert [(p["id"], s is not None) for p, s in first] == [("1", True), ("2", True)]
    assert [p["id"] for p, _ in ts.live_persons(after="2", limit=2)] == ["3"]
    assert ts.live_persons(after="3", limit=2) == []
    modified = {p["id"]: p["modified_at"] for p, _ in ts.live_persons()}
    unechoed = ts.unechoed_writes(modified)
    assert unechoed["1"]["crmsync_status"] == "mql"
    assert unechoed["1"]["lifecyclestage"] == "marketingqualifiedlead"
    assert unechoed["3"]["crmsync_status"] == "disqualified"
    run_cycle(tenant, store, connector=crm, now=NOW + timedelta(minutes=15))   # pulls the echo
    modified = {p["id"]: p["modified_at"] for p, _ in ts.live_persons()}
    assert ts.unechoed_writes(modified) == {}
    # the preview pages give the same report as one big page
    candidate = parse_tenant(ENGINEERS + "tenant: x\ncrm: {kind: hubspot, access_token: t}\n").scoring
    whole = preview(tenant, candidate, ts, as_of=date(2026, 11, 10))
    assert preview(tenant, candidate, ts, as_of=date(2026, 11, 10), page=1) == whole
    assert whole["people"] == 3


EVERYONE = "  fit:\n    - label: Everyone\n      points: 1\n"     # a new fit rule: every fit moves by 1


@pytest.mark.parametrize("kind", ["salesforce", "hubspot"])
def test_preview_predicts_what_applying_the_model_writes(tmp_path: Path, kind: str) -> None:
    """Against the sandbox (the real connectors; Salesforce Leads and Contacts, HubSpot contacts): the
    preview's writes and push calls are exactly those of the cycle that applies the candidate."""
    with Sandbox() as sb:
        if kind == "salesforce":
            account = sb.add_salesforce_org(client_id=SF_ID, client_secret=SF_SECRET, leads=120, contacts=80, seed=4)
            env = {"E2E_SF_ID": SF_ID, "E2E_SF_SECRET": SF_SECRET}
            text, endpoint, path = SALESFORCE_TENANT, "salesforce.composite.update", "/composite/sobjects"
        else:
            account = sb.add_hubspot_portal(token=HS_TOKEN, contacts=150, seed=5)
            env = {"E2E_HS_TOKEN": HS_TOKEN}
            text, endpoint, path = HUBSPOT_TENANT, "hubspot.contacts.batch_update", "/batch/update"
        tenant = parse_tenant(text.format(url=sb.url), env=env)
        candidate = parse_tenant(text.replace("  fit:\n", EVERYONE, 1).format(url=sb.url), env=env)
        if kind == "hubspot":
            connector = create_connector(tenant)
            connector.provision()
            connector.close()
        store = Store.open(f"sqlite:///{tmp_path}/crm.db")
        try:
            now = datetime.now(UTC)
            first = run_cycle(tenant, store, now=now)
            assert first.status == "ok", first.error
            ts = store.for_tenant(tenant.tenant)
            as_of = (now + timedelta(minutes=15)).date()
            before = counts_of(store, tenant.tenant)
            sb.clear_requests()
            report = preview(tenant, candidate.scoring, ts, as_of=as_of, page=50)
            assert sb.requests(account) == []                   # no CRM call
            assert counts_of(store, tenant.tenant) == before     # nothing written
            assert report["people"] == len(ts.live_persons()) > 100
            if as_of == now.date():
                assert report["writes"]["current"]["records"] == 0   # the first cycle wrote everything
            predicted = report["writes"]["candidate"]
            assert predicted["fields"]["Fit_Score__c" if kind == "salesforce" else "crmsync_fit_score"] > 100
            time.sleep(0.3)
            sb.clear_requests()
            applied = run_cycle(candidate, store, now=now + timedelta(minutes=15))
            assert applied.status == "ok", applied.error
            assert applied.writes["done"] == predicted["records"]
            assert applied.api_calls[endpoint] == predicted["api_calls"][endpoint]
            pushes = [e for e in sb.requests(account) if e.path.endswith(path) or (path in e.path and
                                                                                  e.method == "PATCH")]
            assert len(pushes) == predicted["api_calls"][endpoint]
            assert sum(e.batch_size or 0 for e in pushes) == predicted["records"]
            if kind == "salesforce":
                assert set(predicted["by_object"]) == {"Lead", "Contact"}
            else:
                assert predicted["api_calls"][endpoint] == 2                    # 150 contacts, 100 a call
        finally:
            store.close()


def counts_of(store: Store, tenant: str) -> dict[str, int]:
    ts = store.for_tenant(tenant)
    return {table.name: ts.count(table) for table in (t.persons, t.scores, t.activities, t.outbox, t.runs)}
