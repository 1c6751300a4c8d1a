"""One emulated Salesforce org: its credentials, limits, data tables, open query cursors and bulk jobs."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.ids import IdCodec
from sandbox.salesforce.schema import SCHEMA
from sandbox.salesforce.table import Table

MAX_CURSORS = 50


@dataclass
class Cursor:
    sobject: str
    rows: Sequence[int]
    render: Any                      # callable(row) -> dict, from query.CompiledQuery
    batch_size: int
    version: str


@dataclass
class Org:
    org_id: str
    codec: IdCodec
    client_id: str
    client_secret: str
    daily_api_limit: int
    session_ttl_calls: int | None
    public_key: Any | None
    username: str | None
    rng: random.Random
    tables: dict[str, Table] = field(default_factory=lambda: {name: Table(o) for name, o in SCHEMA.items()})
    api_used: int = 0
    cursors: OrderedDict[str, Cursor] = field(default_factory=OrderedDict)
    jobs: dict[str, Any] = field(default_factory=dict)
    members_by_person: dict[int, list[int]] | None = None
    next_cursor: int = 0

    def add_cursor(self, cursor: Cursor) -> str:
        self.next_cursor += 1
        key = f"01g{self.codec.org_code}0{self.next_cursor:09d}"
        self.cursors[key] = cursor
        while len(self.cursors) > MAX_CURSORS:
            self.cursors.popitem(last=False)
        return key
