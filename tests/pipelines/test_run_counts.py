"""What a run says it did, per table: new, updated, unchanged (re-read, skipped) and the total after
the run, in the summary, in `callpipe.runs` and in `callpipe status`, on DuckDB and Postgres."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest

from pipelines.cli import main
from pipelines.console import Console
from pipelines.warehouse import Warehouse
from tests.pipelines.conftest import key_columns, run_inprocess

SOURCES = ["zoom_phone", "zoom_contact_center", "zoho_voice"]
LAG = dt.timedelta(days=2)
# the list tables a nightly run re-reads, with their cursor column
REREAD = {("zoom_phone", "call_logs"): "date_time", ("zoom_phone", "call_history"): "start_time",
          ("zoom_contact_center", "voice_calls"): "start_time", ("zoom_contact_center", "engagements"): "start_time",
          ("zoho_voice", "call_logs"): "start_time"}
CC = "GET /contact_center/voice_calls"


@pytest.fixture
def world(tiny_world):
    """A few days with enough Contact Center calls that one is still in progress when listed."""
    from tests.conftest import SANDBOX_START

    sb = tiny_world(start=SANDBOX_START, days=3, cc_calls_per_day=40)
    for _ in range(48):
        now = sb.clock.now()
        if any(e["result"] == "in_progress" for e in sb.truth.voice_calls(now - dt.timedelta(days=1), now)):
            return sb
        sb.clock.advance(hours=1)
    pytest.fail("no Contact Center engagement in progress in two days")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request, tmp_path):
    if request.param == "duckdb":
        yield Warehouse.duckdb(tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")
        return
    dsn = request.getfixturevalue("pg_dsn")
    sfx = request.getfixturevalue("pg_dataset_suffix")
    pg = Warehouse.postgres(dsn, datasets={s: f"{s}_{sfx}" for s in SOURCES}, analytics_dataset=f"analytics_{sfx}",
                            runs_dataset=f"callpipe_{sfx}", pipelines_dir=tmp_path / "pipelines")
    yield pg
    schemas = [r[0] for r in pg.query("SELECT schema_name FROM information_schema.schemata "
                                      "WHERE schema_name LIKE ?", [f"%{sfx}%"])]
    pg.execute([f'DROP SCHEMA IF EXISTS "{s}" CASCADE' for s in schemas])


def data_tables(wh: Warehouse, source: str) -> list[str]:
    return [t for t in wh.tables(wh.dataset(source)) if not t.startswith("_dlt")]


def keys(wh: Warehouse, source: str, table: str, load_ids: list[str] | None = None) -> set[tuple]:
    cols = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in key_columns(wh, source, table))
    where = ""
    if load_ids is not None:
        where = " WHERE _dlt_load_id IN (" + ", ".join(f"'{i}'" for i in load_ids) + ")" if load_ids else " WHERE 1 = 0"
    return set(wh.query(f"SELECT {cols} FROM {wh.qualified(wh.dataset(source), table)}{where}"))


def reread_start(wh: Warehouse, source: str, table: str) -> dt.datetime:
    """Where the next nightly run of that list starts: the stored cursor value minus the lag."""
    resource = wh.pipeline(source).state["sources"][source]["resources"][table]
    last = resource["incremental"][REREAD[(source, table)]]["last_value"]
    last = dt.datetime.fromisoformat(str(last)) if not isinstance(last, dt.datetime) else last
    return last - LAG


def in_window(wh: Warehouse, source: str, table: str, start: dt.datetime, not_written: list[str]) -> int:
    """Rows of a list table inside the re-read window that the run did not write."""
    ids = ", ".join(f"'{i}'" for i in not_written) or "''"
    return wh.query(f"SELECT count(*) FROM {wh.qualified(wh.dataset(source), table)} "
                    f"WHERE {REREAD[(source, table)]} >= ? AND _dlt_load_id NOT IN ({ids})", [start])[0][0]


def summary_totals(text: str) -> dict[str, int]:
    return {t: int(n) for t, n in re.findall(r"^    (\w+)\s.*\btotal (\d+)$", text, re.M)}


def check(wh: Warehouse, results, before: dict, starts: dict) -> dict[str, dict]:
    """Every figure against the warehouse: keys added, keys rewritten, rows of the window skipped."""
    seen = {}
    for source, result in results.items():
        assert result.outcome == "ok", result.error
        assert set(result.tables) == set(data_tables(wh, source))
        assert summary_totals(result.summary()) == {t: c["total"] for t, c in result.tables.items()}
        for table, c in result.tables.items():
            after = keys(wh, source, table)
            written = keys(wh, source, table, result.load_ids)
            old = before.get((source, table), set())
            total = wh.query(f"SELECT count(*) FROM {wh.qualified(wh.dataset(source), table)}")[0][0]
            expected = {"new": len(after - old), "updated": len(written & old), "total": total}
            assert {k: c[k] for k in expected} == expected, (source, table)
            if (source, table) in REREAD:
                start = starts.get((source, table))
                unchanged = 0 if start is None else in_window(wh, source, table, start, result.load_ids)
                assert c["unchanged"] == unchanged, (source, table)
            else:
                assert c["unchanged"] is None, (source, table)
            seen[f"{source}.{table}"] = c
        record = wh.query_dicts(f"SELECT * FROM {wh.qualified(wh.runs_dataset, 'runs')} WHERE source = ? "
                                "ORDER BY started_at DESC LIMIT 1", [source])[0]
        assert json.loads(record["tables_json"]) == result.tables
        assert [record[f"rows_{k}"] for k in ("new", "updated", "unchanged")] == [
            sum(c[k] or 0 for c in result.tables.values()) for k in ("new", "updated", "unchanged")]
    return seen


def snapshot_keys(wh: Warehouse) -> dict:
    return {(s, t): keys(wh, s, t) for s in SOURCES for t in data_tables(wh, s)}


def rereads(wh: Warehouse) -> dict:
    """{(source, list table): where the next nightly run re-reads it from}, for the tables loaded
    (the default resources decide which Zoom Phone family is)."""
    return {k: reread_start(wh, *k) for k in REREAD if k[1] in data_tables(wh, k[0])}


def test_first_run_noop_nightly_and_a_changed_call(world, wh):
    sb = world
    # night 1: everything is new, and the totals are the tables' count(*)
    first = check(wh, run_inprocess(wh, SOURCES, sb.clock), {}, {})
    assert all(c["new"] == c["total"] > 0 and c["updated"] == 0 for c in first.values()), first

    # night 2, nothing happened: nothing new or updated (but the phone users, listed whole each
    # night); the re-read window is reported as unchanged rows
    before, starts = snapshot_keys(wh), rereads(wh)
    assert len(starts) >= 3, starts  # a Zoom Phone list, Contact Center, Zoho
    noop = check(wh, run_inprocess(wh, SOURCES, sb.clock), before, starts)
    assert {t: (c["new"], c["updated"]) for t, c in noop.items() if t != "zoom_phone.users"} == dict.fromkeys(
        (t for t in noop if t != "zoom_phone.users"), (0, 0))
    assert all(noop[f"{s}.{t}"]["unchanged"] > 0 for s, t in starts)

    # later that day: new calls, and an engagement that was in progress has completed
    pending = [e["engagement_id"] for e in sb.truth.voice_calls(sb.clock.now() - dt.timedelta(days=1),
                                                                sb.clock.now()) if e["result"] == "in_progress"]
    sb.clock.advance(hours=6)
    done = [e for e in sb.truth.voice_calls(sb.clock.now() - dt.timedelta(days=2), sb.clock.now())
            if e["engagement_id"] in pending and e["result"] != "in_progress"]
    assert done, "the engagement in progress should have completed"
    before, starts = snapshot_keys(wh), rereads(wh)
    changed = check(wh, run_inprocess(wh, SOURCES, sb.clock), before, starts)
    assert changed["zoom_contact_center.voice_calls"]["updated"] >= 1
    assert all(changed[f"{s}.{t}"]["new"] > 0 for s, t in starts), changed


def test_status_shows_the_figures_and_an_older_runs_table_is_migrated(tiny_sandbox, tmp_path):
    wh = Warehouse.duckdb(tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")
    runs = wh.qualified(wh.runs_dataset, "runs")
    # the run record as the first release wrote it, with one run in it
    wh.execute([f"CREATE SCHEMA {wh.runs_dataset}",
                f"CREATE TABLE {runs} (run_id VARCHAR PRIMARY KEY, pipeline_name VARCHAR, source VARCHAR, "
                "dataset VARCHAR, command VARCHAR, resources VARCHAR, range_start TIMESTAMPTZ, range_end TIMESTAMPTZ, "
                "started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, outcome VARCHAR, exit_code INTEGER, "
                "seconds DOUBLE PRECISION, rows_loaded BIGINT, rows_json VARCHAR, requests BIGINT, "
                "requests_json VARCHAR, load_ids VARCHAR, error VARCHAR, retry_at TIMESTAMPTZ, host VARCHAR, "
                "pid INTEGER)",
                f"INSERT INTO {runs} (run_id, source, dataset, command, started_at, outcome, rows_loaded) VALUES "
                "('old-1', 'zoho_voice', 'zoho_voice', 'run', TIMESTAMPTZ '2026-11-01 02:00:00+00', 'ok', 7)"])

    def status() -> str:
        out = io.StringIO()
        code = main(["status", "--source", "zoho_voice", "--duckdb-path", wh.location, "--pipelines-dir",
                     str(wh.pipelines_dir)], console=Console(out=out, err=io.StringIO(), live=False))
        assert code == 0
        return out.getvalue()

    assert "run  ok  7 rows loaded" in status()  # the old table reads as before
    run_inprocess(wh, ["zoho_voice"], tiny_sandbox.clock)
    result = run_inprocess(wh, ["zoho_voice"], tiny_sandbox.clock)["zoho_voice"]
    assert {"rows_new", "rows_updated", "rows_unchanged", "tables_json"} <= set(wh.columns(wh.runs_dataset, "runs"))
    unchanged = result.tables["call_logs"]["unchanged"]
    total = result.tables["call_logs"]["total"]
    text = status()
    assert f"rows 0 new, 0 updated, {unchanged} unchanged" in text
    assert f"call_logs {unchanged} unchanged" in text
    assert f"tables       call_logs {total}" in text
    assert wh.query(f"SELECT rows_loaded, rows_new FROM {runs} WHERE run_id = 'old-1'") == [(7, None)]


def test_a_run_from_another_directory_counts_its_rows_and_says_why_it_stopped_once(tiny_world, tmp_path):
    """The installed `callpipe` run where no .dlt/config.toml is (a scheduler's working directory):
    every row still carries its load id, so the summary counts new rows per table, and a time-boxed
    run says why it stopped once."""
    import subprocess
    import sys

    from tests.conftest import SANDBOX_START
    from tests.pipelines.conftest import cli_env

    sb = tiny_world(start=SANDBOX_START)
    start = dt.datetime.fromisoformat(SANDBOX_START.replace("Z", "+00:00")) - dt.timedelta(days=6)
    env = cli_env(sb, SOURCES__ZOOM_PHONE__START_DATE=start.isoformat(), PIPELINE__PROGRESS_DAYS="2")
    where = ["--source", "zoom_phone", "--duckdb-path", str(tmp_path / "w.duckdb"),
             "--pipelines-dir", str(tmp_path / "pipelines")]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    texts = []
    for limit in (["--max-requests", "5"], []):
        done = subprocess.run([sys.executable, "-m", "pipelines", "run", *where, *limit], env=env, cwd=elsewhere,
                              capture_output=True, text=True, timeout=240)
        texts.append(done.stdout)
        assert "could not count" not in done.stderr, done.stderr
    boxed, rest = texts
    assert boxed.count("--max-requests 5 reached") == 1, boxed
    assert re.search(r"call_history\s+\d+ new", boxed) and re.search(r"call_history\s+\d+ new", rest), texts
    wh = Warehouse.duckdb(tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")
    for table in data_tables(wh, "zoom_phone"):
        missing = wh.query(f"SELECT count(*) FROM {wh.qualified('zoom_phone', table)} WHERE _dlt_load_id IS NULL")
        assert missing == [(0,)], table
