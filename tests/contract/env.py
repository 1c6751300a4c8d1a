"""What each CRM gives the contract suite: one :class:`ContractEnv` per connector.

Each CRM has a builder ``make_env(sb: Sandbox) -> ContractEnv`` in ``tests/contract/<crm>_env.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from config.models import Tenant
from connectors.base import Connector, Value


@dataclass
class ContractEnv:
    name: str                                   # "hubspot" / "salesforce"
    tenant: Tenant
    connector: Connector
    person_streams: tuple[str, ...]             # streams that yield persons
    activity_streams: tuple[str, ...]
    account: str                                # sandbox account id (request-log filter)
    touch_person: Callable[[str], None]         # change one input field of a person in the CRM (sandbox side)
    delete_person: Callable[[str], None]        # delete/archive it in the CRM
    write_fields: dict[str, Value]              # CRM field -> a valid value, for push tests
    bad_write: tuple[str, Value]                # a CRM field + value the CRM refuses per record
