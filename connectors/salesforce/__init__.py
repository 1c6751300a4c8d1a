"""The Salesforce connector (simple-salesforce on a session we own). See README_notes.md."""

from connectors.salesforce.connector import SalesforceConnector

__all__ = ["SalesforceConnector"]
