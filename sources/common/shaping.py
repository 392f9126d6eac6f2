"""Turn pages of API rows into typed Arrow tables.

Resources yield one Arrow table per API page (dict rows yielded one at a time were
measured ~25x slower to load). Known columns get declared types; unknown fields are kept
with inferred types, so a new vendor field never breaks a load nor disappears.
A value that cannot be parsed is never dropped: the typed column is null and the
original text lands in `<column>_raw`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# column kinds
TEXT = "text"  # ids, phone numbers, enums: str, trimmed
TS = "ts"  # ISO 8601 string -> timestamp UTC
TS_MS = "ts_ms"  # epoch milliseconds (number or string) -> timestamp UTC
INT = "int"
FLOAT = "float"
BOOL = "bool"
MONEY = "money"  # "$0.0255" -> decimal(18, 6)
SECONDS = "seconds"  # "mm:ss" / "h:mm:ss" / number -> integer seconds

Columns = Mapping[str, str]
log = logging.getLogger(__name__)

# undeclared fields named like this are ids / numbers / codes: text, never inferred as numbers
# (extension numbers arrive as JSON numbers on some rows and strings on others)
ID_SUFFIXES = ("_id", "_uuid", "_number", "_code", "_ext_id")

UTC = dt.UTC
MONEY_TYPE = pa.decimal128(18, 6)
TS_TYPE = pa.timestamp("us", tz="UTC")
_ARROW_TYPES = {
    TEXT: pa.string(),
    TS: TS_TYPE,
    TS_MS: TS_TYPE,
    INT: pa.int64(),
    FLOAT: pa.float64(),
    BOOL: pa.bool_(),
    MONEY: MONEY_TYPE,
    SECONDS: pa.int64(),
}


class InvalidRecord(ValueError):
    """A record the API returned is unusable (e.g. it lacks its key)."""


# ---------------------------------------------------------------- single values


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def parse_ts(value: Any) -> dt.datetime | None:
    """ISO 8601 (with Z or an offset, or a bare date) or epoch seconds/ms -> aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        return parse_epoch_ms(value)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(text)  # raises ValueError on junk
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_epoch_ms(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    number = int(str(value).strip())
    if number < 100_000_000_000:  # seconds, not milliseconds
        number *= 1000
    return dt.datetime.fromtimestamp(number / 1000, tz=UTC)


_MONEY_JUNK = re.compile(r"[,\s$€£¥]|USD|EUR|GBP")


def parse_money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not money: {value!r}")
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    try:
        return Decimal(_MONEY_JUNK.sub("", str(value)))
    except InvalidOperation:
        raise ValueError(f"not money: {value!r}") from None


def parse_seconds(value: Any) -> int | None:
    """'54', '00:54', '1:02:03', '75:10' (minutes may exceed 59) -> seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    parts = str(value).strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a duration: {value!r}")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def parse_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"not an integer: {value!r}")
    number = int(str(value).strip()) if isinstance(value, str) else int(value)
    if not -(2**63) <= number < 2**63:
        raise ValueError(f"beyond a 64-bit integer: {value!r}")
    return number


def parse_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y"):
        return True
    if text in ("false", "0", "no", "n"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


_PARSERS = {
    TS: parse_ts,
    TS_MS: parse_epoch_ms,
    INT: parse_int,
    FLOAT: lambda v: None if v is None or v == "" else float(v),
    BOOL: parse_bool,
    MONEY: parse_money,
    SECONDS: parse_seconds,
}


# ---------------------------------------------------------------- rows


def flatten(row: Mapping[str, Any], nested: Iterable[str] | None = None, sep: str = "_") -> dict[str, Any]:
    """Flatten nested objects into prefixed columns: owner{id,name} -> owner_id, owner_name.

    Only the keys in `nested` are flattened when given (others stay as they are);
    with nested=None every dict value is flattened, recursively.
    """
    targets = None if nested is None else set(nested)
    if targets is not None and not any(isinstance(row.get(key), dict) for key in targets):
        return dict(row)  # nothing to flatten (e.g. call history rows): a plain copy
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict) and (targets is None or key in targets):
            for sub_key, sub_value in flatten(value, None, sep).items():
                out[f"{key}{sep}{sub_key}"] = sub_value
        else:
            out[key] = value
    return out


def require_key(row: Mapping[str, Any], key: str, where: str) -> Any:
    value = row.get(key)
    if value is None or value == "":
        raise InvalidRecord(
            f"{where}: a record has no '{key}' (its key), so it cannot be merged. "
            "The API answered an incomplete record; nothing from this run was loaded. "
            f"Record fields: {sorted(row)[:12]}"
        )
    return value


# ---------------------------------------------------------------- pages


# Python types a column may hold for Arrow to convert it in C with the same result as the
# parsers (bool is not an int here, and a float in an INT column must fail, not be truncated)
_NATIVE = {
    TEXT: {str, type(None)},
    INT: {int, type(None)},
    FLOAT: {float, int, type(None)},
    BOOL: {bool, type(None)},
}


def _typed_array(kind: str, values: list[Any]) -> tuple[pa.Array, pa.Array | None]:
    """Typed column plus, when some values did not parse, a text column of those raw values."""
    arrow_type = _ARROW_TYPES[kind]
    native = _NATIVE.get(kind)
    if native is not None and set(map(type, values)) <= native:
        try:  # fast path, in C (the usual case: the API sent the documented JSON types)
            array = pa.array(values, arrow_type)
            return (_text(array) if kind == TEXT else array), None
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # e.g. an integer beyond int64: the slow path keeps its raw text
    if kind == TEXT:
        return _text(pa.array([clean_text(v) for v in values], pa.string())), None
    if kind == TS and all(v is None or isinstance(v, str) for v in values):
        try:  # fast path: Arrow parses ISO 8601 with a zone in C
            return pa.array(values, pa.string()).cast(TS_TYPE), None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    parse = _PARSERS[kind]
    parsed: list[Any] = []
    raw: list[str | None] = []
    failed = False
    for value in values:
        try:
            parsed.append(parse(value))
            raw.append(None)
        except (ValueError, TypeError, OverflowError, ArithmeticError):
            parsed.append(None)
            raw.append(clean_text(value))
            failed = True
    typed = pa.array(parsed, arrow_type)
    return typed, (pa.array(raw, pa.string()) if failed else None)


def _text(array: pa.Array) -> pa.Array:
    """Trimmed text; an empty text is null. Postgres' csv/COPY loader cannot tell an empty text
    from a null (dlt loads with FORCE_NULL), so DuckDB gets null as well: the same on both."""
    array = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _inferred_array(values: list[Any]) -> pa.Array:
    """Type for an undeclared field. Lists and objects become JSON text: the same in DuckDB and
    Postgres (whose csv/COPY loader cannot take nested Arrow columns), and queryable as JSON."""
    if any(isinstance(v, (str, list, dict)) for v in values):
        return _text(pa.array([clean_text(v) for v in values], pa.string()))
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return _text(pa.array([clean_text(v) for v in values], pa.string()))


def rows_to_arrow(
    rows: list[Mapping[str, Any]], columns: Columns, keys: Iterable[str] = (),
    constants: Mapping[str, Any] | None = None,
) -> pa.Table:
    """Build one Arrow table from a page of (already flattened) rows.

    Every declared column is present (typed nulls if absent), then unknown fields
    in first-seen order with inferred types; unknown fields named like ids (ID_SUFFIXES)
    are text. All-null unknown fields are skipped. `keys` (the merge key columns) are
    marked not-null, as dlt declares them. `constants`: values of declared columns that
    are the same on every row of the page (source_provider, source_account).
    """
    constants = constants or {}
    names: list[str] = []
    arrays: list[pa.Array] = []
    for name, kind in columns.items():
        values = [constants[name]] * len(rows) if name in constants else [r.get(name) for r in rows]
        typed, raw = _typed_array(kind, values)
        names.append(name)
        arrays.append(typed)
        if raw is not None:
            names.append(f"{name}_raw")
            arrays.append(raw)
    extra: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in columns and key not in extra:
                extra[key] = None
    for key in extra:
        values = [r.get(key) for r in rows]
        if all(v is None for v in values):
            continue
        names.append(key)
        arrays.append(_typed_array(TEXT, values)[0] if key.endswith(ID_SUFFIXES) else _inferred_array(values))
    not_null = set(keys)
    schema = pa.schema(
        [pa.field(n, a.type, nullable=n not in not_null) for n, a in zip(names, arrays, strict=True)]
    )
    return pa.Table.from_arrays(arrays, schema=schema)


# ---------------------------------------------------------------- pages that fit their table

# the dlt data type a column already has -> the kind its values are parsed as (types shaping yields)
_KIND_OF_DLT_TYPE = {"text": TEXT, "bigint": INT, "double": FLOAT, "bool": BOOL, "timestamp": TS}


def fit_to_table(page: pa.Table, known: Mapping[str, Mapping[str, Any]], normalize: Any = str,
                 where: str = "") -> tuple[pa.Table, list[str]]:
    """Fit a page to its table: the hints its resource declares and the types the table has.

    - A column the table knows as not null (a merge or primary key the resource declares) is
      marked not null when the page has no null there: otherwise dlt warns on every page that
      the page and the hints disagree.
    - A vendor may change the type of a field (an undeclared count that turns into text one
      day). A column cannot change its type, and a page that disagrees would fail the extract
      (two pages of one table) or the load (every run from then on). So a page column whose type
      differs from the known one is parsed as the known type, and values that do not parse go to
      `<col>_raw` (text), as for declared columns. Numbers into a text column become text.

    `known`: dlt's columns of the table (data_type, nullable); `normalize`: dlt's naming of page
    column names. Returns the page and one warning per column that had values moved to `<col>_raw`.
    """
    fields, arrays, warnings = list(page.schema), list(page.columns), []
    changed = False
    for index, field in enumerate(page.schema):
        column = known.get(normalize(field.name)) or {}
        values = page.column(index)
        if column.get("nullable") is False and field.nullable and values.null_count == 0:
            fields[index], changed = field.with_nullable(False), True
        kind = _KIND_OF_DLT_TYPE.get(column.get("data_type"))
        if kind is None or field.type == _ARROW_TYPES[kind] or values.null_count == len(values):
            continue
        typed, raw = _typed_array(kind, values.to_pylist())
        fields[index], arrays[index], changed = fields[index].with_type(typed.type), typed, True
        if raw is None:
            continue
        raw_name = f"{field.name}_raw"
        if raw_name in page.column_names:  # a declared column's own unparseable values come first
            at = page.column_names.index(raw_name)
            arrays[at] = pc.coalesce(page.column(at).combine_chunks(), raw)
        else:
            fields.append(pa.field(raw_name, pa.string()))
            arrays.append(raw)
        warnings.append(f"{where}field '{field.name}' is {column['data_type']} in the table but now has "
                        f"{field.type} values: those that are not {column['data_type']} are kept as text "
                        f"in '{raw_name}'")
    if not changed:
        return page, []
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)), warnings


def fit_pages(source: Any) -> Any:
    """Pass every page of every resource of a dlt source through `fit_to_table`, against the
    hints the resource declares and the types dlt's schema holds for the table at that moment
    (restored from the warehouse, then grown page by page during the extract). Each changed
    field is warned about once."""
    import dlt

    warned: set[str] = set()

    def fitter(resource: Any) -> Any:
        def fit(page: Any, meta: Any = None) -> Any:
            if not isinstance(page, pa.Table):
                return page
            declared = resource.compute_table_schema(page, meta)
            table = declared.get("name")
            schema = dlt.current.source_schema()
            known = dict(schema.get_table_columns(table)) if table in schema.tables else {}
            for name, hints in declared.get("columns", {}).items():
                known[name] = {**known.get(name, {}), **hints}
            page, warnings = fit_to_table(page, known, schema.naming.normalize_identifier,
                                          f"{source.name}.{table}: ")
            for text in warnings:
                if text not in warned:
                    warned.add(text)
                    log.warning(text)
            return page

        return fit

    for resource in source.resources.values():
        resource.add_map(fitter(resource))
    return source


ACCOUNT_COLUMN = "source_account"


def keyed_by_account(source: Any) -> Any:
    """Add `source_account` to the primary and merge keys of every table of a dlt source.

    Several accounts of a source load into the same tables and their natural ids (a call's
    uuid, an engagement id, a Zoho logid) may collide: a merge must only replace the rows of the
    account that loaded them. Done here, on the table schema each resource computes (also for
    tables it names at runtime), so the sources keep declaring their natural keys only. Rows
    loaded before carry their account already, so an existing warehouse merges the same rows.
    """
    def keyed(compute: Any) -> Any:
        def compute_table_schema(item: Any = None, meta: Any = None) -> Any:
            table = compute(item, meta)
            columns = table.setdefault("columns", {})
            for prop in ("primary_key", "merge_key"):
                if any(hints.get(prop) for name, hints in columns.items() if name != ACCOUNT_COLUMN):
                    columns.setdefault(ACCOUNT_COLUMN, {"name": ACCOUNT_COLUMN})[prop] = True
            return table

        return compute_table_schema

    for resource in source.resources.values():
        resource.compute_table_schema = keyed(resource.compute_table_schema)
    return source
