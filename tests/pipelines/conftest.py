"""Fixtures of the CLI / run-machinery tests: tiny sandbox worlds, warehouses, snapshots.

Worlds are tiny on purpose (a few users, a few calls a day, a week of history): these are
end-to-end tests on a shared 2-core machine. Rate limits are off in the sandbox and raised in
the client, so the tests measure the machinery, not the throttle.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.console import Console
from pipelines.warehouse import SOURCE_NAMES, Warehouse

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_START = "2026-11-20T12:00:00Z"
TINY = dict(seed=7, users=3, calls_per_day=4, days=6, cc_calls_per_day=3, zoho_calls_per_day=3)
# the client's own limiters: far above anything a tiny world needs (no sleeps, no 429s)
FAST_CLIENT_ENV = {
    "SOURCES__ZOOM__RATE_LIMITS__LIGHT": "100000",
    "SOURCES__ZOOM__RATE_LIMITS__MEDIUM": "100000",
    "SOURCES__ZOOM__RATE_LIMITS__HEAVY": "100000",
    "SOURCES__ZOHO_VOICE__REQUESTS_PER_MINUTE": "1000000",
    "RUNTIME__LOG_LEVEL": "WARNING",
}


def tiny_values(**overrides) -> dict:
    return {**TINY, "enforce_rate_limits": False, "zoho_token_mints_per_10min": 100_000, **overrides}


def tiny_config(**overrides):
    from sandbox import SandboxConfig

    return SandboxConfig(**tiny_values(**overrides))


def real_now_iso() -> str:
    """A sandbox frozen at the real 'now': subprocesses (real clock) and the sandbox agree on
    the six-month window, and the data cannot change between two runs of a test."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture
def tiny_world(sandbox_factory, monkeypatch):
    """Factory: a tiny sandbox (TINY + overrides), the env pointing the sources at it, fast client limits."""

    def make(**overrides):
        sb = sandbox_factory(**tiny_values(**overrides))
        for key, value in FAST_CLIENT_ENV.items():
            monkeypatch.setenv(key, value)
        return sb

    return make


@pytest.fixture
def tiny_sandbox(tiny_world):
    """Frozen tiny sandbox (SANDBOX_START) with the env pointing the sources at it."""
    return tiny_world(start=SANDBOX_START)


@pytest.fixture
def make_wh(tmp_path):
    """Factory of DuckDB warehouses under tmp_path, each with its own pipelines dir."""

    def make(name: str = "warehouse") -> Warehouse:
        return Warehouse.duckdb(tmp_path / f"{name}.duckdb", pipelines_dir=tmp_path / f"{name}-pipelines")

    return make


@pytest.fixture
def pg_warehouse(pg_dsn, pg_dataset_suffix, tmp_path):
    """A Postgres warehouse whose schemas carry a unique suffix; dropped after the test."""
    sfx = pg_dataset_suffix
    wh = Warehouse.postgres(
        pg_dsn,
        datasets={s: f"{s}_{sfx}" for s in SOURCE_NAMES},
        analytics_dataset=f"analytics_{sfx}",
        runs_dataset=f"callpipe_{sfx}",
        pipelines_dir=tmp_path / "pg-pipelines",
    )
    yield wh
    schemas = [r[0] for r in wh.query(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?", [f"%{sfx}%"])]
    if schemas:
        wh.execute([f'DROP SCHEMA IF EXISTS "{s}" CASCADE' for s in schemas])


def quiet_console() -> Console:
    return Console(out=io.StringIO(), err=io.StringIO(), live=False)


def run_inprocess(wh: Warehouse, sources, clock, command: str = "run", **prepare_kw):
    """prepare + run_job for each source with the sandbox clock; returns {source: SourceResult}."""
    from pipelines.registry import SOURCES
    from pipelines.runner import prepare, run_job

    console = quiet_console()
    results = {}
    for name in sources:
        job = prepare(SOURCES[name], command, clock=clock, **prepare_kw)
        results[name] = run_job(wh, job, console)
    return results


def key_columns(wh: Warehouse, source: str, table: str) -> list[str]:
    """Primary key of `table` as dlt knows it (from the stored schema), else every data column."""
    schema = wh.pipeline(source).default_schema
    cols = schema.get_table_columns(table) if table in schema.tables else {}
    keys = [c for c, hints in cols.items() if hints.get("primary_key")]
    return keys or [c for c in wh.columns(wh.dataset(source), table) if not c.startswith("_dlt")]


def snapshot(wh: Warehouse, sources) -> dict[str, list[tuple]]:
    """{source.table: sorted key tuples} of every data table (values as text: DuckDB == Postgres)."""
    out: dict[str, list[tuple]] = {}
    for source in sources:
        dataset = wh.dataset(source)
        for table in wh.tables(dataset):
            if table.startswith("_dlt"):
                continue
            cols = key_columns(wh, source, table)
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
            rows = wh.query(f"SELECT {select} FROM {wh.qualified(dataset, table)}")
            out[f"{source}.{table}"] = sorted(tuple("" if v is None else v for v in r) for r in rows)
    return out


def assert_no_duplicates(snap: dict[str, list[tuple]]) -> None:
    for table, keys in snap.items():
        assert len(keys) == len(set(keys)), f"{table}: duplicate keys"


def cli_env(sb, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(sb.env())
    env.update(FAST_CLIENT_ENV)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def cli(args, env, timeout: float = 240, **kw) -> subprocess.CompletedProcess:
    """Run `python -m pipelines ARGS` in the project directory (as a user would)."""
    return subprocess.run([sys.executable, "-m", "pipelines", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, **kw)


def cli_popen(args, env, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
