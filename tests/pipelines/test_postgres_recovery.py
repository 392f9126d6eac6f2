"""`kill -9` at the worst moment of a Postgres load: the destination committed a row, the loader
never learned it did. The next run must finish the killed run's package without loading anything
twice, and the tables must equal a clean run's.

The moment is made exact with Postgres itself, not a sleep: a deferred constraint trigger on the
table makes the loader's COMMIT wait for an advisory lock the test holds. The test kills the
loader while it waits, then lets go of the lock: the orphaned server session finishes the COMMIT
(the row is in) although the process that sent it is gone (it never wrote down that it was).
"""

from __future__ import annotations

import datetime as dt
import time

import psycopg2
import pytest

from tests.pipelines.conftest import assert_no_duplicates, cli, cli_env, cli_popen

SOURCE = "zoho_voice"  # one resource: the shortest run that writes state and data
LOCK_KEY = 1401
KILLS_AT_STATE_ROW = 10  # dlt's state row of the package (append, unique _dlt_id)
KILLS_AT_LOAD_ROW = 2  # the _dlt_loads row that marks the package complete


def connect(dsn: str):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def sql(conn, text: str, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(text, params)
        return cur.fetchall() if cur.description else []


def hold_commits_of(conn, dataset: str, table: str) -> None:
    """Every COMMIT that wrote a row into dataset.table first waits for advisory lock LOCK_KEY."""
    sql(conn, f"""
        CREATE OR REPLACE FUNCTION "{dataset}".wait_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock_shared({LOCK_KEY}); RETURN NULL; END $$;
        DROP TRIGGER IF EXISTS wait_for_test ON "{dataset}"."{table}";
        CREATE CONSTRAINT TRIGGER wait_for_test AFTER INSERT ON "{dataset}"."{table}"
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "{dataset}".wait_for_test();
    """)


def release_commits_of(conn, dataset: str, table: str) -> None:
    sql(conn, f'DROP TRIGGER IF EXISTS wait_for_test ON "{dataset}"."{table}"')


def waiting_backend(conn) -> int | None:
    rows = sql(conn, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
               [LOCK_KEY])
    return rows[0][0] if rows else None


def kill_at_commit(conn, args, env, dataset: str, table: str) -> None:
    """Run callpipe until its COMMIT of a row into `table` waits; kill -9 it; let the COMMIT finish."""
    sql(conn, "SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    proc = cli_popen(args, env)
    try:
        deadline = time.monotonic() + 90
        backend = None
        while backend is None and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            backend = waiting_backend(conn)
        assert backend is not None, (f"the run never reached its commit into {table} "
                                     f"(exit {proc.poll()}):\n" + proc.communicate(timeout=30)[1][-3000:])
        proc.kill()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
        sql(conn, "SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    deadline = time.monotonic() + 30  # the orphaned session commits, then finds its client gone
    while sql(conn, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]) and time.monotonic() < deadline:
        time.sleep(0.05)


def packages(pipelines_dir) -> list:
    """Load packages extracted but not loaded (a killed write may leave an empty temp file there too)."""
    return [p for p in pipelines_dir.rglob(f"callpipe_{SOURCE}/load/normalized/*") if p.is_dir()]


def table_rows(conn, dataset: str, table: str, key: str) -> list[tuple]:
    """Every row, key first, every column but dlt's own (load ids differ between two warehouses)."""
    columns = [r[0] for r in sql(conn, "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                                       "AND table_name = %s AND column_name NOT LIKE '\\_dlt%%' ORDER BY 1",
                                 [dataset, table])]
    select = ", ".join(f'"{c}"' for c in [key, *columns])
    return sql(conn, f'SELECT {select} FROM "{dataset}"."{table}" ORDER BY "{key}"')


@pytest.mark.postgres
@pytest.mark.slow
def test_kill_9_right_after_a_postgres_commit_then_the_next_run_finishes_the_package(
        tiny_world, pg_dsn, pg_dataset_suffix, tmp_path):
    sfx = pg_dataset_suffix
    dataset, clean_dataset = f"{SOURCE}_{sfx}", f"{SOURCE}_clean_{sfx}"
    # frozen in the past, one day further on each kill: every run has new calls, so new state to write
    days_back = KILLS_AT_STATE_ROW + KILLS_AT_LOAD_ROW + 2
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_back)).replace(microsecond=0)
    sb = tiny_world(start=start.isoformat(), zoho_calls_per_day=6)
    env = cli_env(sb, DESTINATION__POSTGRES__CREDENTIALS=pg_dsn, PIPELINE__RUNS_DATASET=f"callpipe_{sfx}")

    def args(ds: str, pipelines: str) -> list[str]:
        return ["run", "--source", SOURCE, "--destination", "postgres", "--dataset", f"{SOURCE}={ds}",
                "--analytics-dataset", f"analytics_{sfx}", "--pipelines-dir", str(tmp_path / pipelines)]

    conn = connect(pg_dsn)
    try:
        first = cli(args(dataset, "pl"), env)
        assert first.returncode == 0, first.stderr
        kills = [("_dlt_pipeline_state", "state row")] * KILLS_AT_STATE_ROW + [("_dlt_loads", "load row")] * KILLS_AT_LOAD_ROW
        for table, _ in kills:
            sb.clock.advance(days=1)
            hold_commits_of(conn, dataset, table)
            # the run first finishes the package the previous kill left, then extracts the new day
            kill_at_commit(conn, args(dataset, "pl"), env, dataset, table)
            release_commits_of(conn, dataset, table)
            # the kill came after the commit: the row is in, its package is not marked loaded locally
            unfinished = sql(conn, f'SELECT count(*) FROM "{dataset}"._dlt_pipeline_state s WHERE NOT EXISTS '
                                   f'(SELECT 1 FROM "{dataset}"._dlt_loads l WHERE l.load_id = s._dlt_load_id)')
            if table == "_dlt_pipeline_state":
                assert unfinished == [(1,)], "the state row of the killed run was not committed"
            assert packages(tmp_path / "pl"), "the killed run left no package to finish"

        last = cli(args(dataset, "pl"), env)
        assert last.returncode == 0, last.stderr
        assert "loading the pending packages of an interrupted run first" in last.stderr
        assert "did not finish" in last.stderr  # the killed run was found out (no lock file on Postgres)
        assert not packages(tmp_path / "pl"), last.stderr  # every package loaded
        again = cli(args(dataset, "pl"), env)  # and the source is not wedged: the nightly run after works
        assert again.returncode == 0, again.stderr

        clean = cli(args(clean_dataset, "clean-pl"), env)
        assert clean.returncode == 0, clean.stderr
        for table, key in (("call_logs", "logid"),):
            killed, reference = table_rows(conn, dataset, table, key), table_rows(conn, clean_dataset, table, key)
            assert_no_duplicates({table: [r[:1] for r in killed]})
            assert len(killed) > 10 * 6
            assert killed == reference, table
        outcomes = sql(conn, f'SELECT outcome, count(*) FROM "callpipe_{sfx}".runs GROUP BY 1 ORDER BY 1')
        assert outcomes == [("interrupted", len(kills)), ("ok", 4)]
        loads = sql(conn, f'SELECT load_id, count(*) FROM "{dataset}"._dlt_loads GROUP BY 1 HAVING count(*) > 1')
        assert loads == [], "a package was recorded as loaded twice"
        states = sql(conn, f'SELECT _dlt_load_id, count(*) FROM "{dataset}"._dlt_pipeline_state GROUP BY 1 '
                           "HAVING count(*) > 1")
        assert states == [], "a state row was written twice"
        tables = sql(conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                           "AND table_name NOT LIKE '\\_dlt%%'", [dataset])
        assert sorted(t for (t,) in tables) == ["call_logs"]
    finally:
        schemas = [r[0] for r in sql(conn, "SELECT schema_name FROM information_schema.schemata "
                                           "WHERE schema_name LIKE %s", [f"%{sfx}%"])]
        for schema in schemas:
            sql(conn, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()
