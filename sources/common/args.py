"""Checks of the arguments every source takes (from the CLI, config or env vars).

Each error names the config key and its environment variable and says what to type.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sources.common.config import env_var
from sources.common.http import ConfigError
from sources.common.shaping import clean_text
from sources.common.windows import to_utc


def arg_error(source: str, name: str, problem: str, hint: str) -> ConfigError:
    key = f"sources.{source}.{name}"
    return ConfigError(f"{key}: {problem}; {hint} (env var {env_var(key)})")


def date_arg(source: str, name: str, value: Any) -> dt.datetime | None:
    """An ISO date/datetime (or date/datetime object) -> aware UTC datetime; None when unset."""
    if value is None or value == "":
        return None
    try:
        return to_utc(value)
    except (ValueError, TypeError) as error:
        raise arg_error(source, name, f"cannot read {value!r} as a date ({error})",
                        "type an ISO date like 2026-06-01 or 2026-06-01T00:00:00Z") from None


def list_arg(source: str, name: str, value: str | Sequence[Any] | None) -> list[str]:
    """A list, a comma-separated string or a JSON list (as dlt hands over a TOML list or an env
    var like '["a", "b"]') -> stripped non-empty texts without repeats."""
    if value is None:
        return []
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise arg_error(source, name, f"cannot read {value!r} as a list", 'type ["a", "b"] or a,b') from None
    items = value.split(",") if isinstance(value, str) else list(value)
    return list(dict.fromkeys(t for t in (clean_text(v) for v in items) if t))


def resources_arg(
    source: str, value: str | Sequence[str] | None, known: Sequence[str], aliases: Mapping[str, str] | None = None
) -> set[str]:
    """Resource names from a list, a JSON list or a comma-separated string; None -> all known."""
    if value is None:
        return set(known)
    aliases = aliases or {}
    names = {aliases.get(n, n) for n in list_arg(source, "resources", value)}
    unknown = sorted(names - set(known))
    if unknown:
        raise arg_error(source, "resources", f"unknown {unknown}", f"choose from {list(known)}")
    return names


def check_common(source: str, *, page_size: Any, max_page_size: int, lag_days: Any) -> None:
    if not 1 <= int(page_size) <= max_page_size:
        raise arg_error(source, "page_size", f"{page_size} is out of range",
                        f"type a number from 1 to {max_page_size}")
    if float(lag_days) < 0:
        raise arg_error(source, "lag_days", f"{lag_days} is negative", "type 0 or more days")


def check_range(source: str, start: dt.datetime, end: dt.datetime | None) -> None:
    if end is not None and end <= start:
        raise arg_error(source, "end_date", f"{end.isoformat()} is not after start_date {start.isoformat()}",
                        "type an end_date later than start_date")
