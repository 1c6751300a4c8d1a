"""Connector kinds: the built-in ``hubspot`` and ``salesforce``, plus plugins from entry points.

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points."crmsync.connectors"]
    pipedrive = "crmsync_pipedrive:PipedriveConnector"   # any Callable[[Tenant], Connector]

Built-in kinds win over a plugin of the same name.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from config.models import Tenant
from connectors.base import Connector, ConnectorError, ConnectorFactory

GROUP = "crmsync.connectors"
BUILT_IN: dict[str, tuple[str, str]] = {
    "hubspot": ("connectors.hubspot", "HubSpotConnector"),
    "salesforce": ("connectors.salesforce", "SalesforceConnector"),
}


def known_kinds() -> tuple[str, ...]:
    """Every CRM kind a tenant may name: built-ins first, then installed plugins, sorted."""
    plugins = sorted({ep.name for ep in entry_points(group=GROUP)} - BUILT_IN.keys())
    return (*BUILT_IN, *plugins)


def factory_for(kind: str) -> ConnectorFactory:
    if kind in BUILT_IN:
        module, name = BUILT_IN[kind]
        factory: ConnectorFactory = getattr(importlib.import_module(module), name)
        return factory
    for ep in entry_points(group=GROUP):
        if ep.name == kind:
            try:
                loaded: ConnectorFactory = ep.load()
            except Exception as exc:
                raise ConnectorError(f"the connector plugin {kind!r} ({ep.value}) failed to load: "
                                     f"{type(exc).__name__}: {exc}") from exc
            return loaded
    raise ConnectorError(f"no connector for CRM kind {kind!r}; known kinds: {', '.join(known_kinds())} "
                         f"(install a plugin that registers {kind!r} in the {GROUP!r} entry-point group)")


def create_connector(tenant: Tenant) -> Connector:
    """The connector for ``tenant.crm.kind``."""
    return factory_for(tenant.crm.kind)(tenant)
