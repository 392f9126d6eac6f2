"""Helpers for the analytics tests: dataset-name substitution, row normalization, doc queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from pipelines.warehouse import Warehouse

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "DATA_DICTIONARY.md"
# the dictionary's query for the worked example of Zoom's call-log guide (issue 15 point 8)
WORKED_EXAMPLE_QUERY = "who rang first, who answered, through which queue"
_QUALIFIED = re.compile(r"\b(analytics|zoom_phone|zoom_contact_center|zoho_voice)\.(?=[a-z_\"])")


def sql_for(wh: Warehouse, sql: str) -> str:
    """Rewrite the default schema names of `sql` (analytics., zoom_phone., ...) to `wh`'s datasets."""
    def sub(m: re.Match) -> str:
        name = m.group(1)
        return (wh.analytics_dataset if name == "analytics" else wh.dataset(name)) + "."

    return _QUALIFIED.sub(sub, sql)


def run(wh: Warehouse, sql: str) -> list[tuple]:
    return wh.query(sql_for(wh, sql))


def scalar(wh: Warehouse, sql: str):
    return run(wh, sql)[0][0]


def norm_value(value):
    """Comparable form of a value from DuckDB or psycopg2."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else "nan"
    if isinstance(value, float):
        return round(value, 6)
    return value


def norm_rows(rows: list[tuple]) -> list[tuple]:
    out = [tuple(norm_value(v) for v in row) for row in rows]
    return sorted(out, key=lambda r: tuple((v is None, str(v)) for v in r))


def doc_queries() -> dict[str, str]:
    """The ```sql blocks of docs/DATA_DICTIONARY.md whose first line is `-- query: <name>`."""
    text = DICTIONARY.read_text()
    out = {}
    for block in re.findall(r"```sql\n(.*?)```", text, flags=re.S):
        first = block.strip().splitlines()[0]
        m = re.match(r"--\s*query:\s*(.+)", first)
        if m:
            out[m.group(1).strip()] = block.strip().rstrip(";")
    return out


def doc_outcome_map() -> list[tuple[str, str, str]]:
    """(provider, raw value, outcome) rows of the outcome tables under '**<provider>**' in the Outcomes section."""
    text = DICTIONARY.read_text().split("## Outcomes", 1)[1].split("\n## ", 1)[0]
    out = []
    for provider, table in re.findall(r"^\*\*([a-z_]+)\*\*\n\n((?:\|.*\n)+)", text, flags=re.M):
        for outcome, values in re.findall(r"^\| ([a-z]+) \| (.*) \|$", table, flags=re.M):
            out += [(provider, raw, outcome) for raw in re.findall(r"`([^`]+)`", values)]
    return out


def doc_columns() -> dict[str, list[str]]:
    """`name` -> documented columns, from the tables under '#### `dataset.table`' headings."""
    text = DICTIONARY.read_text()
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        head = re.match(r"^####\s+`([a-z_]+\.[a-z_]+)`", line)
        if head:
            current = head.group(1)
            out[current] = []
            continue
        if line.startswith("#"):
            current = None
            continue
        if current:
            cell = re.match(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|", line)
            if cell:
                out[current].append(cell.group(1))
    return out
