"""HubSpot's error bodies, as the real API writes them (CRM_APIS.md 1.5), and the exception that carries one."""

from __future__ import annotations

import uuid
from typing import Any

import orjson


def correlation_id() -> str:
    return str(uuid.uuid4())


class HubSpotError(Exception):
    """A whole-request failure: ``status`` and the JSON ``body`` HubSpot would send."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def error_body(category: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": correlation_id(),
                            "category": category}
    body.update(extra)
    return body


def opaque_bad_request() -> HubSpotError:
    """The 400 HubSpot sends for e.g. an ISO date in a search filter: no category, nothing to act on."""
    return HubSpotError(400, {"status": "error", "message": "There was a problem with the request.",
                              "correlationId": correlation_id()})


def validation_error(message: str, **extra: Any) -> HubSpotError:
    return HubSpotError(400, error_body("VALIDATION_ERROR", message, **extra))


def not_found(message: str) -> HubSpotError:
    return HubSpotError(404, error_body("OBJECT_NOT_FOUND", message))


def unauthorized() -> HubSpotError:
    return HubSpotError(401, error_body(
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
        "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"))


def property_values_error(problems: list[tuple[str, str, str]]) -> HubSpotError:
    """Whole-request 400 for invalid property values; ``problems`` = (property name, code, message).

    The message embeds the per-property details as a JSON string, like the real API.
    """
    details = [{"isValid": False, "message": msg, "error": code, "name": name, "localizedErrorMessage": msg}
               for name, code, msg in problems]
    message = "Property values were not valid: " + orjson.dumps(details).decode()
    errors = [{"message": msg, "code": code, "context": {"propertyName": [name]}} for name, code, msg in problems]
    return validation_error(message, errors=errors)


def standard_error(category: str, message: str, context: dict[str, list[str]]) -> dict[str, Any]:
    """One entry of a 207 response's ``errors`` (StandardError)."""
    return {"status": "error", "category": category, "message": message, "context": context, "links": {},
            "errors": []}
