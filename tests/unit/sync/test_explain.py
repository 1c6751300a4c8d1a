"""``crmsync explain``: a stored person's inputs, activities, stored and fresh breakdown; reads only."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import sync.cli.explain_cmd  # noqa: F401  (registers the command before the lead wires it in commands.py)
from config import Tenant, parse_tenant
from connectors.base import CompanyRecord, Page, PersonRecord
from sync import tables as t
from sync.cli.app import cli
from sync.cycle import run_cycle
from sync.store import Store

from .conftest import TENANT_YAML
from .fakecrm import FakeCRM

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
ENV = {"TOKEN": "pat-test"}
# The unit tenant plus a fit rule on a company field, so that the company fill shows.
YAML = TENANT_YAML.replace("  engagement:\n", "    - label: Software\n      when: {{industry: Software}}\n"
                                              "      points: 10\n  engagement:\n", 1)
REASON_1 = ("Thresholds met: fit 40 >= 20, engagement 34 >= 30. Fit 40: Senior title +30, Software +10. "
            "Engagement 34: Webinar +24.4, Page view +10.")


def tenant_yaml(name: str = "acme") -> str:
    return YAML.format(name=name, dry_run="false")


def make_tenant() -> Tenant:
    return parse_tenant(tenant_yaml(), env=ENV)


def crm_with_people() -> FakeCRM:
    crm = FakeCRM()
    crm.companies["c1"] = CompanyRecord("c1", NOW - timedelta(days=3), {"industry": "Software", "employees": 300})
    crm.put_person("1", title="VP Sales", email="Ada@Example.com", first_name="Ada", last_name="Lovelace",
                   company="Example", company_id="c1", crm_values={"lifecyclestage": "lead"})
    crm.put_person("2", title="Engineer", email="bob@example.com", crm_values={"lifecyclestage": "customer"})
    crm.put_person("L1", title="VP Sales", email=" ada@EXAMPLE.com ")
    crm.persons["L1"] = replace(crm.persons["L1"], object_type="lead", merged_into="1")
    crm.put_activity("a1", "1", "webinar_attended", NOW - timedelta(days=2), name="Launch")
    crm.put_activity("a2", "1", "page_view", NOW - timedelta(days=1), url="/pricing")
    return crm


@pytest.fixture
def synced(tmp_path: Path) -> tuple[Path, str]:
    return sync_once(tmp_path)


def sync_once(tmp_path: Path) -> tuple[Path, str]:
    """A config folder and a database after one cycle at NOW."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "acme.yaml").write_text(tenant_yaml())
    url = f"sqlite:///{tmp_path}/db.sqlite"
    store = Store.open(url)
    summary = run_cycle(make_tenant(), store, connector=crm_with_people(), now=NOW)
    assert summary.status == "ok", summary.error
    store.close()
    return tmp_path / "cfg", url


def run(folder: Path, url: str, *args: str) -> Result:
    return CliRunner(env=ENV).invoke(cli, ["explain", "--tenant", "acme", "--config", str(folder), "--db", url,
                                           *args])


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout[result.stdout.index("{"):])
    return data


def counts(url: str) -> dict[str, int]:
    store = Store.open(url)
    ts = store.for_tenant("acme")
    try:
        return {table.name: ts.count(table) for table in (t.persons, t.scores, t.activities, t.outbox, t.runs)}
    finally:
        store.close()


def test_explain_by_id_json_gives_identity_inputs_activities_and_both_evaluations(synced: tuple[Path, str]) -> None:
    folder, url = synced
    data = as_json(run(folder, url, "--id", "1", "--as-of", "2026-11-10", "--json"))
    assert data["query"] == {"id": "1"}
    assert data["as_of"] == "2026-11-10"
    [person] = data["persons"]
    assert person["id"] == "1"
    assert person["object_type"] == "contact"
    assert person["email"] == "Ada@Example.com"
    assert person["name"] == "Ada Lovelace"
    assert person["company"] == {"name": "Example", "id": "c1", "found": True}
    assert (person["deleted"], person["merged_into"], person["read_only"]) == (False, None, False)
    # the fields the fit and disqualify rules read, the industry filled from the company
    assert person["inputs"] == {"title": {"value": "VP Sales", "from": "person"},
                                "industry": {"value": "Software", "from": "company"}}
    assert person["activities_total"] == 2
    assert [(a["id"], a["type"], a["attributes"]) for a in person["activities"]] == [
        ("a2", "page_view", {"url": "/pricing"}), ("a1", "webinar_attended", {"name": "Launch"})]
    assert person["activities"][0]["at"] == "2026-11-09T09:00:00+00:00"
    fresh = person["fresh"]
    assert (fresh["fit"], fresh["engagement"], fresh["score"], fresh["grade"], fresh["status"]) == (
        40, 34, 74, "A", "mql")
    assert fresh["mql_at"] == "2026-11-10"
    assert fresh["mql_reason"] == REASON_1
    assert fresh["breakdown"] == [
        {"kind": "fit", "label": "Senior title", "count": 1, "points": 30},
        {"kind": "fit", "label": "Software", "count": 1, "points": 10},
        {"kind": "engagement", "label": "Page view", "count": 1, "points": 10},
        {"kind": "engagement", "label": "Webinar", "count": 1, "points": 24.43},
    ]
    assert fresh["model_version"] == data["model_version"]
    stored = person["stored"]
    assert stored["mql_reason"] == REASON_1
    assert stored["breakdown"] == fresh["breakdown"]
    assert (stored["model_version"], stored["as_of"]) == (data["model_version"], "2026-11-10")
    assert person["stale"] is False
    assert person["stale_reasons"] == []
    assert person["differences"] == {}


def test_explain_terminal_output_names_the_reason_and_up_to_date(synced: tuple[Path, str]) -> None:
    folder, url = synced
    result = run(folder, url, "--id", "1", "--as-of", "2026-11-10")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())        # rich wraps long lines
    assert "acme: person 1 (contact)" in text
    assert "Ada Lovelace" in text
    assert "Example (company c1)" in text
    assert "status mql since 2026-11-10; score 74 = fit 40 + engagement 34; grade A" in text
    assert REASON_1 in text
    assert "activities: 2 of 2, newest first" in text
    assert "the stored score is up to date" in text


def test_explain_says_why_the_stored_score_is_stale(synced: tuple[Path, str]) -> None:
    folder, url = synced
    later = as_json(run(folder, url, "--id", "1", "--as-of", "2026-11-20", "--json"))["persons"][0]
    assert later["stale"] is True
    assert later["stale_reasons"] == ["scored as of 2026-11-10; points decay by the day"]
    assert later["differences"]["engagement"] == [34, 27]
    assert later["fresh"]["status"] == "mql"                       # sticky
    # a changed model in the tenant file
    (folder / "acme.yaml").write_text(tenant_yaml().replace("points: 30", "points: 35", 1))
    changed = as_json(run(folder, url, "--id", "1", "--as-of", "2026-11-10", "--json"))
    person = changed["persons"][0]
    assert person["stale_reasons"] == [f"model changed: scored with model {person['stored']['model_version']}, "
                                       f"the tenant file now gives {changed['model_version']}"]
    assert person["differences"]["fit"] == [40, 45]
    text = " ".join(run(folder, url, "--id", "1", "--as-of", "2026-11-10").stdout.split())
    assert "the stored score is stale: model changed" in text
    assert "fit: 40 -> 45" in text


def test_explain_by_email_ignores_case_and_explains_every_holder(synced: tuple[Path, str]) -> None:
    folder, url = synced
    data = as_json(run(folder, url, "--email", "ADA@example.COM", "--as-of", "2026-11-10", "--json"))
    assert data["query"] == {"email": "ADA@example.COM"}
    assert [(p["id"], p["object_type"], p["merged_into"]) for p in data["persons"]] == [
        ("1", "contact", None), ("L1", "lead", "1")]            # the live person first
    lead = data["persons"][1]
    assert lead["stored"] is None                                # merged persons are never scored
    assert lead["stale_reasons"] == ["never scored: deleted and merged records are not scored"]
    text = " ".join(run(folder, url, "--email", "ada@example.com", "--as-of", "2026-11-10").stdout.split())
    assert "2 persons hold ada@example.com: 1 (contact), L1 (lead, merged into 1)" in text
    assert "acme: person L1 (lead, merged into 1)" in text
    bob = as_json(run(folder, url, "--email", "bob@example.com", "--json"))
    assert [p["id"] for p in bob["persons"]] == ["2"]


def test_explain_a_person_pulled_but_not_yet_scored(synced: tuple[Path, str]) -> None:
    folder, url = synced
    store = Store.open(url)
    store.for_tenant("acme").store_page(Page("persons", {}, persons=[PersonRecord(
        "9", "contact", NOW, {"title": "Student", "email": "sam@example.com"})]), NOW)
    store.close()
    person = as_json(run(folder, url, "--email", "sam@example.com", "--as-of", "2026-11-10", "--json"))["persons"][0]
    assert person["stored"] is None
    assert person["stale_reasons"] == ["never scored: the next cycle scores this person"]
    assert person["fresh"]["status"] == "disqualified"
    assert person["fresh"]["mql_reason"] == "Disqualified: Student."
    assert person["differences"]["status"] == [None, "disqualified"]
    assert person["activities_total"] == 0
    assert "no activities" in run(folder, url, "--id", "9").stdout


def test_explain_bounds_the_activities(synced: tuple[Path, str]) -> None:
    folder, url = synced
    person = as_json(run(folder, url, "--id", "1", "--activities", "1", "--json"))["persons"][0]
    assert person["activities_total"] == 2
    assert [a["id"] for a in person["activities"]] == ["a2"]
    assert "activities: 1 of 2, newest first" in run(folder, url, "--id", "1", "--activities", "1").stdout


@pytest.mark.parametrize(("args", "wanted"), [(["--id", "nobody"], "id 'nobody'"),
                                          (["--email", "x@nowhere.test", "--json"], "email 'x@nowhere.test'")])
def test_unknown_person_exits_1(synced: tuple[Path, str], args: list[str], wanted: str) -> None:
    folder, url = synced
    result = run(folder, url, *args)
    assert result.exit_code == 1
    assert f"no stored person with {wanted} in tenant acme" in result.stderr
    assert "{" not in result.stdout


@pytest.mark.parametrize("args", [[], ["--id", "1", "--email", "a@b.c"]])
def test_exactly_one_of_id_and_email(synced: tuple[Path, str], args: list[str]) -> None:
    folder, url = synced
    result = run(folder, url, *args)
    assert result.exit_code == 2
    assert "give exactly one of --id ID and --email E" in result.output


def test_explain_writes_nothing(synced: tuple[Path, str]) -> None:
    folder, url = synced
    before = counts(url)
    store = Store.open(url)
    score_before = store.for_tenant("acme").score("1")
    store.close()
    for args in (["--id", "1", "--as-of", "2026-12-01"], ["--email", "ada@example.com", "--json"]):
        assert run(folder, url, *args).exit_code == 0
    assert counts(url) == before
    store = Store.open(url)
    assert store.for_tenant("acme").score("1") == score_before
    store.close()


def test_find_persons_by_email(store: Store) -> None:
    """The store's look-up, on SQLite and PostgreSQL: case and blanks ignored, live first, tenants apart."""
    tenant = make_tenant()
    run_cycle(tenant, store, connector=crm_with_people(), now=NOW)
    other = crm_with_people()
    run_cycle(parse_tenant(tenant_yaml("other"), env=ENV), store, connector=other, now=NOW)
    ts = store.for_tenant("acme")
    found = ts.find_persons_by_email("  Ada@example.com")
    assert [(p["id"], score is not None) for p, score in found] == [("1", True), ("L1", False)]
    assert found[0][1] is not None and found[0][1]["status"] == "mql"
    assert ts.find_persons_by_email("nobody@example.com") == []
    assert [p["id"] for p, _ in store.for_tenant("nobody").find_persons_by_email("ada@example.com")] == []
