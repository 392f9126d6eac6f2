"""The errors callpipe raises: bad configuration (ConfigError) and failed API calls (ApiError and
its kinds), and redact_secrets, which keeps secrets out of their texts. The CLI turns them into
exit codes (pipelines/errors.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """Bad or missing configuration; the message names the config key and the env var."""


class ApiError(Exception):
    """An API call failed.

    Fields: provider, method, endpoint (route template), status (HTTP, or None when no
    answer came), code and message (the vendor's), hint (what to do), cause (our
    description of a transport failure).
    """

    def __init__(self, message: str = "", *, provider: str = "", method: str = "", endpoint: str = "",
                 status: int | None = None, code: Any = None, hint: str = "", cause: str = ""):
        self.provider = provider
        self.method = method
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.cause = cause
        super().__init__(message)

    def __str__(self) -> str:
        where = " ".join(p for p in (self.provider, self.method, self.endpoint) if p)
        facts = []
        if self.status is not None:
            facts.append(f"HTTP {self.status}")
        if self.code not in (None, ""):
            facts.append(f"code {self.code}")
        text = ", ".join(facts)
        if self.message:
            text = f"{text}: {self.message}" if text else self.message
        if self.cause:
            text = f"{text} ({self.cause})" if text else self.cause
        text = f"{where}: {text}" if where else text
        if self.hint:
            text = f"{text.rstrip('.')}. Hint: {self.hint}"
        return text

    def __reduce__(self):  # keyword-only __init__: pickle through the fields
        return _rebuild, (type(self), dict(self.__dict__))


def _rebuild(cls: type, state: dict) -> ApiError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class AuthError(ApiError):
    """Bad credentials, or the token endpoint refused to issue a token."""


class QuotaExhausted(ApiError):
    """Zoom daily limit, Zoho lock-out or our own daily budget: resumable, never retried."""

    def __init__(self, message: str = "", *, retry_at: dt.datetime | None = None, **fields: Any):
        self.retry_at = retry_at
        super().__init__(message, **fields)


class MalformedResponse(ApiError):
    """The body is not the JSON we expect (raised after the retries for unparseable bodies)."""


class RetriesExhausted(ApiError):
    """429 / 5xx / timeouts / connection errors kept failing; `cause` names the last one."""


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (4 characters or more) replaced by ***."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
