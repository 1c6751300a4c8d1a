"""The HubSpot connector (hubspot-api-client against the CRM v3/v4 APIs). See docs/connectors.md."""

from connectors.hubspot.connector import HubSpotConnector

__all__ = ["HubSpotConnector"]
