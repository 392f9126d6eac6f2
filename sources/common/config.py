"""Settings and secrets from dlt's config (env vars, .dlt/secrets.toml, .dlt/config.toml).

The API clients' settings are dlt configuration specs (ZoomConfiguration, ZoomRateLimits,
ZoomCredentials, ZohoVoiceConfiguration, ZohoVoiceCredentials) that dlt resolves and converts;
`setting()` reads one key the same way for the sources' own arguments. Either way a bad or
missing value is a ConfigError naming the config key and the env var, and never shows a secret.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import dlt
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigurationException,
    ConfigValueCannotBeCoercedException,
    ValueNotSecretException,
)
from dlt.common.configuration.specs import BaseConfiguration, CredentialsConfiguration
from dlt.common.configuration.specs.base_configuration import extract_inner_hint
from dlt.common.configuration.utils import deserialize_value
from dlt.common.typing import TSecretStrValue

from sources.common.clock import REAL_CLOCK, Clock
from sources.common.errors import ConfigError
from sources.common.http import ApiClient, RateLimiter, RetryPolicy, ZohoRefreshAuth, ZoomS2SAuth

__all__ = ["ConfigError", "env_var", "setting", "shared_limiter", "build_zoom_client", "build_zoho_client",
           "ZoomConfiguration", "ZoomRateLimits", "ZoomCredentials", "ZohoVoiceConfiguration",
           "ZohoVoiceCredentials", "ZOHO_DATA_CENTRES", "zoho_hosts", "account_section", "DEFAULT_ACCOUNT"]

_MISSING: Any = object()
ZOOM = "sources.zoom"
ZOHO = "sources.zoho_voice"
DEFAULT_ACCOUNT = "default"  # the account of the single-account settings ([sources.zoom], [sources.zoho_voice])

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


def _toml(value: Any) -> str:
    """A value as it is typed in config.toml (and, for numbers and words, in an env var)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --------------------------------------------------------------------------- messages

_KIND = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def _missing(label: str, key: str, secret: bool) -> ConfigError:
    return ConfigError(f"Missing {label}: {_where(key, secret)}")


def _not_convertible(label: str, key: str, value: Any, cast: type, secret: bool, example: Any) -> ConfigError:
    shown = "the configured value" if secret else repr(value)
    eg = f", e.g. {_toml(example)}" if example is not None else ""
    return ConfigError(f"Invalid {label}: {shown} is not {_KIND.get(cast, cast.__name__)}; "
                       f"{_where(key, secret)} to {_KIND.get(cast, 'a valid value')}{eg}")


def _check_number(label: str, key: str, value: Any, *, secret: bool, example: Any, positive: bool,
                  minimum: float | None) -> None:
    eg = f", e.g. {_toml(example)}" if example is not None else ""
    if positive and not value > 0:
        raise ConfigError(f"Invalid {label}: {value!r} must be greater than 0; {_where(key, secret)} "
                          f"to a positive number{eg}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"Invalid {label}: {value!r} must be at least {minimum:g}; {_where(key, secret)} "
                          f"to {minimum:g} or more{eg}")


def _check_url(label: str, key: str, value: str, example: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"Invalid {label}: {value!r} is not an http(s) URL with a host; "
                          f"{_where(key, False)} to a URL like {example}")


# --------------------------------------------------------------------------- one key

def setting(key: str, default: Any = _MISSING, *, secret: bool = False, required: bool | None = None,
            cast: type | None = None, what: str | None = None, positive: bool = False,
            minimum: float | None = None, example: Any = None) -> Any:
    """One config value or secret, read through dlt (env var, then .dlt/*.toml).

    - required (default: when no default is given): a missing or empty value raises
      ConfigError("Missing <what>: set <name> under [<section>] in .dlt/... or the
      environment variable <ENV_VAR>");
    - cast (default: the type of `default` when it is int/float/bool) converts env-var
      strings; a value that does not convert raises ConfigError saying what to type;
    - positive / minimum check numbers (> 0 / >= minimum);
    - example: a good value the error messages show (default: `default`).
    """
    if required is None:
        required = default is _MISSING
    if cast is None and type(default) in (int, float, bool):
        cast = type(default)
    try:
        value = (dlt.secrets if secret else dlt.config).get(key)
    except Exception as exc:  # noqa: BLE001 - dlt raises many kinds; never echo its text (secrets)
        raise ConfigError(f"Cannot read {key} ({type(exc).__name__}): {_where(key, secret)}") from None
    if isinstance(value, str):
        value = value.strip()
    label = what or key
    if _blank(value):
        if required:
            raise _missing(label, key, secret)
        return None if default is _MISSING else default
    if example is None and default is not _MISSING and default is not None and not secret:
        example = default
    if cast is not None:
        try:
            value = deserialize_value(key, value, cast)  # dlt's conversion, as for the clients' specs
        except ConfigValueCannotBeCoercedException:
            raise _not_convertible(label, key, value, cast, secret, example) from None
    _check_number(label, key, value, secret=secret, example=example, positive=positive, minimum=minimum)
    return value


# --------------------------------------------------------------------------- the clients' specs

@configspec
class ClientConfiguration(BaseConfiguration):
    """Timeouts, retries and connections: the same keys under [sources.zoom] and [sources.zoho_voice].
    Every number must be greater than 0, except those in `zero_allowed`."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_retries: int = 6
    backoff_base: float = 1.0  # first backoff wait (seconds), doubled per retry
    backoff_max: float = 60.0
    pool_size: int = 32  # HTTP connections kept (threads sharing the client)

    zero_allowed: ClassVar[tuple[str, ...]] = ("max_retries", "rate_margin")
    labels: ClassVar[dict[str, str]] = {}  # what a message calls a key (default: "<Provider> <key words>")

    def client_options(self) -> dict[str, Any]:
        """The ApiClient keyword arguments both providers read the same way."""
        return {"connect_timeout": self.connect_timeout, "read_timeout": self.read_timeout,
                "retry": RetryPolicy(max_retries=self.max_retries, backoff_base=self.backoff_base,
                                     backoff_max=self.backoff_max),
                "pool_size": self.pool_size}


@configspec
class ZoomConfiguration(ClientConfiguration):
    """[sources.zoom]: one Server-to-Server OAuth app serves Zoom Phone and Contact Center."""

    base_url: str = "https://api.zoom.us/v2"
    token_url: str = "https://zoom.us/oauth/token"
    rate_margin: float = 0.05  # window widened by 5 % against clock skew / network jitter


@configspec
class ZoomRateLimits(BaseConfiguration):
    """[sources.zoom.rate_limits]: requests per second per label, and daily budgets per process
    (Heavy: Zoom's own 30,000 a day on Business+; Light: none by Zoom, 0 = no budget), set lower to
    leave room for the other apps of the account."""

    light: int = 40
    medium: int = 20
    heavy: int = 10
    heavy_daily: int = 30000
    light_daily: int = 0

    labels: ClassVar[dict[str, str]] = {
        **{label: f"Zoom {label} rate (requests per second)" for label in ("light", "medium", "heavy")},
        "heavy_daily": "Zoom heavy daily budget", "light_daily": "Zoom light daily budget"}
    zero_allowed: ClassVar[tuple[str, ...]] = ("light_daily",)


@configspec
class ZoomCredentials(CredentialsConfiguration):
    """The Server-to-Server OAuth app's secrets, under [sources.zoom] in .dlt/secrets.toml."""

    __section__: ClassVar[str] = None  # the keys sit in [sources.zoom] itself, not in a credentials table

    account_id: TSecretStrValue = None
    client_id: TSecretStrValue = None
    client_secret: TSecretStrValue = None


@configspec
class ZohoVoiceConfiguration(ClientConfiguration):
    """[sources.zoho_voice]: the data centre picks the hosts unless base_url / token_url are set."""

    data_centre: str = "us"
    base_url: str | None = None  # default: the data centre's API host
    token_url: str | None = None  # default: the data centre's accounts host
    requests_per_minute: int = 30
    rate_margin: float = 0.1  # 30 per 66 s: a lock-out costs 10 minutes


@configspec
class ZohoVoiceCredentials(CredentialsConfiguration):
    """The self-client's secrets, under [sources.zoho_voice] in .dlt/secrets.toml."""

    __section__: ClassVar[str] = None

    client_id: TSecretStrValue = None
    client_secret: TSecretStrValue = None
    refresh_token: TSecretStrValue = None


Spec = TypeVar("Spec", bound=BaseConfiguration)


def resolve(spec: type[Spec], section: str, provider: str, overrides: Mapping[str, Any] | None = None,
            base: Spec | None = None) -> Spec:
    """`spec` resolved by dlt under `section` (env vars, .dlt/secrets.toml, .dlt/config.toml;
    `overrides` win), then checked: numbers > 0 (>= 0 for those in `zero_allowed`). A key not
    set under `section` takes its value from `base` (a named account's timeouts and limits
    default to those of [sources.<provider>]), else the spec's default.

    As in `setting()`, a blank value counts as not set: a blank number (which dlt cannot
    convert) is resolved again with its default, blank text takes the default, a blank secret
    is missing. dlt's errors become ConfigErrors naming the key and the env var."""
    fields = {name: extract_inner_hint(hint) for name, hint in spec.get_resolvable_fields().items()}  # int, str...
    defaults = spec()
    if base is not None:
        for name in fields:
            setattr(defaults, name, getattr(base, name))
    secret = issubclass(spec, CredentialsConfiguration)

    def label(name: str) -> str:
        return getattr(spec, "labels", {}).get(name) or f"{provider} {name.replace('_', ' ')}"

    given = {name: value for name, value in (overrides or {}).items() if value is not None}
    # the documented keys themselves: dlt would also take a key's shorter paths (`client_id`)
    exact = {name: value for name in fields if name not in given
             for value in [_exact_value(f"{section}.{name}", secret)] if not _blank(value)}
    blanks: dict[str, Any] = {}  # fields found blank: resolved again with their default
    while True:
        try:
            explicit = {name: deserialize_value(name, value, fields[name])
                        for name, value in {**exact, **given}.items()}
            initial = spec()
            if base is not None:
                for name in fields:
                    setattr(initial, name, getattr(base, name))
            config = resolve_configuration(initial, sections=tuple(section.split(".")),
                                           explicit_value={**explicit, **blanks})
            break
        except ConfigValueCannotBeCoercedException as exc:
            name, value = exc.field_name, exc.field_value
            if _blank(value) and name not in given and name not in blanks:
                blanks[name] = getattr(defaults, name)
                continue
            raise _not_convertible(label(name), f"{section}.{name}", value, fields[name], secret,
                                   None if secret else getattr(defaults, name)) from None
        except ConfigFieldMissingException as exc:
            name = exc.fields[0]
            raise _missing(label(name), f"{section}.{name}", secret) from None
        except ValueNotSecretException as exc:
            name = exc.key.rpartition(".")[2]
            raise ConfigError(f"{label(name)} is a secret: move {name} under [{section}] from .dlt/config.toml "
                              f"to .dlt/secrets.toml, or set the environment variable "
                              f"{env_var(f'{section}.{name}')}") from None
        except ConfigurationException as exc:  # never echo dlt's text: it may hold a value
            raise ConfigError(f"Cannot read [{section}] ({type(exc).__name__}): check its keys in "
                              f"{'.dlt/secrets.toml' if secret else '.dlt/config.toml'} and their "
                              f"{env_var(section)}__* environment variables") from None

    zero_allowed = getattr(spec, "zero_allowed", ())
    for name, hint in fields.items():
        key, value, default = f"{section}.{name}", getattr(config, name), getattr(defaults, name)
        if isinstance(value, str):
            value = value.strip()
        if name not in given and name not in exact and value != default:
            value = None  # dlt found it under a shorter path (a top-level CLIENT_ID...): not this key's
        if _blank(value):
            if secret:
                raise _missing(label(name), key, secret)
            value = default
        elif hint in (int, float):
            _check_number(label(name), key, value, secret=secret, example=default, positive=name not in zero_allowed,
                          minimum=0 if name in zero_allowed else None)
        setattr(config, name, value)
    return config


def _exact_value(key: str, secret: bool) -> Any:
    """`key` itself (env var, then the toml files), None when unset. dlt also looks a key up under
    its shorter paths (`sources.client_id`, `client_id`), which would take another program's
    CLIENT_ID for Zoom's: callpipe reads only the keys it documents."""
    try:
        return (dlt.secrets if secret else dlt.config).get(key)
    except ConfigurationException:  # not readable as asked: dlt's own resolution says why
        return None


def _check_urls(config: BaseConfiguration, section: str, provider: str, defaults: Mapping[str, str]) -> None:
    """base_url and token_url: unset -> the default; set -> an http(s) URL with a host."""
    for name, default in defaults.items():
        if getattr(config, name) is None:
            setattr(config, name, default)
        _check_url(f"{provider} {name.replace('_', ' ')}", f"{section}.{name}", getattr(config, name), default)


def _split(overrides: Mapping[str, Any], section: str, *specs: type[BaseConfiguration]) -> list[dict[str, Any]]:
    """Overrides (by key name) shared out among `specs`; a name no spec has is a ConfigError."""
    parts: list[dict[str, Any]] = [{} for _ in specs]
    unknown = []
    for name, value in overrides.items():
        owner = next((i for i, spec in enumerate(specs) if name in spec.get_resolvable_fields()), None)
        if owner is None:
            unknown.append(name)
        else:
            parts[owner][name] = value
    if unknown:
        raise ConfigError(f"Unknown setting(s) for [{section}]: {sorted(unknown)}")
    return parts


# --------------------------------------------------------------------------- shared limiters

_LIMITERS: dict[tuple[str, str, str], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(provider: str, label: str, rate: int, period: float, daily: int | None,
                   clock: Clock, margin: float, account: str = "") -> RateLimiter:
    """One limiter per (provider, account, label) in the process: Zoom counts limits per
    account, so the zoom_phone and zoom_contact_center clients of one account share them and
    two accounts never do. A changed setting or another clock gives a fresh limiter."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get((provider, account, label))
        if (limiter is None or limiter.clock is not clock
                or (limiter.rate, limiter.period, limiter.daily, limiter.margin) != (rate, period, daily, margin)):
            name = f"{provider} {account} {label}" if account else f"{provider} {label}"
            limiter = RateLimiter(rate, period, daily, clock=clock, name=name, margin=margin)
            _LIMITERS[(provider, account, label)] = limiter
        return limiter


# --------------------------------------------------------------------------- builders

def account_section(provider: str, account: str | None = None) -> str:
    """Where an account's settings live: [sources.<provider>] for the account `default` (the
    single-account settings), [accounts.<provider>.<name>] for a named one (provider: zoom or
    zoho_voice)."""
    return f"sources.{provider}" if account in (None, DEFAULT_ACCOUNT) else f"accounts.{provider}.{account}"


def build_zoom_client(clock: Clock | None = None, account: str | None = None, **overrides: Any) -> ApiClient:
    """The Zoom client (Phone and Contact Center share one S2S app and one account's limits).

    Overrides use the key names of [sources.zoom]; the rate limits go flat (light=5) or as
    rate_limits={"light": 5}. Labels: light, medium, heavy. A named `account` reads
    [accounts.zoom.<account>]; what it does not set there (timeouts, limits, URLs) comes from
    [sources.zoom], its credentials never do.
    """
    clock = clock or REAL_CLOCK
    section = account_section("zoom", account)
    overrides = dict(overrides)
    limits = overrides.pop("rate_limits", None) or {}
    if not isinstance(limits, Mapping):
        raise ConfigError("rate_limits override must be a mapping like {'heavy': 5}")
    overrides = {**limits, **overrides}
    settings, rates, secrets = _split(overrides, section, ZoomConfiguration, ZoomRateLimits, ZoomCredentials)
    base = base_limits = None
    if section != ZOOM:
        base = resolve(ZoomConfiguration, ZOOM, "Zoom")
        base_limits = resolve(ZoomRateLimits, f"{ZOOM}.rate_limits", "Zoom")
    config = resolve(ZoomConfiguration, section, "Zoom", settings, base)
    _check_urls(config, section, "Zoom", {name: getattr(ZoomConfiguration(), name) for name in ("base_url", "token_url")})
    credentials = resolve(ZoomCredentials, section, "Zoom", secrets)
    limits = resolve(ZoomRateLimits, f"{section}.rate_limits", "Zoom", rates, base_limits)
    daily = {"heavy": limits.heavy_daily, "light": limits.light_daily or None}
    limiters = {label: shared_limiter("zoom", label, rate, 1.0, daily.get(label), clock, config.rate_margin,
                                      account="" if section == ZOOM else section)
                for label, rate in (("light", limits.light), ("medium", limits.medium), ("heavy", limits.heavy))}
    auth = ZoomS2SAuth(config.token_url, credentials.account_id, credentials.client_id, credentials.client_secret,
                       clock=clock)
    return ApiClient("zoom", config.base_url, auth, limiters, clock=clock, config_section=section,
                     **config.client_options())


def zoho_hosts(data_centre: str) -> tuple[str, str]:
    """Default (token_url, base_url) for a Zoho data centre code."""
    accounts, voice = ZOHO_DATA_CENTRES[data_centre]
    return f"https://{accounts}/oauth/v2/token", f"https://{voice}"


def build_zoho_client(clock: Clock | None = None, account: str | None = None, **overrides: Any) -> ApiClient:
    """The Zoho Voice client; hosts from data_centre unless base_url / token_url are set.
    Label: default (requests_per_minute per 60 s). A named `account` reads
    [accounts.zoho_voice.<account>], the rest from [sources.zoho_voice] (never its secrets)."""
    clock = clock or REAL_CLOCK
    section = account_section("zoho_voice", account)
    settings, secrets = _split(overrides, section, ZohoVoiceConfiguration, ZohoVoiceCredentials)
    base = resolve(ZohoVoiceConfiguration, ZOHO, "Zoho") if section != ZOHO else None
    if base is not None and setting(f"{section}.data_centre", None) is not None:
        base.base_url = base.token_url = None  # the account's own data centre picks its hosts
    config = resolve(ZohoVoiceConfiguration, section, "Zoho", settings, base)
    data_centre = config.data_centre.lower()
    if data_centre not in ZOHO_DATA_CENTRES:
        raise ConfigError(f"Unknown Zoho data centre {data_centre!r}: choose one of "
                          f"{', '.join(ZOHO_DATA_CENTRES)}; {_where(section + '.data_centre', False)}")
    token_url, base_url = zoho_hosts(data_centre)
    _check_urls(config, section, "Zoho", {"base_url": base_url, "token_url": token_url})
    credentials = resolve(ZohoVoiceCredentials, section, "Zoho", secrets)
    limiters = {"default": shared_limiter("zoho_voice", "default", config.requests_per_minute, 60.0, None, clock,
                                          config.rate_margin, account="" if section == ZOHO else section)}
    auth = ZohoRefreshAuth(config.token_url, credentials.client_id, credentials.client_secret,
                           credentials.refresh_token, clock=clock)
    return ApiClient("zoho_voice", config.base_url, auth, limiters, clock=clock, config_section=section,
                     **config.client_options())
