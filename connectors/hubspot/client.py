"""The HubSpot wire: hubspot-api-client for hosts, auth and paths; raw JSON on every call.

The client's API objects are created once (each ``*_api`` access builds a new connection pool) and
every operation runs with ``_preload_content=False`` (its generated models cost ~10x the CPU of
``orjson.loads``). Its urllib3 retry is switched off, including the GET-429-with-Retry-After retry
that urllib3 does by default, so :class:`connectors.http.Caller` is the only retry layer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import hubspot
from urllib3.util.retry import Retry

from config.models import HubSpotCRM
from connectors.http import Caller
from connectors.hubspot.classify import Answer, classify, parse_body

TIMEOUT = (10.0, 60.0)       # connect, read (seconds)
NO_RETRY = Retry(total=0, connect=0, read=0, redirect=0, status=0, other=0,
                 respect_retry_after_header=False, raise_on_status=False)


def _answer(op: Callable[[], Any]) -> Answer:
    """Run one generated operation; turn its response or ApiException into an :class:`Answer`."""
    try:
        response = op()
    except Exception as exc:
        status = getattr(exc, "status", None)
        if type(exc).__module__.startswith("hubspot.") and isinstance(status, int):
            headers = getattr(exc, "headers", None) or {}
            return Answer(status, parse_body(getattr(exc, "body", None)), dict(headers))
        raise
    return Answer(response.status, parse_body(response.data), dict(response.headers))


class HubSpotClient:
    """Every HubSpot call crmsync makes, each behind the tenant's :class:`Caller` with a stable label."""

    def __init__(self, crm: HubSpotCRM, caller: Caller) -> None:
        token = crm.access_token.get_secret_value() if crm.access_token else None
        client = hubspot.Client.create(access_token=token, host=crm.base_url, retry=NO_RETRY)
        self.caller = caller
        self._search = client.crm.objects.search_api
        self._basic = client.crm.objects.basic_api
        self._batch = client.crm.objects.batch_api
        self._assoc = client.crm.associations.v4.batch_api
        self._props = client.crm.properties.core_api
        self._groups = client.crm.properties.groups_api
        self._events = client.events.events_api
        self._apis = (self._search, self._basic, self._batch, self._assoc, self._props, self._groups,
                      self._events)

    def _call(self, label: str, op: Callable[[], Any], *, accept: Collection[int] = (),
              search: bool = False) -> Answer:
        return self.caller.call(label, lambda: _answer(op), lambda outcome: classify(outcome, accept=accept),
                                search=search)

    # ------------------------------------------------------------------ objects
    def search(self, object_type: str, body: Mapping[str, Any]) -> Answer:
        return self._call(f"hubspot.{object_type}.search", lambda: self._search.do_search(
            object_type, public_object_search_request=dict(body), _preload_content=False,
            _request_timeout=TIMEOUT), search=True)

    def list_page(self, object_type: str, properties: Sequence[str], after: str | None, *,
                  archived: bool = False, limit: int = 100) -> Answer:
        label = f"hubspot.{object_type}.{'list_archived' if archived else 'list'}"
        return self._call(label, lambda: self._basic.get_page(
            object_type, limit=limit, after=after, properties=list(properties), archived=archived,
            _preload_content=False, _request_timeout=TIMEOUT))

    def batch_update(self, object_type: str, inputs: Sequence[Mapping[str, Any]]) -> Answer:
        """200/207 as usual; a whole-request 400 comes back as an Answer too (the caller isolates it)."""
        return self._call(f"hubspot.{object_type}.batch_update", lambda: self._batch.update(
            object_type, batch_input_simple_public_object_batch_input={"inputs": list(inputs)},
            _preload_content=False, _request_timeout=TIMEOUT), accept=(400, 409))

    def associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> Answer:
        return self._call(f"hubspot.associations.{from_type}_{to_type}", lambda: self._assoc.get_page(
            from_type, to_type,
            batch_input_public_fetch_associations_batch_request={"inputs": [{"id": i} for i in ids]},
            _preload_content=False, _request_timeout=TIMEOUT))

    def events_page(self, event_type: str, occurred_after: str, occurred_before: str,
                    after: str | None) -> Answer:
        return self._call("hubspot.events", lambda: self._events.get_page(
            object_type="contact", event_type=event_type, occurred_after=occurred_after,
            occurred_before=occurred_before, after=after, limit=100, _preload_content=False,
            _request_timeout=TIMEOUT))

    # ------------------------------------------------------------------ properties
    def properties(self, object_type: str) -> Answer:
        return self._call(f"hubspot.properties.{object_type}", lambda: self._props.get_all(
            object_type, _preload_content=False, _request_timeout=TIMEOUT))

    def create_property(self, object_type: str, spec: Mapping[str, Any]) -> Answer:
        return self._call(f"hubspot.properties.{object_type}.create", lambda: self._props.create(
            object_type, property_create=dict(spec), _preload_content=False, _request_timeout=TIMEOUT),
            accept=(409,))

    def groups(self, object_type: str) -> Answer:
        return self._call(f"hubspot.property_groups.{object_type}", lambda: self._groups.get_all(
            object_type, _preload_content=False, _request_timeout=TIMEOUT))

    def create_group(self, object_type: str, spec: Mapping[str, Any]) -> Answer:
        return self._call(f"hubspot.property_groups.{object_type}.create", lambda: self._groups.create(
            object_type, property_group_create=dict(spec), _preload_content=False, _request_timeout=TIMEOUT),
            accept=(409,))

    def close(self) -> None:
        for api in self._apis:
            pool = getattr(getattr(getattr(api, "api_client", None), "rest_client", None), "pool_manager", None)
            if pool is not None:
                pool.clear()
