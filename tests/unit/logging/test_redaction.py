"""Secrets never reach log output: by key at any depth, by value pattern, registered values, stdlib loggers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from config import parse_tenant
from sync.logging import configure, register_secret

TOKEN = "pat-na1-0badc0de-1234-4321-aaaa-bbbbccccdddd"
SF_SECRET = "sf-very-secret-client-secret-42"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure("DEBUG", json=True, stream=buf)
    yield buf
    structlog.contextvars.clear_contextvars()
    configure("WARNING", json=True, stream=io.StringIO())


def lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_json_lines_with_bound_context(output: io.StringIO) -> None:
    structlog.contextvars.bind_contextvars(tenant="acme", run_id="r-1")
    structlog.get_logger("crmsync").info("page_stored", stream="contacts", records=100)
    [line] = lines(output)
    assert line["event"] == "page_stored"
    assert (line["tenant"], line["run_id"], line["records"], line["level"]) == ("acme", "r-1", 100, "info")


def test_redacts_by_key_at_any_depth(output: io.StringIO) -> None:
    structlog.get_logger().info(
        "request", headers={"Authorization": f"Bearer {TOKEN}"},
        body={"grant_type": "client_credentials", "nested": [{"client_secret": SF_SECRET}]},
        access_token=TOKEN)
    text = output.getvalue()
    assert TOKEN not in text and SF_SECRET not in text
    line = lines(output)[0]
    assert line["access_token"] == "[REDACTED]"
    assert line["body"] == {"grant_type": "client_credentials", "nested": [{"client_secret": "[REDACTED]"}]}


@pytest.mark.parametrize("message", [
    f"Authorization: Bearer {TOKEN}",
    f"POST /services/oauth2/token grant_type=client_credentials&client_secret={SF_SECRET}&x=1",
    f'HTTP response body: {{"access_token": "{SF_SECRET}"}}',
    f"token {TOKEN} was refused",
    "sid 00D5g000004XyzA!AQ8AQHsomeverylongsessionidvalue.abc was refused",
])
def test_redacts_by_value_pattern(output: io.StringIO, message: str) -> None:
    structlog.get_logger().warning("crm_refused", detail=message)
    detail = str(lines(output)[0]["detail"])
    assert TOKEN not in detail and SF_SECRET not in detail and "AQ8AQHsomeverylong" not in detail
    assert "[REDACTED]" in detail


def test_registered_secret_values_are_masked_everywhere(output: io.StringIO) -> None:
    register_secret("plain-looking-value-xyz")
    structlog.get_logger().error("oops", note="the value plain-looking-value-xyz leaked")
    assert "plain-looking-value-xyz" not in output.getvalue()


def test_stdlib_loggers_and_exceptions_go_through_the_same_pipeline(output: io.StringIO) -> None:
    logging.getLogger("urllib3.connectionpool").warning("Retrying (Authorization: Bearer %s)", TOKEN)
    try:
        raise RuntimeError(f"refused: client_secret={SF_SECRET}")
    except RuntimeError:
        structlog.get_logger().exception("cycle_failed")
    text = output.getvalue()
    assert TOKEN not in text and SF_SECRET not in text
    assert [line["event"] for line in lines(output)][-1] == "cycle_failed"


def test_config_objects_logged_do_not_leak(output: io.StringIO) -> None:
    tenant = parse_tenant("tenant: t\ncrm: {kind: hubspot, access_token: \"${T}\"}\n"
                          "scoring: {fit: [{label: a, points: 1}], mql: {fit_min: 1}}\n", "t.yaml", {"T": TOKEN})
    structlog.get_logger().info("tenant_loaded", crm=tenant.crm, tenant_repr=repr(tenant))
    assert TOKEN not in output.getvalue()


def test_tenants_loaded_by_the_cli_have_their_secrets_masked(output: io.StringIO, tmp_path: object,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from sync.cli.options import load_all

    folder = Path(str(tmp_path))
    (folder / "t.yaml").write_text("tenant: t\ncrm: {kind: hubspot, access_token: \"${TOK}\"}\n"
                                   "scoring: {fit: [{label: a, points: 1}], mql: {fit_min: 1}}\n")
    monkeypatch.setenv("TOK", "opaque-token-without-any-pattern")
    [tenant] = load_all(str(folder))
    structlog.get_logger().warning("crm_said", body="token opaque-token-without-any-pattern is invalid")
    assert tenant.tenant == "t"
    assert "opaque-token-without-any-pattern" not in output.getvalue()


def test_the_word_token_in_prose_is_left_readable() -> None:
    from sync.logging import redact_text
    text = "HubSpot refused the access token: Authentication credentials not found"
    assert redact_text(text) == text
    assert redact_text("token=abc123def&page=2") == "token=[REDACTED]&page=2"
    assert redact_text('{"token": "a1b2c3d4e5"}') == '{"token": "[REDACTED]"}'
