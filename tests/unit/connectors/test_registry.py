"""connectors.registry: built-in kinds, and plugins found through the ``crmsync.connectors`` entry points."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from config import Tenant, parse_tenant
from connectors import create_connector, known_kinds
from connectors.base import Connector, ConnectorError, Update
from connectors.hubspot import HubSpotConnector
from connectors.registry import factory_for

PLUGIN = Path(__file__).resolve().parents[2] / "plugin_example"
TENANT = """
tenant: acme
crm: {kind: hubspot, base_url: "http://127.0.0.1:9", access_token: "${TOKEN}"}
scoring:
  fit: [{label: Everyone, points: 1}]
  mql: {fit_min: 1}
"""


@pytest.fixture
def tenant() -> Tenant:
    return parse_tenant(TENANT, env={"TOKEN": "pat-na1-x"})


@pytest.fixture
def plugin_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the example plugin the way pip would: a *.dist-info with entry_points.txt on sys.path."""
    info = tmp_path / "crmsync_example-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crmsync-example\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[crmsync.connectors]\nexample = crmsync_example:ExampleConnector\n"
        "hubspot = crmsync_example:ExampleConnector\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(PLUGIN))


def test_built_in_kinds(tenant: Tenant) -> None:
    assert known_kinds()[:2] == ("hubspot", "salesforce")
    connector = create_connector(tenant)
    assert isinstance(connector, HubSpotConnector)
    assert isinstance(connector, Connector)
    connector.close()


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ConnectorError, match=r"CRM kind 'pipedrive'; known kinds: hubspot, salesforce"):
        factory_for("pipedrive")


@pytest.mark.usefixtures("plugin_installed")
def test_plugin_found_through_its_entry_point(tenant: Tenant) -> None:
    assert "example" in known_kinds()
    assert known_kinds().count("hubspot") == 1
    factory = factory_for("example")
    connector = factory(tenant)
    assert isinstance(connector, Connector)
    pages = list(connector.pull("people", None, until=datetime(2030, 1, 1, tzinfo=UTC)))
    assert [p.id for p in pages[0].persons] == ["p1", "p2"]
    assert [r.outcome for r in connector.push([Update("p1", "person", {"crmsync_score": 5}),
                                               Update("zz", "person", {})])] == ["done", "dead"]
    assert connector.take_usage().total == 1
    assert factory_for("hubspot") is HubSpotConnector          # built-ins win over a plugin's name


def test_a_plugin_that_fails_to_load_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[crmsync.connectors]\nbroken = no_such_module_here:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConnectorError, match=r"plugin 'broken'.*failed to load"):
        factory_for("broken")
