"""Settings and secrets from dlt's config (.dlt/config.toml, .dlt/secrets.toml, env vars),
validated at start-up with errors that name the config key and the env var; client builders.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import dlt

from sources.common.clock import REAL_CLOCK, Clock
from sources.common.http import (
    ApiClient,
    ConfigError,
    RateLimiter,
    RetryPolicy,
    ZohoRefreshAuth,
    ZoomS2SAuth,
)

__all__ = ["ConfigError", "env_var", "setting", "url_setting", "shared_limiter", "build_zoom_client", "build_zoho_client",
           "ZOHO_DATA_CENTRES", "zoho_hosts"]

_MISSING: Any = object()
ZOOM = "sources.zoom"
ZOHO = "sources.zoho_voice"

# data centre -> (accounts host, Zoho Voice API host)
ZOHO_DATA_CENTRES = {
    "us": ("accounts.zoho.com", "voice.zoho.com"),
    "eu": ("accounts.zoho.eu", "voice.zoho.eu"),
    "in": ("accounts.zoho.in", "voice.zoho.in"),
    "au": ("accounts.zoho.com.au", "voice.zoho.com.au"),
    "jp": ("accounts.zoho.jp", "voice.zoho.jp"),
    "ca": ("accounts.zohocloud.ca", "voice.zohocloud.ca"),
    "sa": ("accounts.zoho.sa", "voice.zoho.sa"),
    "uk": ("accounts.zoho.uk", "voice.zoho.uk"),
    "cn": ("accounts.zoho.com.cn", "voice.zoho.com.cn"),
}


def env_var(key: str) -> str:
    """dlt's env var for a config key: sources.zoom.client_id -> SOURCES__ZOOM__CLIENT_ID."""
    return key.upper().replace(".", "__")


def _where(key: str, secret: bool) -> str:
    section, _, name = key.rpartition(".")
    file = ".dlt/secrets.toml" if secret else ".dlt/config.toml"
    return f"set {name} under [{section}] in {file} or the environment variable {env_var(key)}"


def _convert(value: Any, cast: type) -> Any:
    if cast is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValueError
    if isinstance(value, bool):
        raise ValueError
    if cast is int:
        number = float(value)
        if not number.is_integer():
            raise ValueError
        return int(number)
    if cast is float:
        return float(value)
    return cast(value)


_KIND = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def setting(key: str, default: Any = _MISSING, *, secret: bool = False, required: bool | None = None,
            cast: type | None = None, what: str | None = None, positive: bool = False,
            minimum: float | None = None, override: Any = _MISSING, example: Any = None) -> Any:
    """One config value or secret, read through dlt (env var, then .dlt/*.toml).

    - required (default: when no default is given): a missing or empty value raises
      ConfigError("Missing <what>: set <name> under [<section>] in .dlt/... or the
      environment variable <ENV_VAR>");
    - cast (default: the type of `default` when it is int/float/bool) converts env-var
      strings; a value that does not convert raises ConfigError saying what to type;
    - positive / minimum check numbers (> 0 / >= minimum);
    - override (when not None) is used instead of the configured value, same checks;
    - example: a good value the error messages show (default: `default`).
    """
    if required is None:
        required = default is _MISSING
    if cast is None and type(default) in (int, float, bool):
        cast = type(default)
    if override is not _MISSING and override is not None:
        value = override
    else:
        try:
            value = (dlt.secrets if secret else dlt.config).get(key)
        except Exception as exc:  # noqa: BLE001 - dlt raises many kinds; never echo its text (secrets)
            raise ConfigError(f"Cannot read {key} ({type(exc).__name__}): {_where(key, secret)}") from None
    if isinstance(value, str):
        value = value.strip()
    label = what or key
    if value is None or value == "":
        if required:
            raise ConfigError(f"Missing {label}: {_where(key, secret)}")
        return None if default is _MISSING else default
    if example is None and default is not _MISSING and default is not None and not secret:
        example = default
    eg = f", e.g. {_toml(example)}" if example is not None else ""
    if cast is not None:
        try:
            value = _convert(value, cast)
        except (TypeError, ValueError):
            shown = "the configured value" if secret else repr(value)
            raise ConfigError(f"Invalid {label}: {shown} is not {_KIND.get(cast, cast.__name__)}; "
                              f"{_where(key, secret)} to {_KIND.get(cast, 'a valid value')}{eg}") from None
    if positive and not value > 0:
        raise ConfigError(f"Invalid {label}: {value!r} must be greater than 0; {_where(key, secret)} "
                          f"to a positive number{eg}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"Invalid {label}: {value!r} must be at least {minimum:g}; {_where(key, secret)} "
                          f"to {minimum:g} or more{eg}")
    return value


def _toml(value: Any) -> str:
    """A value as it is typed in config.toml (and, for numbers and words, in an env var)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def url_setting(key: str, default: str, override: Any = _MISSING) -> str:
    """An http(s) URL setting (an API base URL, a token URL); a value without a scheme or a host
    is a configuration error naming the key, the env var and the default as an example."""
    value = str(setting(key, default, override=override))
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"Invalid {key}: {value!r} is not an http(s) URL with a host; "
                          f"{_where(key, False)} to a URL like {default}")
    return value


# --------------------------------------------------------------------------- shared limiters

_LIMITERS: dict[tuple[str, str], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(provider: str, label: str, rate: int, period: float, daily: int | None,
                   clock: Clock, margin: float) -> RateLimiter:
    """One limiter per (provider, label) in the process: Zoom counts limits per account, so
    the zoom_phone and zoom_contact_center clients must share them. A changed setting or
    another clock gives a fresh limiter."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get((provider, label))
        if (limiter is None or limiter.clock is not clock
                or (limiter.rate, limiter.period, limiter.daily, limiter.margin) != (rate, period, daily, margin)):
            limiter = RateLimiter(rate, period, daily, clock=clock, name=f"{provider} {label}", margin=margin)
            _LIMITERS[(provider, label)] = limiter
        return limiter


# --------------------------------------------------------------------------- builders

class _Settings:
    """Reads keys of one section, each override (by short name) winning over the config."""

    def __init__(self, section: str, overrides: dict[str, Any]):
        self.section = section
        self.overrides = dict(overrides)

    def __call__(self, name: str, default: Any = _MISSING, *, key: str | None = None, **kw: Any) -> Any:
        return setting(f"{self.section}.{key or name}", default,
                       override=self.overrides.pop(name, _MISSING), **kw)

    def url(self, name: str, default: str) -> str:
        return url_setting(f"{self.section}.{name}", default, override=self.overrides.pop(name, _MISSING))

    def check_unused(self) -> None:
        if self.overrides:
            raise ConfigError(f"Unknown setting(s) for [{self.section}]: {sorted(self.overrides)}")


def _common(get: _Settings) -> dict[str, Any]:
    """The ApiClient keyword arguments both providers read the same way."""
    return {
        "connect_timeout": get("connect_timeout", 10.0, positive=True),
        "read_timeout": get("read_timeout", 60.0, positive=True),
        "retry": RetryPolicy(max_retries=get("max_retries", 6, minimum=0),
                             backoff_base=get("backoff_base", 1.0, positive=True),
                             backoff_max=get("backoff_max", 60.0, positive=True)),
        "pool_size": get("pool_size", 32, positive=True),
    }


def build_zoom_client(clock: Clock | None = None, **overrides: Any) -> ApiClient:
    """The Zoom client (Phone and Contact Center share one S2S app and one account's limits).

    Overrides use the key names of [sources.zoom]; the rate limits go flat (light=5) or as
    rate_limits={"light": 5}. Labels: light, medium, heavy.
    """
    clock = clock or REAL_CLOCK
    overrides = dict(overrides)
    limits = overrides.pop("rate_limits", None) or {}
    if not isinstance(limits, Mapping):
        raise ConfigError("rate_limits override must be a mapping like {'heavy': 5}")
    for name, value in limits.items():
        overrides.setdefault(name, value)
    get = _Settings(ZOOM, overrides)
    base_url = get.url("base_url", "https://api.zoom.us/v2")
    token_url = get.url("token_url", "https://zoom.us/oauth/token")
    account_id = get("account_id", secret=True, what="Zoom account id")
    client_id = get("client_id", secret=True, what="Zoom client id")
    client_secret = get("client_secret", secret=True, what="Zoom client secret")
    common = _common(get)
    margin = get("rate_margin", 0.05, minimum=0)
    rates = {label: get(label, default, key=f"rate_limits.{label}", cast=int, positive=True,
                        what=f"Zoom {label} rate (requests per second)")
             for label, default in (("light", 40), ("medium", 20), ("heavy", 10))}
    heavy_daily = get("heavy_daily", 30000, key="rate_limits.heavy_daily", positive=True,
                      what="Zoom heavy daily budget")
    get.check_unused()
    limiters = {label: shared_limiter("zoom", label, rate, 1.0, heavy_daily if label == "heavy" else None,
                                      clock, margin)
                for label, rate in rates.items()}
    auth = ZoomS2SAuth(token_url, str(account_id), str(client_id), str(client_secret), clock=clock)
    return ApiClient("zoom", base_url, auth, limiters, clock=clock, config_section=ZOOM, **common)


def zoho_hosts(data_centre: str) -> tuple[str, str]:
    """Default (token_url, base_url) for a Zoho data centre code."""
    accounts, voice = ZOHO_DATA_CENTRES[data_centre]
    return f"https://{accounts}/oauth/v2/token", f"https://{voice}"


def build_zoho_client(clock: Clock | None = None, **overrides: Any) -> ApiClient:
    """The Zoho Voice client; hosts from data_centre unless base_url / token_url are set.
    Label: default (requests_per_minute per 60 s)."""
    clock = clock or REAL_CLOCK
    get = _Settings(ZOHO, overrides)
    data_centre = str(get("data_centre", "us")).lower()
    if data_centre not in ZOHO_DATA_CENTRES:
        raise ConfigError(f"Unknown Zoho data centre {data_centre!r}: choose one of "
                          f"{', '.join(ZOHO_DATA_CENTRES)}; {_where(ZOHO + '.data_centre', False)}")
    default_token_url, default_base_url = zoho_hosts(data_centre)
    base_url = get.url("base_url", default_base_url)
    token_url = get.url("token_url", default_token_url)
    client_id = get("client_id", secret=True, what="Zoho client id")
    client_secret = get("client_secret", secret=True, what="Zoho client secret")
    refresh_token = get("refresh_token", secret=True, what="Zoho refresh token")
    rpm = get("requests_per_minute", 30, cast=int, positive=True, what="Zoho requests per minute")
    common = _common(get)
    margin = get("rate_margin", 0.1, minimum=0)
    get.check_unused()
    limiters = {"default": shared_limiter("zoho_voice", "default", rpm, 60.0, None, clock, margin)}
    auth = ZohoRefreshAuth(token_url, str(client_id), str(client_secret), str(refresh_token), clock=clock)
    return ApiClient("zoho_voice", base_url, auth, limiters, clock=clock, config_section=ZOHO, **common)
