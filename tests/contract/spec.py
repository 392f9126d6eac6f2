"""The vendors' published API definitions (tests/contract/openapi/), read for the contract tests.

    errors(path, body)   -> what in a served body breaks the definition of `GET path`: JSON-schema
                            violations (types, enums, required) and fields the definition does not
                            document, each as "<json path>: <problem>"
    example(path)        -> a response built from the definition's own `example` values (one item
                            per array), the "published example response" of that endpoint
    route(path)          -> the template a concrete path falls under ("/phone/call_history/abc" ->
                            "/phone/call_history/{callHistoryUuid}")

`path` is the route template as the definition spells it ("/phone/call_history/{callHistoryUuid}").
The definitions are OpenAPI 3.0 (JSON-schema draft 4 plus `nullable`), self-contained (no $ref).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

OPENAPI_DIR = Path(__file__).parent / "openapi"
FILES = ("zoom-phone.json", "zoom-contact-center.json")


@functools.cache
def _paths() -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for name in FILES:
        paths.update(json.loads((OPENAPI_DIR / name).read_text())["paths"])
    return paths


def paths() -> list[str]:
    """Every GET path the definitions hold."""
    return [p for p, ops in _paths().items() if "get" in ops]


@functools.cache
def _route_patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in paths():
        parts = re.split(r"(\{[^}]+\})", template)
        out.append((re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"),
                    template))
    return out


def route(path: str) -> str | None:
    """The template of the definitions that a concrete GET path falls under
    ("/phone/call_history/abc" -> "/phone/call_history/{callHistoryUuid}"), or None."""
    return next((template for pattern, template in _route_patterns() if pattern.match(path)), None)


def operation(path: str) -> dict[str, Any]:
    try:
        return _paths()[path]["get"]
    except KeyError:
        raise KeyError(f"GET {path} is not in the published definitions ({', '.join(FILES)})") from None


def response_schema(path: str) -> dict[str, Any]:
    return operation(path)["responses"]["200"]["content"]["application/json"]["schema"]


def parameter(path: str, name: str) -> dict[str, Any]:
    for param in operation(path).get("parameters", []):
        if param["name"] == name:
            return param
    raise KeyError(f"GET {path} has no parameter {name!r} in the definition")


def _to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 -> JSON schema: `nullable: true` becomes a null type (and a null enum value)."""
    if isinstance(schema, list):
        return [_to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _to_json_schema(v) for k, v in schema.items() if k not in ("example", "description")}
    if out.get("pattern") == "YYYY-MM-DDTHH:MM:SSZ":  # a format written as a pattern, not a regex
        out.pop("pattern")
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@functools.cache
def _validator(path: str) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(_to_json_schema(response_schema(path)))


def _undocumented(schema: dict[str, Any], value: Any, where: str) -> Iterator[str]:
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        for key, item in value.items():
            if key not in props:
                yield f"{where}.{key}: not in the definition"
            else:
                yield from _undocumented(props[key], item, f"{where}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from _undocumented(schema["items"], item, f"{where}[{i}]")


def errors(path: str, body: Any, *, limit: int = 20) -> list[str]:
    """Everything in `body` that breaks the definition of GET `path` (at most `limit` lines)."""
    found = [f"${''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in e.absolute_path)}: {e.message}"
             for e in _validator(path).iter_errors(body)]
    found += list(_undocumented(response_schema(path), body, "$"))
    return found[:limit]


def _example(schema: dict[str, Any]) -> Any:
    if "example" in schema and schema.get("type") not in ("object", "array"):
        return copy.deepcopy(schema["example"])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {key: _example(sub) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items") or {}
        if "example" in schema and not items.get("properties"):
            return copy.deepcopy(schema["example"])
        return [_example(items)]
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(kind)


def example(path: str) -> Any:
    """The published example response of GET `path`, built from the definition's `example` values."""
    return _example(response_schema(path))
