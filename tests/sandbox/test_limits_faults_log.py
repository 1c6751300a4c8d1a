"""Rate limits (429 bodies and headers), injected faults, the request log and the admin endpoints."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
import urllib3
from hubspot.crm.contacts.exceptions import ApiException

from sandbox import FaultRule, FaultSpecError, HubSpotSettings, RateLimits, Sandbox, SandboxConfig, parse_fault_spec
from tests.sandbox.conftest import NOW, TOKEN, auth

LIST = "/crm/v3/objects/contacts"


def test_ten_secondly_limit_429_body_and_headers(sb: Sandbox) -> None:
    sb.add_hubspot_portal(token=TOKEN, contacts=20, seed=1, rate_limit=RateLimits(per_10s=5, search_per_s=0))
    with requests.Session() as s:
        answers = [s.get(sb.url + LIST, headers=auth(), timeout=5) for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    ok, refused = answers[0], answers[5]
    assert ok.headers["X-HubSpot-RateLimit-Max"] == "5"
    assert ok.headers["X-HubSpot-RateLimit-Remaining"] == "4"
    assert ok.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    for name in ("Secondly", "Secondly-Remaining", "Daily", "Daily-Remaining"):
        assert f"X-HubSpot-RateLimit-{name}" in ok.headers
    body = refused.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert "Retry-After" not in refused.headers
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"


def test_search_secondly_limit_and_retry_after_switch() -> None:
    config = SandboxConfig(now=NOW, hubspot=HubSpotSettings(limits=RateLimits(per_10s=100, search_per_s=2),
                                                            retry_after=True, search_index_lag_s=0))
    with Sandbox(config).start(port=0) as sb:
        sb.add_hubspot_portal(token=TOKEN, contacts=20, seed=1)
        url = sb.url + LIST + "/search"
        answers = [requests.post(url, json={}, headers=auth(), timeout=5) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json()["policyName"] == "SECONDLY"
        assert answers[2].headers["Retry-After"] == "1"
        assert "X-HubSpot-RateLimit-Max" not in answers[0].headers   # search omits them by default
        # search is exempt from the ten-secondly window: a GET still passes
        assert requests.get(sb.url + LIST, headers=auth(), timeout=5).status_code == 200
        time.sleep(1.05)
        assert requests.post(url, json={}, headers=auth(), timeout=5).status_code == 200


def test_client_sees_429_as_api_exception(sb: Sandbox, client: Any) -> None:
    sb.inject_fault(FaultRule("rate_limit", path="/search", times=1))
    with pytest.raises(ApiException) as exc:
        client.crm.contacts.search_api.do_search(public_object_search_request={})
    assert exc.value.status == 429
    assert client.crm.contacts.search_api.do_search(public_object_search_request={}).total > 0


def test_fault_schedules(sb: Sandbox, portal: str) -> None:
    rule = sb.inject_fault(FaultRule("error", path="^/crm/v3/objects/contacts$", status=502, every=3))
    statuses = [requests.get(sb.url + LIST, headers=auth(), timeout=5).status_code for _ in range(6)]
    assert statuses == [200, 200, 502, 200, 200, 502]
    assert rule.id > 0
    sb.clear_faults()
    sb.inject_fault(FaultRule("error", method="POST", times=2))
    assert requests.get(sb.url + LIST, headers=auth(), timeout=5).status_code == 200
    posts = [requests.post(sb.url + LIST + "/search", json={}, headers=auth(), timeout=5).status_code
             for _ in range(3)]
    assert posts == [503, 503, 200]


def test_probability_is_seeded(sb: Sandbox, portal: str) -> None:
    def run() -> list[int]:
        sb.clear_faults()
        sb.inject_fault(FaultRule("error", path="contacts", probability=0.5))
        return [requests.get(sb.url + LIST, headers=auth(), timeout=5).status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert 503 in first
    assert 200 in first


def test_account_filter_and_salesforce_body(sb: Sandbox, portal: str) -> None:
    other = sb.add_hubspot_portal(token="pat-na1-other", contacts=10, seed=2)
    sb.inject_fault(FaultRule("rate_limit", account=other, retry_after=2))
    assert requests.get(sb.url + LIST, headers=auth(), timeout=5).status_code == 200
    refused = requests.get(sb.url + LIST, headers=auth("pat-na1-other"), timeout=5)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    sb.clear_faults()
    sb.inject_fault(FaultRule("rate_limit", path="^/services/"))
    sf = requests.get(sb.url + "/services/data/v59.0/limits", timeout=5)
    assert sf.status_code == 429
    assert sf.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_timeout_and_delay(sb: Sandbox, portal: str) -> None:
    sb.inject_fault(FaultRule("timeout", delay_s=1.5, times=1))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(sb.url + LIST, headers=auth(), timeout=0.5)
    assert time.monotonic() - started < 1.4
    sb.clear_faults()
    sb.inject_fault(FaultRule("delay", delay_s=0.3, times=1))
    started = time.monotonic()
    assert requests.get(sb.url + LIST, headers=auth(), timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_timeout_drops_connection_after_hold(sb: Sandbox, portal: str) -> None:
    sb.inject_fault(FaultRule("timeout", delay_s=0.2, times=1))
    pool = urllib3.PoolManager(retries=False)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        pool.request("GET", sb.url + LIST, headers=auth(), timeout=5)


def test_fault_spec_text() -> None:
    rules = parse_fault_spec("error status=503 path=/search every=3; rate_limit path=^/crm p=0.1 retry-after=2;"
                             " timeout delay=30 times=1")
    assert [r.kind for r in rules] == ["error", "rate_limit", "timeout"]
    assert rules[0].every == 3
    assert rules[1].probability == 0.1
    assert rules[1].retry_after == 2
    assert rules[2].delay_s == 30
    assert rules[2].times == 1
    for bad in ("explode", "error status=abc", "error nonsense", "error colour=red", "error path=(["):
        with pytest.raises(FaultSpecError):
            parse_fault_spec(bad)


def test_request_log_per_account_with_batch_sizes(sb: Sandbox, portal: str) -> None:
    sb.clear_requests()
    requests.get(sb.url + LIST + "?limit=7", headers=auth(), timeout=5)
    requests.post(sb.url + LIST + "/batch/update", headers=auth(), timeout=5,
                  json={"inputs": [{"id": str(100001 + i), "properties": {"firstname": "Q"}} for i in range(4)]})
    requests.get(sb.url + LIST, headers=auth("pat-na1-nope"), timeout=5)
    mine = sb.requests(portal)
    assert [(e.method, e.path, e.status, e.batch_size) for e in mine] == [
        ("GET", LIST, 200, 7), ("POST", LIST + "/batch/update", 200, 4)]
    assert [e.status for e in sb.requests()] == [200, 200, 401]
    assert all(e.at > 0 for e in mine)


def test_admin_endpoints(sb: Sandbox) -> None:
    created = requests.post(sb.url + "/_admin/hubspot/portals", json={"contacts": 30, "seed": 4}, timeout=10)
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("pat-na1-")
    assert requests.get(sb.url + LIST, headers=auth(token), timeout=5).status_code == 200
    fault = requests.post(sb.url + "/_admin/faults", json={"kind": "error", "path": "contacts", "times": 1},
                          timeout=5)
    assert fault.status_code == 201
    assert requests.get(sb.url + LIST, headers=auth(token), timeout=5).status_code == 503
    rules = requests.get(sb.url + "/_admin/faults", timeout=5).json()["results"]
    assert rules[0]["fired"] == 1
    assert requests.post(sb.url + "/_admin/faults", json={"kind": "meteor"}, timeout=5).status_code == 400
    assert requests.delete(sb.url + "/_admin/faults", timeout=5).status_code == 204
    log = requests.get(sb.url + "/_admin/requests", params={"account": created.json()["portalId"]}, timeout=5)
    assert [e["status"] for e in log.json()["results"]] == [200, 503]
    advanced = requests.post(sb.url + "/_admin/advance", json={"n": 10}, timeout=5).json()
    assert sum(advanced["hubspot"][created.json()["portalId"]].values()) <= 10
    stats = requests.get(sb.url + "/_admin/stats", timeout=5).json()
    assert stats["hubspot"][created.json()["portalId"]]["objects"]["contacts"]["records"] == 30
    assert stats["requests"]["requests"] >= 2
    org = requests.post(sb.url + "/_admin/salesforce/orgs", json={"client_id": "cid-1", "client_secret": "s",
                                                                  "leads": 5, "contacts": 5}, timeout=10)
    assert org.status_code == 201
    assert org.json()["clientId"] == "cid-1"
    assert requests.delete(sb.url + "/_admin/requests", timeout=5).status_code == 204
    assert requests.post(sb.url + "/_admin/reset", timeout=5).json() == {"status": "reset"}
    assert requests.get(sb.url + LIST, headers=auth(token), timeout=5).status_code == 401
    assert requests.get(sb.url + "/nowhere", timeout=5).status_code == 404
