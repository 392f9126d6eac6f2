"""A normal run logs no warning from dlt: the Arrow pages the sources yield agree with the hints
they declare (types, nullability, keys), so dlt has nothing to reconcile. Run as a user runs it
(the CLI in its own process: dlt logs to stderr through its own handler)."""

from __future__ import annotations

import datetime as dt

from tests.pipelines.conftest import cli, cli_env


def test_a_first_run_and_a_nightly_run_log_no_dlt_warning(tiny_world, tmp_path):
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    sb = tiny_world(start=start.isoformat())
    where = ["--duckdb-path", str(tmp_path / "w.duckdb"), "--pipelines-dir", str(tmp_path / "pl")]
    for _ in ("first run", "nightly run"):
        done = cli(["run", *where], cli_env(sb))
        assert done.returncode == 0, done.stderr
        assert "[WARNING]" not in done.stderr and "WARNING dlt" not in done.stderr, done.stderr
        sb.clock.advance(days=1)
