"""Tenant files: the typed schema (``config.models``), loading and validation (``config.loader``).

``config`` imports no other crmsync package; every other package reads its settings from here.
"""

from config.errors import ConfigError, ConfigIssue
from config.loader import collect_tenants, config_dir, load_tenant_file, load_tenants, parse_tenant
from config.models import HubSpotCRM, SalesforceCRM, Scoring, Tenant

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "HubSpotCRM",
    "SalesforceCRM",
    "Scoring",
    "Tenant",
    "collect_tenants",
    "config_dir",
    "load_tenant_file",
    "load_tenants",
    "parse_tenant",
]
