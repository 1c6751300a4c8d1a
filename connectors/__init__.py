"""The CRM edge: the protocol (``connectors.base``), the registry, and the built-in connectors."""

from connectors.registry import create_connector, known_kinds

__all__ = ["create_connector", "known_kinds"]
