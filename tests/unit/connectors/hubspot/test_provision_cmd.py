"""``crmsync provision`` end to end against the local HubSpot stub."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sync.cli import cli
from tests.unit.connectors.hubspot.conftest import TENANT
from tests.unit.connectors.hubspot.stub import TOKEN, Stub


def write_config(folder: Path, url: str) -> Path:
    folder.mkdir()
    (folder / "acme.yaml").write_text(TENANT.format(url=url))
    return folder


def test_provision_check_then_create_then_exists(stub: Stub, tmp_path: Path) -> None:
    config = write_config(tmp_path / "tenants", stub.url)
    stub.properties["lifecyclestage"] = {"name": "lifecyclestage", "type": "enumeration",
                                         "options": [{"value": "marketingqualifiedlead"}]}
    runner = CliRunner()
    env = {"HS_TOKEN": TOKEN}
    checked = runner.invoke(cli, ["provision", "--tenant", "acme", "--config", str(config), "--check"], env=env)
    assert checked.exit_code == 1, checked.output
    assert "crmsync_grade" in checked.output
    assert "missing" in checked.output
    assert stub.properties.keys() == {"lifecyclestage"}
    created = runner.invoke(cli, ["provision", "--tenant", "acme", "--config", str(config)], env=env)
    assert created.exit_code == 0, created.output
    assert created.output.count("created") == 8
    again = runner.invoke(cli, ["provision", "--tenant", "acme", "--config", str(config), "--json"], env=env)
    assert again.exit_code == 0
    assert '"state": "created"' not in again.output
    assert TOKEN not in created.output + again.output


def test_provision_reports_config_errors_with_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / "bad.yaml").write_text("tenant: acme\ncrm: {kind: hubspot}\n")
    result = CliRunner().invoke(cli, ["provision", "--tenant", "acme", "--config", str(folder)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output


def test_provision_auth_failure_exits_1_without_the_token(stub: Stub, tmp_path: Path) -> None:
    config = write_config(tmp_path / "tenants", stub.url)
    result = CliRunner().invoke(cli, ["provision", "--tenant", "acme", "--config", str(config)],
                                env={"HS_TOKEN": "pat-na1-not-the-right-one"})
    assert result.exit_code == 1
    assert "INVALID_AUTHENTICATION" in result.output
    assert "pat-na1-not-the-right-one" not in result.output


def test_provision_unknown_tenant_names_the_known_ones(stub: Stub, tmp_path: Path) -> None:
    config = write_config(tmp_path / "tenants", stub.url)
    result = CliRunner().invoke(cli, ["provision", "--tenant", "nope", "--config", str(config)],
                                env={"HS_TOKEN": TOKEN})
    assert result.exit_code == 2
    assert "known tenants: acme" in result.output
