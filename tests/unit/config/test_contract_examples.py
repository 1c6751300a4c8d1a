"""The tenant files of CONTRACT.md section 1 load, with every default as documented."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from config import load_tenants, parse_tenant
from config.conditions import AnyOf, FieldTest, Not, Op
from config.models import HubSpotCRM, SalesforceCRM

HUBSPOT = """\
tenant: acme                         # [a-z0-9][a-z0-9-]*, unique across the folder
crm:
  kind: hubspot
  base_url: https://api.hubapi.com   # default; http://127.0.0.1:PORT is allowed (sandbox, test doubles)
  access_token: ${ACME_HUBSPOT_TOKEN}   # or access_token_file: /run/secrets/acme
  rate_limit: {per_10s: 100, search_per_s: 4}   # stay under these; defaults = HubSpot Free/Starter

schedule: {every: 15m, jitter: 30s}            # durations: 30s, 15m, 2h, 1d

fields:                                        # optional: extra canonical fields, canonical name -> CRM field
  seniority: hs_seniority                      # (the standard ones in section 3 are mapped already)

scoring:
  decay: {half_life_days: 30, window_days: 180}
  fit:                                         # each rule counts once per person
    - label: Senior title
      when: {title: {matches: "(?i)\\\\b(vp|vice president|director|head of|chief)\\\\b"}}
      points: 15
    - label: Free-mail address
      when: {email: {domain_in: [gmail.com, yahoo.com, hotmail.com]}}
      points: -5
  engagement:                                  # each matching activity counts, decayed
    - label: Pricing page visit
      activity: page_view
      when: {url: {contains: /pricing}}
      points: 10
      max_count: 3                             # only the 3 most recent matching activities count
  disqualify:                                  # any match: never MQL, whatever the points
    - label: Student or intern
      when: {title: {matches: "(?i)\\\\b(student|intern)\\\\b"}}
  fast_track:                                  # any match within within_days: MQL unless disqualified
    - label: Demo request
      activity: form_submission
      when: {form: {matches: "(?i)demo"}}
      within_days: 30
  mql: {fit_min: 20, engagement_min: 30}       # also allowed: total_min
  engaged: {engagement_min: 15}                # optional two-step status below MQL
  grades: {A: 40, B: 25, C: 10}                # fit score -> letter; below the lowest -> D

write_back:
  fields:                                      # our output -> CRM field; leave one out to not write it
    fit: crmsync_fit_score
    engagement: crmsync_engagement_score
    score: crmsync_score
    grade: crmsync_grade
    status: crmsync_status
    mql_reason: crmsync_mql_reason
    mql_at: crmsync_mql_date
  lifecycle:
    field: lifecyclestage                      # Salesforce: per object, e.g. {Lead: Status, Contact: Lifecycle_Stage__c}
    mql_value: marketingqualifiedlead
    protected: [salesqualifiedlead, opportunity, customer, evangelist, other]
  reason_max_length: 1000                      # default 255 on Salesforce, 1000 on HubSpot
  dry_run: false
"""

SALESFORCE_CRM = """\
crm:
  kind: salesforce
  login_url: https://acme.my.salesforce.com    # where /services/oauth2/token lives; http://127.0.0.1:PORT allowed
  client_id: ${ACME_SF_CLIENT_ID}              # OAuth client-credentials flow
  client_secret: ${ACME_SF_CLIENT_SECRET}
  # or: instance_url + access_token (a ready session), or JWT bearer (client_id, username, private_key_file)
  api_version: "59.0"
  people: [Lead, Contact]                      # which objects are scored
  daily_api_share: 0.2                         # at most this share of the org's daily API limit per day
"""

ENV = {"ACME_HUBSPOT_TOKEN": "pat-na1-11111111-2222-3333-4444-555555555555",
       "ACME_SF_CLIENT_ID": "3MVG9-client-id", "ACME_SF_CLIENT_SECRET": "sf-secret-value-123"}


def salesforce_text() -> str:
    start = HUBSPOT.index("crm:")
    end = HUBSPOT.index("\nschedule:")
    text = HUBSPOT[:start] + SALESFORCE_CRM + HUBSPOT[end:]
    return text.replace("    field: lifecyclestage                      # Salesforce: per object, e.g. "
                        "{Lead: Status, Contact: Lifecycle_Stage__c}",
                        "    field: {Lead: Status, Contact: Lifecycle_Stage__c}")


def test_hubspot_contract_example_loads() -> None:
    tenant = parse_tenant(HUBSPOT, "acme.yaml", ENV)
    assert tenant.tenant == "acme"
    assert isinstance(tenant.crm, HubSpotCRM)
    assert tenant.crm.access_token is not None
    assert tenant.crm.access_token.get_secret_value() == ENV["ACME_HUBSPOT_TOKEN"]
    assert (tenant.crm.rate_limit.per_10s, tenant.crm.rate_limit.search_per_s) == (100, 4)
    assert tenant.schedule.every == timedelta(minutes=15)
    assert tenant.schedule.jitter == timedelta(seconds=30)
    assert tenant.fields == {"seniority": "hs_seniority"}
    assert "seniority" in tenant.person_fields()
    scoring = tenant.scoring
    assert scoring.decay is not None and scoring.decay.half_life_days == 30 and scoring.decay.window_days == 180
    assert [r.label for r in scoring.fit] == ["Senior title", "Free-mail address"]
    assert scoring.fit[1].points == -5
    assert scoring.fit[1].when is not None
    assert scoring.fit[1].when.clauses == (
        FieldTest("email", (Op("domain_in", ("gmail.com", "yahoo.com", "hotmail.com")),)),)
    assert scoring.engagement[0].max_count == 3
    assert scoring.fast_track[0].within_days == 30
    assert scoring.mql is not None and (scoring.mql.fit_min, scoring.mql.engagement_min) == (20, 30)
    assert scoring.mql.total_min is None
    assert scoring.grades == {"A": 40, "B": 25, "C": 10}
    assert tenant.write_back.fields.mapping()["mql_at"] == "crmsync_mql_date"
    assert tenant.write_back.lifecycle is not None
    assert tenant.write_back.lifecycle.field_for("contact") == "lifecyclestage"
    assert tenant.reason_max_length == 1000
    assert tenant.write_back.dry_run is False


def test_salesforce_contract_example_loads() -> None:
    tenant = parse_tenant(salesforce_text(), "acme-sf.yaml", ENV)
    assert isinstance(tenant.crm, SalesforceCRM)
    assert tenant.crm.auth_flow == "client_credentials"
    assert tenant.crm.people == ("Lead", "Contact")
    assert tenant.crm.daily_api_share == 0.2
    assert tenant.crm.api_version == "59.0"
    assert tenant.write_back.lifecycle is not None
    assert tenant.write_back.lifecycle.field_for("Lead") == "Status"
    assert tenant.write_back.lifecycle.field_for("Contact") == "Lifecycle_Stage__c"
    assert tenant.reason_max_length == 1000   # given explicitly in the example


def test_defaults_of_a_minimal_hubspot_file() -> None:
    text = """\
tenant: tiny
crm: {kind: hubspot, access_token: "${T}"}
scoring:
  fit: [{label: Any person, points: 1}]
  mql: {fit_min: 1}
"""
    tenant = parse_tenant(text, "tiny.yaml", {"T": "pat-na1-x"})
    assert isinstance(tenant.crm, HubSpotCRM)
    assert tenant.crm.base_url == "https://api.hubapi.com"
    assert (tenant.crm.rate_limit.per_10s, tenant.crm.rate_limit.search_per_s) == (100, 4)
    assert tenant.schedule.every == timedelta(minutes=15) and tenant.schedule.jitter == timedelta(seconds=30)
    assert tenant.fields == {}
    assert tenant.write_back.fields.mapping() == {
        "fit": "crmsync_fit_score", "engagement": "crmsync_engagement_score", "score": "crmsync_score",
        "grade": "crmsync_grade", "status": "crmsync_status", "mql_reason": "crmsync_mql_reason",
        "mql_at": "crmsync_mql_date"}
    assert tenant.write_back.lifecycle is not None
    assert tenant.write_back.lifecycle.mql_value == "marketingqualifiedlead"
    assert tenant.write_back.lifecycle.protected == (
        "salesqualifiedlead", "opportunity", "customer", "evangelist", "other")
    assert tenant.reason_max_length == 1000
    assert tenant.scoring.caps.fit == (0, 100) and tenant.scoring.caps.engagement == (0, 100)
    assert tenant.scoring.decay is None and tenant.scoring.grades is None


def test_salesforce_reason_length_defaults_to_255() -> None:
    text = salesforce_text().replace("  reason_max_length: 1000                      "
                                     "# default 255 on Salesforce, 1000 on HubSpot\n", "")
    assert parse_tenant(text, "sf.yaml", ENV).reason_max_length == 255


def test_condition_forms() -> None:
    text = """\
tenant: forms
crm: {kind: hubspot, access_token: "${T}"}
scoring:
  fit:
    - label: US or Canada
      when: {country: [US, CA]}
      points: 5
    - label: Exactly Germany
      when: {country: DE}
      points: 5
    - label: Not a manager, or big
      when:
        any:
          - {not: {title: {matches: "(?i)manager"}}}
          - {employees: {gte: 1000}}
      points: 3
  mql: {fit_min: 5}
"""
    fit = parse_tenant(text, "forms.yaml", {"T": "x"}).scoring.fit
    assert fit[0].when is not None and fit[0].when.clauses == (FieldTest("country", (Op("in", ("US", "CA")),)),)
    assert fit[1].when is not None and fit[1].when.clauses == (FieldTest("country", (Op("eq", "DE"),)),)
    clause = fit[2].when.clauses[0] if fit[2].when else None
    assert isinstance(clause, AnyOf)
    assert isinstance(clause.options[0].clauses[0], Not)
    assert clause.options[1].clauses == (FieldTest("employees", (Op("gte", 1000),)),)


def test_variable_default_and_dollar_escape() -> None:
    text = """\
tenant: defaults
crm: {kind: hubspot, access_token: "${MISSING:-pat-na1-default}", base_url: "${URL:-http://127.0.0.1:9}"}
scoring:
  fit: [{label: "Costs $$5", points: 1}]
  mql: {fit_min: 1}
"""
    tenant = parse_tenant(text, "d.yaml", {})
    assert isinstance(tenant.crm, HubSpotCRM)
    assert tenant.crm.base_url == "http://127.0.0.1:9"
    assert tenant.scoring.fit[0].label == "Costs $5"


def test_secret_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("pat-na1-from-file\n")
    (tmp_path / "t.yaml").write_text(
        "tenant: filed\ncrm: {kind: hubspot, access_token_file: token}\n"
        "scoring: {fit: [{label: a, points: 1}], mql: {fit_min: 1}}\n")
    [tenant] = load_tenants(tmp_path, env={})
    assert isinstance(tenant.crm, HubSpotCRM) and tenant.crm.access_token is not None
    assert tenant.crm.access_token.get_secret_value() == "pat-na1-from-file"


def test_model_fingerprint_is_stable_and_sensitive() -> None:
    a = parse_tenant(HUBSPOT, "a.yaml", ENV).scoring.fingerprint()
    b = parse_tenant(HUBSPOT.replace("# each rule counts once per person", ""), "b.yaml", ENV).scoring.fingerprint()
    c = parse_tenant(HUBSPOT.replace("points: 15", "points: 16"), "c.yaml", ENV).scoring.fingerprint()
    assert a == b
    assert a != c


@pytest.mark.parametrize("name", ["northwind.yaml", "globex.yaml"])
def test_bundled_examples_are_valid(name: str) -> None:
    folder = Path(__file__).resolve().parents[3] / "config" / "examples"
    tenants = {t.tenant: t for t in load_tenants(folder, env={})}
    assert name.removesuffix(".yaml") in tenants
