"""No secret value appears in repr/str of the config objects, in dumps, errors or warnings."""

from __future__ import annotations

from pathlib import Path

from config import collect_tenants, parse_tenant

SECRETS = {
    "HS_TOKEN": "pat-na1-9f8e7d6c-5b4a-3210-fedc-ba9876543210",
    "SF_ID": "3MVG9secretclientid0123456789",
    "SF_SECRET": "sf-client-secret-abcdef0123456789",
}

HUBSPOT = """\
tenant: hs
crm: {kind: hubspot, access_token: "${HS_TOKEN}"}
scoring: {fit: [{label: a, points: 1}], mql: {fit_min: 1}}
"""

SALESFORCE = """\
tenant: sf
crm:
  kind: salesforce
  login_url: https://sf.my.salesforce.com
  client_id: ${SF_ID}
  client_secret: ${SF_SECRET}
scoring: {fit: [{label: a, points: 1}], mql: {fit_min: 1}}
write_back: {fields: {fit: Fit__c}}
"""


def _renderings(obj: object) -> list[str]:
    out = [repr(obj), str(obj)]
    model_dump = getattr(obj, "model_dump", None)
    if model_dump is not None:
        out += [str(model_dump()), str(model_dump(mode="json"))]
    return out


def test_secrets_never_render() -> None:
    tenants = [parse_tenant(HUBSPOT, "hs.yaml", SECRETS), parse_tenant(SALESFORCE, "sf.yaml", SECRETS)]
    for tenant in tenants:
        for text in _renderings(tenant) + _renderings(tenant.crm):
            for secret in SECRETS.values():
                assert secret not in text
    hs, sf = tenants
    assert hs.crm.access_token is not None and hs.crm.access_token.get_secret_value() == SECRETS["HS_TOKEN"]
    assert sf.crm.kind == "salesforce" and sf.crm.client_secret is not None


def test_secrets_never_appear_in_errors_or_warnings(tmp_path: Path) -> None:
    bad = HUBSPOT.replace('access_token: "${HS_TOKEN}"', 'access_token: "${HS_TOKEN}", rate_limit: 5')
    (tmp_path / "bad.yaml").write_text(bad)
    literal = SALESFORCE.replace("${SF_SECRET}", SECRETS["SF_SECRET"]).replace("login_url: https", "login_url: ftp")
    (tmp_path / "literal.yaml").write_text(literal)
    result = collect_tenants(tmp_path, env=SECRETS)
    assert result.issues and result.warnings
    text = "\n".join(map(str, result.issues + result.warnings))
    for secret in SECRETS.values():
        assert secret not in text
