"""Invalid tenant files: every error names the exact file, line, key path and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import collect_tenants
from config.errors import ConfigIssue

BASE = """\
tenant: acme
crm:
  kind: hubspot
  access_token: ${TOKEN}
  rate_limit: {per_10s: 100, search_per_s: 4}
schedule: {every: 15m, jitter: 30s}
scoring:
  decay: {half_life_days: 30, window_days: 180}
  fit:
    - label: Senior title
      when: {title: {matches: "(?i)director"}}
      points: 15
  engagement:
    - label: Pricing page visit
      activity: page_view
      when: {url: {contains: /pricing}}
      points: 10
  disqualify:
    - label: Student
      when: {title: {matches: "(?i)student"}}
  mql: {fit_min: 20, engagement_min: 30}
"""

SF_BASE = """\
tenant: globex
crm:
  kind: salesforce
  login_url: https://globex.my.salesforce.com
  client_id: ${CID}
  client_secret: ${CSECRET}
scoring:
  fit: [{label: Any, points: 1}]
  mql: {fit_min: 1}
write_back:
  fields: {fit: Fit_Score__c}
"""

ENV = {"TOKEN": "pat-na1-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "CID": "client-id-1", "CSECRET": "s3cr3t-value"}


def replace(old: str, new: str, base: str = BASE) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


# (case id, file text, expected line, expected key, expected message)
CASES: list[tuple[str, str, int, str, str]] = [
    ("unknown top-level key", BASE + "scheduler: {every: 1h}\n", 22, "scheduler",
     "unknown key `scheduler`; allowed: tenant, crm, schedule, fields, scoring, write_back"),
    ("unknown crm key", replace("  access_token: ${TOKEN}\n", "  access_token: ${TOKEN}\n  acces_token: x\n"),
     5, "crm.acces_token",
     "unknown key `acces_token`; allowed: kind, base_url, access_token, access_token_file, rate_limit, events"),
    ("unknown rate_limit key", replace("search_per_s: 4", "search_per_second: 4"), 5,
     "crm.rate_limit.search_per_second",
     "unknown key `search_per_second`; allowed: per_10s, search_per_s"),
    ("wrong type for rate limit", replace("per_10s: 100", "per_10s: lots"), 5, "crm.rate_limit.per_10s",
     "expected a whole number, got 'lots'"),
    ("rate limit out of range", replace("per_10s: 100", "per_10s: 0"), 5, "crm.rate_limit.per_10s",
     "Input should be greater than or equal to 1, got 0"),
    ("unknown crm kind", replace("kind: hubspot", "kind: pipedrive"), 2, "crm",
     "unknown crm kind 'pipedrive'; allowed: hubspot, salesforce"),
    ("missing crm kind", replace("  kind: hubspot\n", ""), 2, "crm",
     "missing `kind`; allowed: hubspot, salesforce"),
    ("missing tenant", replace("tenant: acme\n", ""), 1, "tenant", "required key `tenant` is missing"),
    ("missing scoring", BASE[: BASE.index("scoring:")], 1, "scoring", "required key `scoring` is missing"),
    ("bad tenant name", replace("tenant: acme", "tenant: Acme_Corp"), 1, "tenant",
     "invalid tenant name 'Acme_Corp': use lower-case letters, digits and '-', starting with a letter or digit"),
    ("bad duration", replace("every: 15m", "every: 15 minutes"), 6, "schedule.every",
     "invalid duration '15 minutes'; use a number with s, m, h or d, e.g. 30s, 15m, 2h, 1d"),
    ("jitter longer than interval", replace("jitter: 30s", "jitter: 1h"), 6, "schedule",
     "`jitter` must be shorter than `every`"),
    ("missing environment variable", replace("${TOKEN}", "${ACME_TOKEN}"), 4, "crm.access_token",
     "environment variable ACME_TOKEN is not set (referenced as ${ACME_TOKEN})"),
    ("no hubspot token", replace("  access_token: ${TOKEN}\n", ""), 2, "crm",
     "missing credentials: give access_token (as ${VAR}) or access_token_file"),
    ("token and token file", replace("  access_token: ${TOKEN}\n",
                                     "  access_token: ${TOKEN}\n  access_token_file: /run/secrets/t\n"),
     5, "crm.access_token_file", "give either access_token or access_token_file, not both"),
    ("unreadable secret file", replace("  access_token: ${TOKEN}\n", "  access_token_file: /nonexistent/tok\n"),
     4, "crm.access_token_file", "cannot read the secret file /nonexistent/tok: No such file or directory"),
    ("plain http to a remote host", replace("  kind: hubspot\n", "  kind: hubspot\n  base_url: http://api.example.com\n"),
     4, "crm.base_url",
     "plain http is allowed only for 127.0.0.1 or localhost (the sandbox); use https"),
    ("bad regex", replace('matches: "(?i)director"', 'matches: "(?i)(director"'), 11,
     "scoring.fit[0].when.title.matches",
     "invalid regular expression '(?i)(director': missing ), unterminated subpattern at position 4"),
    ("unknown operator", replace("contains: /pricing", "startswith: /pricing"), 16,
     "scoring.engagement[0].when.url.startswith",
     "unknown operator `startswith`; allowed: eq, in, contains, matches, gte, lte, between, exists, domain_in"),
    ("unknown person field", replace("when: {title: {matches: \"(?i)director\"}}", "when: {titel: director}"), 11,
     "scoring.fit[0].when.titel",
     "unknown field `titel`; allowed: email, first_name, last_name, title, company, industry, employees, "
     "annual_revenue, country, lead_source, lifecycle_stage, lead_status, owner_id (or add one under `fields:`)"),
    ("unknown activity attribute", replace("when: {url: {contains: /pricing}}", "when: {form: demo}"), 16,
     "scoring.engagement[0].when.form", "unknown field `form`; allowed: url, title (attributes of page_view)"),
    ("unknown activity type", replace("activity: page_view", "activity: pageview"), 15,
     "scoring.engagement[0].activity",
     "invalid value, got 'pageview'; allowed: 'page_view', 'form_submission', 'email_open', 'email_click', "
     "'email_reply', 'meeting', 'call', 'webinar_registered', 'webinar_attended', 'event_attended', "
     "'content_download' or 'campaign_response'"),
    ("empty condition", replace("when: {title: {matches: \"(?i)director\"}}", "when: {}"), 11,
     "scoring.fit[0].when", "empty condition: leave the key out to match everything, or give at least one field"),
    ("between reversed", replace("when: {title: {matches: \"(?i)director\"}}", "when: {employees: {between: [500, 50]}}"),
     11, "scoring.fit[0].when.employees.between", "`between` needs low <= high, got [500, 50]"),
    ("gte not a number", replace("when: {title: {matches: \"(?i)director\"}}", "when: {employees: {gte: many}}"),
     11, "scoring.fit[0].when.employees.gte", "`gte` takes a number"),
    ("bad domain", replace("when: {title: {matches: \"(?i)director\"}}", "when: {email: {domain_in: [gmail]}}"),
     11, "scoring.fit[0].when.email.domain_in",
     "`domain_in` needs domain names like gmail.com; not a domain: 'gmail'"),
    ("points not a number", replace("points: 15", "points: fifteen"), 12, "scoring.fit[0].points",
     "expected a number, got 'fifteen'"),
    ("rule without points", replace("      points: 15\n", ""), 10, "scoring.fit[0].points",
     "required key `points` is missing"),
    ("unknown rule key", replace("      points: 15\n", "      points: 15\n      weight: 2\n"), 13,
     "scoring.fit[0].weight", "unknown key `weight`; allowed: label, when, points"),
    ("max_count zero", replace("      points: 10\n", "      points: 10\n      max_count: 0\n"), 18,
     "scoring.engagement[0].max_count", "Input should be greater than or equal to 1, got 0"),
    ("empty rules", replace(BASE[BASE.index("  fit:"): BASE.index("  disqualify:")], "  fit: []\n"), 7, "scoring",
     "no rules: give at least one fit, engagement or fast_track rule"),
    ("empty mql block", replace("mql: {fit_min: 20, engagement_min: 30}", "mql: {}"), 21, "scoring.mql",
     "give at least one threshold: fit_min, engagement_min, total_min"),
    ("unknown threshold", replace("mql: {fit_min: 20, engagement_min: 30}", "mql: {score_min: 50}"), 21,
     "scoring.mql.score_min", "unknown key `score_min`; allowed: fit_min, engagement_min, total_min"),
    ("duplicate labels", replace("  engagement:\n", "    - label: Senior title\n      points: 1\n  engagement:\n"),
     7, "scoring",
     "two fit rules share the label 'Senior title'; labels name rules in MQL reasons, so each must be unique"),
    ("grades out of order", BASE + "  grades: {A: 10, B: 25}\n", 22, "scoring.grades",
     "grade A needs a higher threshold than B (10.0 <= 25.0)"),
    ("unknown grade letter", BASE + "  grades: {A: 40, E: 5}\n", 22, "scoring.grades.E",
     "invalid value, got 'E'; allowed: 'A', 'B', 'C' or 'D'"),
    ("decay without values", replace("decay: {half_life_days: 30, window_days: 180}", "decay: {}"), 8,
     "scoring.decay", "give half_life_days, window_days or both (leave `decay` out for no decay)"),
    ("disqualify without when", replace('      when: {title: {matches: "(?i)student"}}\n', ""), 19,
     "scoring.disqualify[0].when", "required key `when` is missing"),
    ("nothing makes an MQL", replace("  mql: {fit_min: 20, engagement_min: 30}\n", ""), 7, "scoring",
     "nothing can make a person MQL: add an `mql` block (fit_min, engagement_min, total_min) or a `fast_track` rule"),
    ("standard field redefined", replace("schedule:", "fields: {title: jobtitle}\nschedule:"), 6, "fields",
     "`title` is a standard field, mapped already; add only new canonical names"),
    ("yaml syntax error", replace("  rate_limit: {per_10s: 100, search_per_s: 4}",
                                  "  rate_limit: {per_10s: 100, search_per_s: 4"), 6, "",
     "invalid YAML: expected ',' or '}', but got ':'"),
    ("duplicate yaml key", replace("schedule:", "tenant: other\nschedule:"), 6, "",
     'invalid YAML: found duplicate key "tenant" with value "other" (original value: "acme")'),
    ("not a mapping", "- just\n- a list\n", 1, "",
     "a tenant file is a mapping with the keys tenant, crm, scoring (and optionally schedule, fields, write_back)"),
    ("salesforce without credentials", SF_BASE.replace("  client_id: ${CID}\n  client_secret: ${CSECRET}\n", ""), 2,
     "crm", "missing credentials: give exactly one of: client_id + client_secret; instance_url + access_token; "
            "client_id + username + private_key_file"),
    ("salesforce with two auth shapes",
     SF_BASE.replace("  client_secret: ${CSECRET}\n",
                     "  client_secret: ${CSECRET}\n  instance_url: https://x.my.salesforce.com\n"
                     "  access_token: ${TOKEN}\n"), 2, "crm",
     "more than one way to log in (client credentials (client_id + client_secret) and a ready session "
     "(instance_url + access_token)): give exactly one of: client_id + client_secret; instance_url + access_token; "
     "client_id + username + private_key_file"),
    ("salesforce without write_back", SF_BASE[: SF_BASE.index("write_back:")], 1, "write_back",
     "required on Salesforce: name the custom fields to write (fields: {fit: Fit_Score__c, ...}) and the "
     "lifecycle field"),
    ("salesforce bad people", SF_BASE.replace("  client_id:", "  people: [Lead, Opportunity]\n  client_id:"), 5,
     "crm.people[1]", "invalid value, got 'Opportunity'; allowed: 'Lead' or 'Contact'"),
    ("salesforce api share", SF_BASE.replace("  client_id:", "  daily_api_share: 1.5\n  client_id:"), 5,
     "crm.daily_api_share", "Input should be less than or equal to 1, got 1.5"),
]


@pytest.mark.parametrize(("text", "line", "key", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_file_reports_file_line_key_and_message(tmp_path: Path, text: str, line: int, key: str,
                                                        message: str) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(text)
    result = collect_tenants(tmp_path, env=ENV)
    assert result.tenants == []
    assert ConfigIssue(str(path), line, key, message) in result.issues, "\n".join(map(str, result.issues))
    assert str(ConfigIssue(str(path), line, key, message)).startswith(f"{path}:{line}: ")


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_duplicate_tenants_name_both_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text("# the same tenant again\n" + BASE)
    result = collect_tenants(tmp_path, env=ENV)
    assert [t.tenant for t in result.tenants] == ["acme"]
    assert result.issues == [ConfigIssue(
        str(tmp_path / "b.yaml"), 2, "tenant",
        f"tenant `acme` is already defined in {tmp_path / 'a.yaml'}:1; tenant names must be unique across the folder")]


def test_every_error_of_every_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(replace("per_10s: 100", "per_10s: lots").replace("every: 15m", "every: soon"))
    (tmp_path / "two.yaml").write_text(replace("tenant: acme", "tenant: two").replace("${TOKEN}", "${NOPE}"))
    result = collect_tenants(tmp_path, env=ENV)
    keys = [(Path(i.file).name, i.key) for i in result.issues]
    assert ("one.yaml", "crm.rate_limit.per_10s") in keys
    assert ("one.yaml", "schedule.every") in keys
    assert ("two.yaml", "crm.access_token") in keys


def test_empty_folder_and_missing_folder(tmp_path: Path) -> None:
    assert collect_tenants(tmp_path, env={}).issues == [
        ConfigIssue(str(tmp_path), 0, "", "no tenant files (*.yaml) in this folder")]
    missing = tmp_path / "nope"
    assert collect_tenants(missing, env={}).issues == [
        ConfigIssue(str(missing), 0, "", "no such configuration folder (set --config DIR or CRMSYNC_CONFIG)")]


def test_literal_secret_is_a_warning_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(replace("${TOKEN}", "pat-na1-written-in-the-file"))
    result = collect_tenants(tmp_path, env=ENV)
    assert [t.tenant for t in result.tenants] == ["acme"]
    assert [w.key for w in result.warnings] == ["crm.access_token"]
    assert "pat-na1-written-in-the-file" not in str(result.warnings[0])
