"""The HTML view shows crmsync's write-back on the record page; the ``crmsync sandbox`` command serves."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests
from click.testing import CliRunner

from sandbox import Sandbox
from sync.cli import cli
from sync.cli.sandbox_cmd import parse_rate_limit
from tests.sandbox.conftest import auth


def test_record_page_shows_written_crmsync_fields_escaped(sb: Sandbox, portal: str) -> None:
    requests.post(f"{sb.url}/crm/v3/properties/contacts", headers=auth(), timeout=5,
                  json={"name": "crmsync_mql_reason", "label": "MQL reason", "type": "string",
                        "fieldType": "textarea", "groupName": "contactinformation"})
    reason = "Fit 45: VP title +15 | <demo> & pricing x3"
    requests.post(f"{sb.url}/crm/v3/objects/contacts/batch/update", headers=auth(), timeout=5,
                  json={"inputs": [{"id": "100002", "properties": {"crmsync_mql_reason": reason,
                                                                   "hs_lead_status": "OPEN"}}]})
    url = sb.record_url(portal, "contacts", "100002")
    assert url == f"{sb.url}/ui/hubspot/{portal}/contacts/100002"
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    written = page.text.split("Written through the API", 1)[1].split("All fields", 1)[0]
    assert "crmsync_mql_reason" in written
    assert "hs_lead_status" in written
    assert "Fit 45: VP title +15 | &lt;demo&gt; &amp; pricing x3" in written
    assert "<demo>" not in page.text
    assert "lifecyclestage" in page.text
    assert "Associations" in page.text


def test_index_and_lists(sb: Sandbox, portal: str) -> None:
    org = sb.add_salesforce_org(client_id="cid-ui", client_secret="s", leads=12, contacts=5, seed=3)
    index = requests.get(f"{sb.url}/ui/", timeout=5).text
    assert portal in index
    assert org in index
    listing = requests.get(f"{sb.url}/ui/hubspot/{portal}/contacts?page=1", timeout=5).text
    assert "page 2 of" in listing
    assert re.search(r"/ui/hubspot/\d+/contacts/\d+", listing)
    leads = requests.get(f"{sb.url}/ui/salesforce/{org}/Lead", timeout=5)
    assert leads.status_code == 200
    lead_id = re.search(r"/ui/salesforce/[^/]+/Lead/([A-Za-z0-9]+)", leads.text)
    assert lead_id is not None
    record = requests.get(sb.record_url(org, "Lead", lead_id.group(1)), timeout=5)
    assert record.status_code == 200
    assert "Email" in record.text
    assert requests.get(f"{sb.url}/ui/hubspot/{portal}/contacts/1", timeout=5).status_code == 404
    assert requests.get(f"{sb.url}/ui/hubspot/nope/contacts", timeout=5).status_code == 404


def test_rate_limit_option() -> None:
    limits = parse_rate_limit("per_10s=190,search_per_s=4")
    assert (limits.per_10s, limits.search_per_s) == (190, 4)
    result = CliRunner().invoke(cli, ["sandbox", "--rate-limit", "per_minute=3"])
    assert result.exit_code == 2
    assert "per_10s" in result.output
    result = CliRunner().invoke(cli, ["sandbox", "--faults", "explode"])
    assert result.exit_code == 2
    assert "unknown fault kind" in result.output


def test_command_serves_until_sigterm() -> None:
    command = [sys.executable, "-c", "from sync.cli import main; main()", "sandbox", "--port", "0"]
    proc = subprocess.Popen([*command, "--contacts", "50",
                             "--leads", "10", "--sf-contacts", "5"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=os.getcwd())
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
        token = re.search(r"pat-na1-[0-9a-f-]+", lines[1])
        assert url
        assert token
        assert "client id" in lines[2]
        got = requests.get(url.group(0) + "/crm/v3/objects/contacts", headers=auth(token.group(0)), timeout=5)
        assert got.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
