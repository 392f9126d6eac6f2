"""Shared HTTP layer: one pooled client per provider, OAuth, rate limiting, retries, errors.

Contract: docs/ARCHITECTURE.md ("HTTP layer"). Secrets (client secret, refresh token,
access tokens, the Authorization header) never appear in an error text, repr or log
line: token grants go in form bodies, vendor messages are redacted, httpx exceptions
are not chained (`from None`) and the httpx/httpcore loggers are kept at WARNING.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from sources.common.clock import REAL_CLOCK, Clock
from sources.common.errors import (
    ApiError,
    AuthError,
    MalformedResponse,
    QuotaExhausted,
    RetriesExhausted,
    redact_secrets,
)

log = logging.getLogger(__name__)
# httpx logs every request line at INFO and httpcore the traffic at DEBUG: keep them quiet.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

UTC = dt.UTC
ZOHO_LOCKOUT_SECONDS = 600.0  # Zoho locks a client out for 10 minutes when it exceeds its rate
USER_AGENT = "callpipe/0.1 (+dlt)"
# Zoom: "Invalid access token, does not contain scopes:[...]" (HTTP 400, 401 or 403). The app lacks
# a scope: a new token would not have it either, so it is never a token renewal
ZOOM_MISSING_SCOPE_CODE = "4711"
MISSING_SCOPE_HINT = ("the Zoom app lacks the scope named in the message: add it to the app's scopes "
                      "(Zoom App Marketplace, Manage, your Server-to-Server OAuth app, Scopes)")


# --------------------------------------------------------------------------- errors

# ConfigError, ApiError and its kinds, redact_secrets: sources/common/errors.py


# --------------------------------------------------------------------------- rate limiting

def next_utc_midnight(now: dt.datetime) -> dt.datetime:
    day = now.astimezone(UTC).date() + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


class RateLimiter:
    """At most `rate` sends in any window of `period` seconds (a sliding window on
    clock.monotonic()), plus an optional budget of `daily` sends per UTC day.

    `margin` widens the window by that fraction of `period`, so clock skew or network
    jitter between us and the server cannot push the server's count over its limit.
    A waiting thread sleeps while holding the lock: the others queue behind it, and a
    simulated clock is advanced by one sleeper at a time.
    """

    def __init__(self, rate: int, period: float = 1.0, daily: int | None = None,
                 clock: Clock = REAL_CLOCK, name: str = "", margin: float = 0.0):
        if rate <= 0 or period <= 0 or margin < 0 or (daily is not None and daily <= 0):
            raise ValueError(f"rate limiter {name!r}: rate, period and daily must be > 0, margin >= 0")
        self.rate = int(rate)
        self.period = float(period)
        self.daily = int(daily) if daily else None
        self.clock = clock
        self.name = name
        self.margin = float(margin)
        self._window = self.period * (1.0 + self.margin)
        self._sent: deque[float] = deque()
        self._day: dt.date | None = None
        self._day_count = 0
        self._blocked_until: dt.datetime | None = None
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block (clock.sleep) until a request may be sent; QuotaExhausted when the day's budget
        is spent or the limiter was blocked (see block_until)."""
        with self._lock:
            self._check_quota()
            while True:
                now = self.clock.monotonic()
                while self._sent and self._sent[0] <= now - self._window:
                    self._sent.popleft()
                if len(self._sent) < self.rate:
                    break
                # at least 1 ms so a float rounding error cannot spin a frozen clock forever
                self.clock.sleep(max(self._sent[0] + self._window - now, 0.001))
            self._sent.append(now)
            self._day_count += 1

    def block_until(self, when: dt.datetime) -> None:
        """Refuse every acquire() until `when` (after a vendor's daily-limit 429 or lock-out)."""
        with self._lock:
            if self._blocked_until is None or when > self._blocked_until:
                self._blocked_until = when

    def _check_quota(self) -> None:
        now = self.clock.now()
        if self._blocked_until is not None:
            if now < self._blocked_until:
                raise QuotaExhausted(
                    f"requests for '{self.name}' are paused by the API until {self._blocked_until.isoformat()}",
                    retry_at=self._blocked_until, provider=self.name,
                    hint="what was loaded is kept; run again after that time")
            self._blocked_until = None
        today = now.astimezone(UTC).date()
        if today != self._day:
            self._day, self._day_count = today, 0
        if self.daily is not None and self._day_count >= self.daily:
            retry_at = next_utc_midnight(now)
            raise QuotaExhausted(
                f"the daily budget of {self.daily} requests for '{self.name}' is spent",
                retry_at=retry_at, provider=self.name,
                hint=f"what was loaded is kept; run again after {retry_at.isoformat()}")

    def __repr__(self) -> str:
        daily = f", daily={self.daily}" if self.daily else ""
        return f"RateLimiter({self.name!r}, {self.rate}/{self.period:g}s{daily}, margin={self.margin:g})"


# --------------------------------------------------------------------------- retries

@dataclass
class RetryPolicy:
    """How long a request keeps trying (the rules: docs/ARCHITECTURE.md, "HTTP layer").

    Failures (5xx, timeouts, dropped connections, bodies that are not JSON) are retried
    `max_retries` times per request; past that a request borrows retries from its client's
    shared budget, which each successful answer tops up by `budget_per_success` (holding at
    most `max_retries`). A throttle (a per-second 429, Zoho's short throttle) is waited out and
    is not a failure. Whatever the mix, a request stops after `retry_cap` retries.
    """

    max_retries: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)
    budget_per_success: float = 0.1

    @property
    def retry_cap(self) -> int:
        return 4 * self.max_retries

    def delay(self, level: int, retry_after: float | None = None) -> float:
        """Seconds to wait before a retry: the server's Retry-After when given, else exponential
        backoff with jitter (50-100 % of base * 2**(level-1); ApiClient's level is the smaller of
        the request's own failures and the client's failure streak); always capped at backoff_max."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.backoff_max)
        wait = self.backoff_base * 2 ** (level - 1)
        return min(self.backoff_max, wait * (0.5 + 0.5 * self.jitter()))


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After as seconds ("30") or as an HTTP date -> seconds from `now` (>= 0)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# --------------------------------------------------------------------------- outcomes
# What an answer (or a failed send) means; ApiClient._retrying is the one loop acting on them.

@dataclass(frozen=True)
class Success:
    value: Any  # parsed JSON (None for 204 / an empty body), or the token endpoint's response


@dataclass(frozen=True)
class Retry:
    """Send again, after `after` seconds (the server's Retry-After) or our backoff (None)."""

    cause: str
    after: float | None = None
    status: int | None = None
    throttled: bool = False  # the API asks us to slow down (429): not a failure
    malformed: bool = False  # the body was not JSON: MalformedResponse if we give up


@dataclass(frozen=True)
class Reauth:
    """The API refused the access token: get a new one and send again."""

    status: int
    code: Any
    message: str


@dataclass(frozen=True)
class Quota:
    """Daily limit or lock-out: stop, and pause the label's limiter until error.retry_at."""

    error: QuotaExhausted


@dataclass(frozen=True)
class Fail:
    error: ApiError


Outcome = Success | Retry | Reauth | Quota | Fail


# --------------------------------------------------------------------------- auth

class _TokenAuth:
    """Caches one access token until shortly before it expires; one thread refreshes it.

    `token(post)` calls `post(url, data, basic_auth)` (the ApiClient's token request,
    with its retries) only when no valid token is cached. `hint` (what to check when the token
    endpoint refuses the credentials) and `refused_hint` (when the API refuses the tokens it
    issued) are the vendor's.
    """

    vendor = ""
    scheme = ""
    hint = ""
    refused_hint = ""

    def __init__(self, token_url: str, clock: Clock = REAL_CLOCK):
        self.token_url = token_url
        self.clock = clock
        self._state: tuple[str, float] | None = None  # (token, refresh at), swapped atomically
        self._issued: deque[str] = deque(maxlen=8)  # recent tokens, for redaction
        self._accepted: deque[str] = deque(maxlen=8)  # recent tokens the API answered successfully
        self._lock = threading.Lock()

    def token(self, post: Callable[..., httpx.Response]) -> str:
        token = self._valid()
        if token:
            return token
        with self._lock:
            token = self._valid()  # another thread may have refreshed it while we waited
            if token:
                return token
            data, basic = self._grant()
            response = post(self.token_url, data, basic)
            token, lifetime = self._parse(response)
            # refresh 5 minutes (or 10 % of a short lifetime) before the vendor's expiry
            self._state = (token, self.clock.monotonic() + lifetime - min(300.0, 0.1 * lifetime))
            self._issued.append(token)
            log.info("%s: new access token (valid %ds)", self.vendor, int(lifetime))
            return token

    def accepted(self, token: str) -> None:
        """The API answered a request made with `token` successfully."""
        if token not in self._accepted:
            with self._lock:
                if token not in self._accepted:
                    self._accepted.append(token)

    def refused(self, token: str) -> bool:
        """The API refused `token` (401): drop it if it is still the cached one (many threads may
        report the same 401). True when it had worked before: it expired or was revoked."""
        with self._lock:
            if self._state and self._state[0] == token:
                self._state = None
            return token in self._accepted

    def header(self, token: str) -> dict[str, str]:
        return {"Authorization": f"{self.scheme} {token}"}

    def secrets(self) -> list[str]:
        return list(self._issued)

    def _valid(self) -> str | None:
        state = self._state
        return state[0] if state and self.clock.monotonic() < state[1] else None

    def _grant(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        raise NotImplementedError

    def _parse(self, response: httpx.Response) -> tuple[str, float]:
        raise NotImplementedError

    def _fail(self, response: httpx.Response, code: Any, message: str, hint: str = "") -> AuthError:
        return AuthError(redact_secrets(message, self.secrets()), provider=self.vendor, method="POST",
                         endpoint="token", status=response.status_code, code=code, hint=hint or self.hint)

    def __repr__(self) -> str:
        cached = "cached" if self._valid() else "none"
        return f"{type(self).__name__}(token_url={self.token_url!r}, token={cached})"


def _json_or_empty(response: httpx.Response) -> dict:
    try:
        body = json.loads(response.content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


class ZoomS2SAuth(_TokenAuth):
    """Zoom Server-to-Server OAuth: account_credentials grant, HTTP Basic client_id:client_secret."""

    vendor = "zoom"
    scheme = "Bearer"
    hint = ("check account_id, client_id and client_secret under [sources.zoom] in .dlt/secrets.toml "
            "(env SOURCES__ZOOM__ACCOUNT_ID, SOURCES__ZOOM__CLIENT_ID, SOURCES__ZOOM__CLIENT_SECRET), and that "
            "the Server-to-Server OAuth app is activated with the phone/contact_center read scopes")
    refused_hint = ("Zoom issued access tokens but the API refused them: check that the Server-to-Server "
                    "OAuth app is activated and has the phone/contact_center read scopes")

    def __init__(self, token_url: str, account_id: str, client_id: str, client_secret: str,
                 clock: Clock = REAL_CLOCK):
        super().__init__(token_url, clock)
        self._account_id = account_id
        self._client_id = client_id
        self._client_secret = client_secret

    def _grant(self):
        data = {"grant_type": "account_credentials", "account_id": self._account_id}
        return data, (self._client_id, self._client_secret)

    def secrets(self) -> list[str]:
        return [self._client_secret, *super().secrets()]

    def _parse(self, response):
        body = _json_or_empty(response)
        token = body.get("access_token")
        if response.status_code == 200 and isinstance(token, str) and token:
            return token, float(body.get("expires_in") or 3600)
        code = body.get("error") or body.get("code")
        message = str(body.get("reason") or body.get("error_description") or body.get("message")
                      or "the token endpoint did not return an access_token")
        raise self._fail(response, code, message)


class ZohoRefreshAuth(_TokenAuth):
    """Zoho OAuth refresh-token grant. Zoho throttles minting, so the token is cached and reused."""

    vendor = "zoho"
    scheme = "Zoho-oauthtoken"
    hint = ("check client_id, client_secret and refresh_token under [sources.zoho_voice] in .dlt/secrets.toml "
            "(env SOURCES__ZOHO_VOICE__CLIENT_ID, SOURCES__ZOHO_VOICE__CLIENT_SECRET, "
            "SOURCES__ZOHO_VOICE__REFRESH_TOKEN) and that data_centre (SOURCES__ZOHO_VOICE__DATA_CENTRE) "
            "is the one the refresh token was issued in")
    refused_hint = ("Zoho issued access tokens but the API refused them: check that the refresh token has "
                    "the ZohoVoice.call.READ scope and that base_url (SOURCES__ZOHO_VOICE__BASE_URL) is in "
                    "the data centre it was issued in")

    def __init__(self, token_url: str, client_id: str, client_secret: str, refresh_token: str,
                 clock: Clock = REAL_CLOCK):
        super().__init__(token_url, clock)
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token

    def _grant(self):
        data = {"grant_type": "refresh_token", "client_id": self._client_id,
                "client_secret": self._client_secret, "refresh_token": self._refresh_token}
        return data, None

    def secrets(self) -> list[str]:
        return [self._client_secret, self._refresh_token, *super().secrets()]

    def _parse(self, response):
        body = _json_or_empty(response)
        token = body.get("access_token")
        error = body.get("error")
        if response.status_code == 200 and not error and isinstance(token, str) and token:
            return token, float(body.get("expires_in") or 3600)
        message = str(body.get("error_description") or error or "the token endpoint did not return an access_token")
        hint = ""
        if str(error).lower() == "access denied":
            message = f"Zoho refused to mint a token ({message})"
            hint = ("Zoho throttles access-token minting (about 10 per refresh token per 10 minutes): "
                    "wait about 10 minutes before running again, and do not run several pipelines at once")
        raise self._fail(response, error, message, hint)


# --------------------------------------------------------------------------- client

class ApiClient:
    """One pooled httpx.Client per provider, with auth, per-label rate limiters and retries.

    stats(): {endpoint template: HTTP attempts sent} plus "_retries" (re-sends after a
    failure, a throttle or a 401, token requests included), "_429" (429 answers received)
    and "_token" (token requests sent).
    """

    def __init__(self, provider: str, base_url: str, auth: _TokenAuth, limiters: Mapping[str, RateLimiter],
                 *, clock: Clock = REAL_CLOCK, connect_timeout: float = 10.0, read_timeout: float = 60.0,
                 retry: RetryPolicy | None = None, pool_size: int = 32, config_section: str = "",
                 transport: httpx.BaseTransport | None = None):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.limiters = dict(limiters)
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.config_section = config_section or f"sources.{provider}"
        self._http = httpx.Client(
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout,
                                  pool=read_timeout),
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size,
                                keepalive_expiry=30.0),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            transport=transport,
        )
        self._stats: dict[str, int] = {"_retries": 0, "_429": 0, "_token": 0}
        self._stats_lock = threading.Lock()  # also guards the two below
        self._streak = 0  # attempts in a row, over all threads, that got no successful answer
        self._budget = 0.0  # retries a request may borrow past max_retries (RetryPolicy)

    # -- public ------------------------------------------------------------
    def get(self, path: str, params: Any = None, *, label: str, endpoint: str | None = None) -> Any:
        """GET base_url + path; parsed JSON, or None for HTTP 204 / an empty body.

        `endpoint` is the route template for stats and errors; `label` picks the limiter.
        """
        return self.request("GET", path, params, label=label, endpoint=endpoint)

    def request(self, method: str, path: str, params: Any = None, *, label: str,
                endpoint: str | None = None) -> Any:
        endpoint = endpoint or path
        limiter = self.limiters.get(label)
        if limiter is None:
            raise ValueError(f"{self.provider}: unknown rate label {label!r}; known: {sorted(self.limiters)}")
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        where = {"provider": self.provider, "method": method, "endpoint": endpoint}

        def attempt() -> tuple[Outcome, str]:
            try:
                limiter.acquire()
            except QuotaExhausted as exc:
                raise QuotaExhausted(exc.message, retry_at=exc.retry_at, hint=exc.hint, **where) from None
            token = self.auth.token(self._post_token)
            self._count(endpoint)
            response, cause = self._send(method, url, params=params, headers=self.auth.header(token))
            if response is None:
                return Retry(cause), token
            if response.status_code == 429:
                self._count("_429")
            return self._classify(response, where, label), token

        hint = (f"the API kept failing; run again later, or raise max_retries / backoff_max "
                f"under [{self.config_section}]")
        return self._retrying(attempt, where, "gave up", hint, limiter)

    def stats(self) -> dict[str, int]:
        with self._stats_lock:
            return dict(self._stats)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"ApiClient(provider={self.provider!r}, base_url={self.base_url!r}, "
                f"labels={sorted(self.limiters)}, auth={self.auth!r})")

    # -- the retry loop ------------------------------------------------------
    def _retrying(self, attempt: Callable[[], tuple[Outcome, str | None]], where: dict[str, str], gave_up: str,
                  hint: str, limiter: RateLimiter | None = None) -> Any:
        """Call `attempt()` (one send -> its outcome and the access token it used) until an outcome
        is final. For API calls and the token request alike."""
        policy = self.retry
        # this request's retries so far, by kind (refusals: 401s on tokens that never worked)
        throttles = failures = reauths = refusals = 0
        while True:
            outcome, token = attempt()
            if isinstance(outcome, Success):
                self._answered(token)
                return outcome.value
            if isinstance(outcome, Quota):
                if limiter is not None and outcome.error.retry_at is not None:
                    limiter.block_until(outcome.error.retry_at)  # other threads stop without sending
                raise outcome.error
            if isinstance(outcome, Fail):
                raise outcome.error
            if isinstance(outcome, Reauth):
                reauths += 1
                if not self.auth.refused(token or ""):
                    refusals += 1  # the token never worked: a second such refusal is not an expiry
                if refusals >= 2 or reauths > policy.retry_cap + 1:
                    raise AuthError(outcome.message or "the API refused the access tokens it was given",
                                    status=outcome.status, code=outcome.code, hint=self.auth.refused_hint,
                                    **where)
                self._count("_retries")
                log.info("%s %s %s: access token refused (HTTP %s); getting a new one", *where.values(),
                         outcome.status)
                continue
            if outcome.throttled:
                throttles += 1
            else:
                failures += 1
            if throttles + failures > policy.retry_cap or (failures > policy.max_retries and not self._borrow()):
                error = MalformedResponse if outcome.malformed else RetriesExhausted
                raise error(f"{gave_up} after {throttles + failures + reauths + 1} attempts", status=outcome.status,
                            cause=outcome.cause, hint=hint, **where)
            wait = policy.delay(min(throttles if outcome.throttled else failures, self._failed()), outcome.after)
            self._count("_retries")
            log.log(logging.INFO if outcome.throttled else logging.WARNING, "%s %s %s: %s; retry %d in %.1fs",
                    *where.values(), outcome.cause, throttles + failures, wait)
            self.clock.sleep(wait)

    def _answered(self, token: str | None) -> None:
        """A successful answer: the API is up (ends the failure streak, adds to the retry budget)."""
        if token:
            self.auth.accepted(token)
        with self._stats_lock:
            self._streak = 0
            self._budget = min(self._budget + self.retry.budget_per_success, float(self.retry.max_retries))

    def _failed(self) -> int:
        """-> the client's failure streak including this one. Backoff grows with the smaller of a
        request's own retries and this streak: a request that is only unlucky, while the other
        threads get answers, waits as long as a first retry does."""
        with self._stats_lock:
            self._streak += 1
            return self._streak

    def _borrow(self) -> bool:
        with self._stats_lock:
            if self._budget < 1.0:
                return False
            self._budget -= 1.0
            return True

    # -- internals -----------------------------------------------------------
    def _count(self, key: str) -> None:
        with self._stats_lock:
            self._stats[key] = self._stats.get(key, 0) + 1

    def _redact(self, text: str) -> str:
        return redact_secrets(text, self.auth.secrets())

    def _send(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response | None, str]:
        """(response, "") or, on a timeout or connection error, (None, its redacted description)."""
        try:
            return self._http.request(method, url, **kwargs), ""
        except httpx.TimeoutException as exc:
            return None, f"timeout ({type(exc).__name__})"
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            return None, f"connection error ({type(exc).__name__}: {self._redact(str(exc))})"

    def _post_token(self, url: str, data: dict[str, str], basic: tuple[str, str] | None) -> httpx.Response:
        """The token request, retried on transport errors, 429 and 5xx like an API call; any other
        answer is the auth's to read."""
        where = {"provider": self.provider, "method": "POST", "endpoint": "token"}

        def attempt() -> tuple[Outcome, None]:
            self._count("_token")
            response, cause = self._send("POST", url, data=data, auth=basic)
            if response is None:
                return Retry(cause), None
            status = response.status_code
            if status == 429 or status >= 500:
                after = parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
                return Retry(f"HTTP {status}", after, status, throttled=status == 429), None
            return Success(response), None

        return self._retrying(attempt, where, "no access token", f"the token endpoint {url} kept failing; "
                              "run again later")

    def _classify(self, response: httpx.Response, where: dict[str, str], label: str) -> Outcome:
        """What an API answer means; the one place that decides what is retried, and how."""
        status = response.status_code
        zoho = self.auth.vendor == "zoho"
        raw = response.content
        body: Any = None
        parsed = True
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                parsed = False
        code, message = _vendor_error(body if parsed else None, raw)
        message = self._redact(message)
        now = self.clock.now()
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        zoho_error = zoho and isinstance(body, dict) and str(body.get("status", "")).lower() == "error"
        cause = f"HTTP {status} {message}".strip()

        if not zoho and status >= 400 and str(code) == ZOOM_MISSING_SCOPE_CODE:
            return Fail(ApiError(message, status=status, code=code, hint=MISSING_SCOPE_HINT, **where))
        if status == 401:
            return Reauth(status, code, message)
        if zoho and (status == 429 or (zoho_error and _is_lockout(f"{code} {message}"))):
            if retry_after is not None and retry_after <= self.retry.backoff_max:
                return Retry(cause, retry_after, status, throttled=True)  # a throttle that says when: wait
            retry_at = now + dt.timedelta(seconds=ZOHO_LOCKOUT_SECONDS if retry_after is None else retry_after)
            return Quota(QuotaExhausted(
                message or "too many requests: Zoho locked this client out", retry_at=retry_at,
                status=status, code=code,
                hint=(f"what was loaded is kept; run again after {retry_at.isoformat()} and keep "
                      f"requests_per_minute under [{self.config_section}] at or below Zoho's limit (30)"),
                **where))
        if status >= 500:
            return Retry(cause, retry_after, status)
        if zoho_error:
            text = f"{code} {message}".lower()
            if "oauth" in text or "invalid_token" in text or "invalid token" in text:
                return Reauth(status, code, message)
            return Fail(ApiError(message, status=status, code=code,
                                 hint="see the Zoho Voice error code; the request was not retried", **where))
        if status == 429:
            kind = response.headers.get("X-RateLimit-Type", "").lower()
            if kind.startswith("daily") or "daily" in message.lower():
                retry_at = now + dt.timedelta(seconds=retry_after) if retry_after is not None \
                    else next_utc_midnight(now)
                return Quota(QuotaExhausted(
                    message or "daily rate limit reached", retry_at=retry_at, status=status, code=code,
                    hint=(f"Zoom's daily limit for '{label}' requests is spent; what was loaded is kept, "
                          f"run again after {retry_at.isoformat()}"),
                    **where))
            return Retry(cause, retry_after, status, throttled=True)
        if status >= 300:
            return Fail(ApiError(message, status=status, code=code, hint=_hint_for(status), **where))
        if status == 204 or not raw.strip():
            return Success(None)
        if not parsed:
            return Retry("body is not valid JSON", None, status, malformed=True)
        return Success(body)


def _vendor_error(body: Any, raw: bytes) -> tuple[Any, str]:
    """(code, message) from a Zoom / Zoho error body, or a short text snippet of any other body."""
    if isinstance(body, dict):
        code = body.get("code", body.get("error"))
        message = body.get("message") or body.get("error_description") or body.get("reason") or ""
        return code, str(message)
    if body is None and raw.strip():
        snippet = " ".join(raw[:200].decode("utf-8", "replace").split())
        return None, snippet
    return None, ""


def _is_lockout(text: str) -> bool:
    text = text.lower()
    return "too many" in text or "locked" in text or "lock out" in text or "lockout" in text


def _hint_for(status: int) -> str:
    return {
        400: "check the request parameters (dates, window length, page token)",
        403: "check the app's scopes and the account's licences",
        404: "the resource does not exist, or the user has no licence for this product",
    }.get(status, "see the vendor's error code; the request was not retried")
