"""Checks of the arguments every source takes (from the CLI, config or env vars).

Each error names the config key and its environment variable and says what to type.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sources.common.config import env_var, setting
from sources.common.errors import ConfigError
from sources.common.shaping import clean_text
from sources.common.windows import to_utc


def arg_error(source: str, name: str, problem: str, hint: str) -> ConfigError:
    return key_error(f"sources.{source}.{name}", problem, hint)


def key_error(key: str, problem: str, hint: str) -> ConfigError:
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
    return list_value(f"sources.{source}.{name}", value)


def list_value(key: str, value: str | Sequence[Any] | None) -> list[str]:
    """`list_arg` for any config key (e.g. pipeline.sources)."""
    if value is None:
        return []
    given = value
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, (str, list, tuple)) or any(isinstance(v, (dict, list)) for v in value):
        raise key_error(key, f"cannot read {given!r} as a list", 'type ["a", "b"] or a,b')
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


def number_arg(source: str, name: str, value: Any, cast: type, low: float, high: float | None,
               example: Any) -> Any:
    """A whole number (cast=int) or a number in [low, high]; `example` is a good value to show."""
    try:
        number = float(value) if not isinstance(value, bool) else None
        if number is None or (cast is int and not number.is_integer()):
            raise ValueError
        number = cast(number)
    except (TypeError, ValueError):
        what = "a whole number" if cast is int else "a number"
        raise arg_error(source, name, f"{value!r} is not {what}", f"type {what} like {example}") from None
    if number < low or (high is not None and number > high):
        span = f"from {low:g} to {high:g}" if high is not None else f"of {low:g} or more"
        raise arg_error(source, name, f"{value!r} is out of range", f"type a number {span}, e.g. {example}")
    return number


def check_common(source: str, *, page_size: Any, max_page_size: int, lag_days: Any) -> None:
    number_arg(source, "page_size", page_size, int, 1, max_page_size, max_page_size)
    number_arg(source, "lag_days", lag_days, float, 0, None, 2)


def source_arguments(source: str, function: Callable[..., Any], given: Mapping[str, Any],
                     sections: Sequence[str] | None = None) -> dict[str, Any]:
    """The arguments of a source function set under [sources.<source>] (.dlt/config.toml or env
    vars), read and checked here instead of by dlt's injection, so that every bad value is a
    ConfigError naming its key, env var and a good value, and a list may be typed `a,b` as well
    as `["a", "b"]` (dlt takes only a JSON list from an env var). Arguments in `given` (and those
    of no plain type: client, clock) are left alone; unset ones keep the function's default.
    `sections`: where to look, first match wins (default [sources.<source>]; a named account
    reads its own section first, pipelines.accounts)."""
    out: dict[str, Any] = {}
    sections = list(sections or [f"sources.{source}"])
    hints = typing.get_type_hints(inspect.unwrap(function))
    for name, param in inspect.signature(function).parameters.items():
        kinds = _plain_types(hints.get(name))
        if name in given or not kinds:
            continue
        default = None if param.default is inspect.Parameter.empty else param.default
        for section in sections:
            key = f"{section}.{name}"
            if kinds == {list}:
                value = setting(key, None)
                if value is not None:
                    value = list_value(key, value)
            elif len(kinds) == 1 and kinds <= {int, float, bool}:
                value = setting(key, None, cast=next(iter(kinds)), example=default)
            elif kinds <= {str, list}:
                value = setting(key, None)
            else:
                value = None
            if value is not None:
                out[name] = value
                break
    return out


def _plain_types(hint: Any) -> set[type]:
    """{int} for int, {str, list} for `str | list[str] | None`; empty for anything else (Any...)."""
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union \
        else (hint,)
    kinds = {typing.get_origin(m) or m for m in members if m is not type(None)}
    return kinds if kinds and kinds <= {int, float, bool, str, list} else set()


def check_range(source: str, start: dt.datetime, end: dt.datetime | None) -> None:
    if end is not None and end <= start:
        raise arg_error(source, "end_date", f"{end.isoformat()} is not after start_date {start.isoformat()}",
                        "type an end_date later than start_date")
