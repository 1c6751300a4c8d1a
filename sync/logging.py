"""Logging, configured once at the entry point.

structlog renders JSON lines when stderr is not a terminal and readable console lines when it
is; stdlib loggers (apscheduler, urllib3, alembic) go through the same pipeline. The tenant and
run id are bound as context (``structlog.contextvars.bind_contextvars``). Secrets are redacted
at any depth, by key (``access_token``, ``client_secret``...) and by value pattern (``Bearer ...``,
``client_secret=...``, HubSpot private-app tokens, Salesforce session ids), and any value
registered with :func:`register_secret` is masked wherever it appears.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[REDACTED]"

SECRET_KEYS = frozenset({
    "access_token", "refresh_token", "id_token", "authorization", "proxy-authorization", "password",
    "passwd", "client_secret", "session_id", "sessionid", "sid", "private_key", "private_key_pem", "api_key",
    "apikey", "secret", "token", "assertion", "cookie", "set-cookie", "x-api-key", "security_token",
})

_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic|oauth)\s+[A-Za-z0-9._~+/=!-]{6,}"), r"\1 " + REDACTED),
    (re.compile(r"(?i)\b(access_token|refresh_token|client_secret|password|assertion|session_id|sessionid|"
                r"security_token|api_key|private_key)(\"?\s*[=:]\s*\"?)([^&\s\"',;}]+)"),
     r"\1\2" + REDACTED),
    # a bare "token" is also an English word ("the access token: Authentication failed"): its value must
    # hold a digit, as every real token does, to be masked
    (re.compile(r"(?i)\b(token)(\"?\s*[=:]\s*\"?)(?=[^&\s\"',;}]*\d)([^&\s\"',;}]+)"), r"\1\2" + REDACTED),
    (re.compile(r"\bpat-[a-z0-9]{2,4}-[0-9a-fA-F-]{20,}\b"), REDACTED),                 # HubSpot private app
    (re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{20,}"), REDACTED),              # Salesforce session
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), REDACTED),
)

_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask this exact value wherever it appears in a log line (values shorter than 6 are ignored)."""
    if value and len(value) >= 6:
        _registered.add(value)


def register_secrets(values: Iterable[str | None]) -> None:
    for value in values:
        register_secret(value)


def register_tenant_secrets(tenant: Any) -> None:
    """Mask a tenant's CRM secrets (access token, client secret, private key) wherever they appear."""
    for key in ("access_token", "client_secret", "private_key"):
        value = getattr(tenant.crm, key, None)
        if value is not None:
            register_secret(value.get_secret_value())


def redact_text(text: str) -> str:
    for pattern, replacement in _VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    for secret in _registered:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_value(value: Any, key: str | None = None) -> Any:
    if key is not None and key.lower() in SECRET_KEYS and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, MutableMapping | dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value)) if _looks_sensitive(value) else value


def _looks_sensitive(value: Any) -> bool:
    # Exceptions and objects whose str() may carry request headers or bodies (e.g. HubSpot ApiException).
    return isinstance(value, BaseException) or type(value).__module__.split(".")[0] in {
        "hubspot", "simple_salesforce", "requests", "urllib3"}


def redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: redact secrets by key and by value, at any depth."""
    return {key: redact_value(value, key) for key, value in event_dict.items()}


def _stdlib_level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    resolved = logging.getLevelName(level.upper())
    return resolved if isinstance(resolved, int) else logging.INFO


def configure(level: str | int | None = None, *, json: bool | None = None, stream: TextIO | None = None) -> None:
    """Configure structlog and the stdlib root logger. Call once, at the entry point.

    ``level`` defaults to ``$CRMSYNC_LOG_LEVEL`` or INFO; ``json`` to "stream is not a terminal"
    (``$CRMSYNC_LOG_FORMAT`` = json|console overrides).
    """
    stream = stream or sys.stderr
    level = _stdlib_level(level or os.environ.get("CRMSYNC_LOG_LEVEL", "INFO"))
    fmt = os.environ.get("CRMSYNC_LOG_FORMAT", "").lower()
    if json is None:
        json = fmt == "json" or (fmt != "console" and not stream.isatty())
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        timestamper,
    ]
    renderer: Processor = (structlog.processors.JSONRenderer() if json
                           else structlog.dev.ConsoleRenderer(colors=stream.isatty()))
    structlog.configure(
        processors=[*shared, structlog.processors.StackInfoRenderer(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("urllib3", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
