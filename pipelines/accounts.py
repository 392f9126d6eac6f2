"""Vendor accounts: several Zoom accounts and Zoho Voice orgs loading into one warehouse.

An account is a provider (`zoom` for Zoom Phone and Contact Center, `zoho_voice`) and a name:

- `default`: today's single-account settings, [sources.zoom] / [sources.zoho_voice]; its
  pipelines keep their names (`callpipe_<source>`), so a warehouse loaded before keeps its state;
- a named account, [accounts.zoom.<name>] / [accounts.zoho_voice.<name>] (credentials by the
  same dlt conventions: ACCOUNTS__ZOOM__EMEA__CLIENT_SECRET). What it does not set (timeouts,
  rate limits, URLs) comes from [sources.<provider>], never its credentials. Its sources' own
  arguments (resources, lag_days...) are read from [accounts.zoom.<name>.<source>] (Zoho:
  [accounts.zoho_voice.<name>]) first, then [sources.<source>]. Pipeline `callpipe_<source>__<name>`.

Every account of a source writes into the same dataset and tables; each row carries its account
(`source_account`: the name, or `account_name` of [sources.<source>] for `default`), and every
table's keys include it (sources.common.shaping.keyed_by_account), so natural ids of two
accounts never collide. State, sync tokens, run lock and run records are per pipeline, so per
(source, account).

Which accounts run: `[pipeline] accounts = ["zoom.emea", "zoho_voice.default"]` (env
PIPELINE__ACCOUNTS) lists them exactly; otherwise every [accounts.<provider>.<name>] table,
plus `default` when [sources.<provider>] has credentials or no named account exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sources.common.args import list_value
from sources.common.config import DEFAULT_ACCOUNT, account_section, env_var, setting
from sources.common.errors import ConfigError

PROVIDERS = {"zoom": "zoom", "zoho": "zoho_voice"}  # SourceSpec.provider -> config section
CREDENTIAL_KEY = {"zoom": "client_id", "zoho_voice": "refresh_token"}  # says [sources.<p>] is an account
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Account:
    provider: str  # zoom | zoho_voice
    name: str = DEFAULT_ACCOUNT

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_ACCOUNT

    @property
    def section(self) -> str:
        return account_section(self.provider, self.name)

    def args_sections(self, source: str) -> list[str]:
        """Where a source's own arguments are read, first match wins."""
        if self.is_default:
            return [f"sources.{source}"]
        own = self.section if source == self.provider else f"{self.section}.{source}"
        return [own, f"sources.{source}"]

    def label(self, source: str) -> str:
        """The `source_account` value of the rows this account loads."""
        if not self.is_default:
            return self.name
        return str(setting(f"sources.{source}.account_name", DEFAULT_ACCOUNT) or DEFAULT_ACCOUNT)

    def title(self, source: str) -> str:
        """How output names a (source, account): `zoom_phone`, `zoom_phone/emea`."""
        return source if self.is_default else f"{source}/{self.name}"


def _tables(provider: str) -> list[str]:
    """The names of the [accounts.<provider>.<name>] tables in every config provider (config.toml,
    secrets.toml...): dlt.config.get would return the first provider's table only."""
    import dlt

    names: list[str] = []
    for config_provider in dlt.config.config_providers:
        try:
            found, _ = config_provider.get_value(provider, Any, None, "accounts")
        except Exception:  # noqa: BLE001 - a provider that cannot answer holds no account table
            found = None
        if isinstance(found, dict):
            names += [n for n, v in found.items() if isinstance(v, dict) and n not in names]
    return names


def check_name(provider: str, name: str) -> str:
    if name == DEFAULT_ACCOUNT:
        raise ConfigError(f"[accounts.{provider}.default]: `default` is the account of [sources.{provider}]; "
                          f"give the named account another name (letters, digits, _)")
    if not _NAME.match(name):
        raise ConfigError(f"[accounts.{provider}.{name}]: an account name is lower-case letters, digits and _ "
                          f"(starting with a letter, at most 40), e.g. [accounts.{provider}.emea]")
    return name


def configured_accounts() -> list[Account]:
    """Every account to load, defaults first (see the module docstring). Raises ConfigError."""
    listed = setting("pipeline.accounts", None)
    if listed is not None:
        out = []
        for entry in list_value("pipeline.accounts", listed):
            provider, _, name = entry.partition(".")
            if provider not in PROVIDERS.values() or not name:
                raise ConfigError(f"[pipeline] accounts lists {entry!r}: type PROVIDER.NAME with PROVIDER one of "
                                  f"{', '.join(PROVIDERS.values())}, e.g. [\"zoom.emea\", \"zoho_voice.default\"] "
                                  f"(env var {env_var('pipeline.accounts')})")
            out.append(Account(provider, name if name == DEFAULT_ACCOUNT else check_name(provider, name)))
        return out
    out = []
    for provider in PROVIDERS.values():
        named = [check_name(provider, n) for n in _tables(provider)]
        if not named or setting(f"sources.{provider}.{CREDENTIAL_KEY[provider]}", None, secret=True) is not None:
            out.append(Account(provider))
        out += [Account(provider, n) for n in named]
    return out


def source_sets(account: Account) -> list[str] | None:
    """[accounts.<provider>.<name>] sources = [...]: the sources this account loads (None: every enabled one)."""
    if account.is_default:
        return None
    value = setting(f"{account.section}.sources", None)
    return None if value is None else list_value(f"{account.section}.sources", value)


def plan_accounts(sources: list[str], only: list[str] | None = None) -> list[tuple[str, Account]]:
    """(source, account) pairs to run, grouped by account; `only`: account names (--account)."""
    from pipelines.registry import SOURCES

    accounts = configured_accounts()
    if only:
        known = {a.name for a in accounts}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise ConfigError(f"--account {', '.join(unknown)}: no such account configured; configured: "
                              f"{', '.join(sorted(known)) or 'none'}")
        accounts = [a for a in accounts if a.name in only]
    labels: dict[tuple[str, str], Account] = {}
    pairs: list[tuple[str, Account]] = []
    for account in accounts:
        wanted = source_sets(account)
        for source in sources:
            if PROVIDERS[SOURCES[source].provider] != account.provider or (wanted is not None and source not in wanted):
                continue
            label = account.label(source)
            other = labels.setdefault((source, label), account)
            if other != account:
                raise ConfigError(f"{source}: accounts {other.name} and {account.name} would both label their rows "
                                  f"source_account = {label!r}; change [sources.{source}] account_name "
                                  f"(env var {env_var(f'sources.{source}.account_name')})")
            pairs.append((source, account))
    return pairs


def named(name: Any) -> str:
    """An account name typed on the command line (argparse type)."""
    text = str(name).strip()
    if text != DEFAULT_ACCOUNT and not _NAME.match(text):
        import argparse

        raise argparse.ArgumentTypeError(f"{name!r} is not an account name: letters, digits and _, e.g. --account emea")
    return text
