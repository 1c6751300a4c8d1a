"""The Salesforce emulator of the sandbox: OAuth, REST (SOQL, describe, collections, limits) and Bulk 2.0.

``SalesforceApp`` implements ``sandbox.wire.SandboxApp``; the sandbox server hands it every request
whose path starts with ``/services/``.
"""

from sandbox.salesforce.app import SalesforceApp

__all__ = ["SalesforceApp"]
