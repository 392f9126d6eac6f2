"""Shared fixtures: a sandbox API on 127.0.0.1, throw-away warehouses, Postgres."""

from __future__ import annotations

import os
import uuid

import dlt
import pytest

# A fixed sandbox "now": tests are deterministic whatever day they run.
SANDBOX_START = "2026-11-20T12:00:00Z"


@pytest.fixture
def sandbox_config():
    from sandbox import SandboxConfig

    return SandboxConfig(seed=7, users=6, calls_per_day=12, days=190, cc_calls_per_day=8,
                         zoho_calls_per_day=8, start=SANDBOX_START)


@pytest.fixture
def sandbox(sandbox_config):
    """A running sandbox with a frozen clock; `sandbox.clock.advance(days=1)` adds a day."""
    from sandbox import Sandbox

    with Sandbox(sandbox_config) as sb:
        yield sb


@pytest.fixture
def sandbox_env(sandbox, monkeypatch):
    """Point every source's configuration (env vars, as a user would) at the sandbox."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def sandbox_factory(monkeypatch):
    """Factory: start a sandbox from SandboxConfig keyword arguments and point the env at it
    (at the latest one made); every one made is stopped after the test."""
    from sandbox import Sandbox, SandboxConfig

    opened = []

    def make(**config):
        sb = Sandbox(SandboxConfig(**config)).start()
        opened.append(sb)
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        return sb

    yield make
    for sb in opened:
        sb.stop()


@pytest.fixture
def warehouse(tmp_path):
    """Factory of dlt pipelines into one throw-away DuckDB file (one pipeline per source)."""
    path = tmp_path / "warehouse.duckdb"

    def make(pipeline_name: str, dataset_name: str | None = None):
        return dlt.pipeline(
            pipeline_name=pipeline_name,
            destination=dlt.destinations.duckdb(str(path)),
            dataset_name=dataset_name or pipeline_name,
            pipelines_dir=str(tmp_path / "pipelines"),
        )

    make.path = path
    return make


def _pg_reachable(dsn: str) -> str | None:
    try:
        import psycopg2

        psycopg2.connect(dsn, connect_timeout=3).close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


@pytest.fixture(scope="session")
def pg_dsn():
    """DSN of a reachable PostgreSQL (CALLPIPE_TEST_PG_DSN). Skips locally, fails under CI."""
    dsn = os.environ.get("CALLPIPE_TEST_PG_DSN", "postgresql://callpipe:callpipe@127.0.0.1:5432/callpipe_test")
    problem = _pg_reachable(dsn)
    if problem:
        message = (f"PostgreSQL not reachable ({problem}); start it with "
                   "`pg_ctlcluster --skip-systemctl-redirect 15 main start` or set CALLPIPE_TEST_PG_DSN")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI requires the Postgres tests to run: " + message)
        pytest.skip(message)
    return dsn


@pytest.fixture
def pg_dataset_suffix():
    """Unique suffix so Postgres tests never see each other's schemas."""
    return uuid.uuid4().hex[:8]
