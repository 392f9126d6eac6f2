"""The same sandbox data into DuckDB (parquet) and into Postgres (csv/COPY): same tables, counts,
keys and values (every column of every row)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from pipelines.cli import main
from pipelines.console import Console
from tests.pipelines.conftest import assert_no_duplicates, key_columns, run_inprocess, snapshot

SOURCES = ["zoom_phone", "zoom_contact_center", "zoho_voice"]


def comparable(value):
    """One value as both drivers can return it: an instant in UTC, a decimal without trailing zeros."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def table_values(wh, source: str, table: str) -> tuple[list[str], list[tuple]]:
    """(columns, rows ordered by the table's key) of every column but dlt's own."""
    dataset = wh.dataset(source)
    columns = sorted(c for c in wh.columns(dataset, table) if not c.startswith("_dlt"))
    keys = key_columns(wh, source, table)
    order = ", ".join(f'"{c}"' for c in keys)
    rows = wh.query(f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)} "
                    f"FROM {wh.qualified(dataset, table)} ORDER BY {order}")
    return columns, [tuple(comparable(v) for v in row) for row in rows]


@pytest.mark.postgres
@pytest.mark.slow
def test_duckdb_and_postgres_hold_the_same_rows(tiny_sandbox, make_wh, pg_warehouse, pg_dsn, pg_dataset_suffix,
                                                monkeypatch):
    duck = make_wh("duck")
    assert duck.loader_file_format == "parquet" and pg_warehouse.loader_file_format == "csv"
    for wh in (duck, pg_warehouse):
        results = run_inprocess(wh, SOURCES, tiny_sandbox.clock)
        assert {s: r.outcome for s, r in results.items()} == dict.fromkeys(SOURCES, "ok"), \
            {s: r.error for s, r in results.items()}

    snap_duck, snap_pg = snapshot(duck, SOURCES), snapshot(pg_warehouse, SOURCES)
    assert_no_duplicates(snap_pg)
    assert sorted(snap_duck) == sorted(snap_pg)
    assert all(snap_duck.values()), "a table is empty"
    for table in snap_duck:
        assert len(snap_duck[table]) == len(snap_pg[table]), table
        assert snap_duck[table] == snap_pg[table], table
    for name in snap_duck:  # and every value of every row
        source, table = name.split(".", 1)
        (duck_columns, duck_rows), (pg_columns, pg_rows) = (table_values(wh, source, table)
                                                            for wh in (duck, pg_warehouse))
        assert duck_columns == pg_columns, name
        differ = [(column, d[i], p[i]) for d, p in zip(duck_rows, pg_rows, strict=True)
                  for i, column in enumerate(duck_columns) if d[i] != p[i]]
        assert not differ, f"{name}: {len(differ)} values differ, e.g. {differ[:5]}"

    # the CLI finds the same warehouse from config (DSN from the env, never printed)
    sfx = pg_dataset_suffix
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", pg_dsn)
    monkeypatch.setenv("PIPELINE__RUNS_DATASET", f"callpipe_{sfx}")
    out, err = io.StringIO(), io.StringIO()
    argv = ["status", "--destination", "postgres", "--pipelines-dir", str(pg_warehouse.pipelines_dir)]
    for s in SOURCES:
        argv += ["--dataset", f"{s}={s}_{sfx}"]
    assert main(argv, console=Console(out=out, err=err, live=False)) == 0, err.getvalue()
    text = out.getvalue()
    assert "run  ok" in text and "voice_calls" in text
    password = pg_dsn.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert f":{password}@" not in text + err.getvalue()
