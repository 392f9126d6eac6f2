"""Secrets never reach output, logs, local pipeline state/traces or the warehouse."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.console import Console
from tests.pipelines.conftest import cli, cli_env, real_now_iso, tiny_config


def warehouse_text(db: Path) -> str:
    """Every text value in every table (the file itself may store strings compressed)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    columns = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns "
                          "WHERE data_type = 'VARCHAR'").fetchall()
    assert len(columns) > 50
    parts = []
    for schema, table, column in columns:
        rows = con.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}"').fetchall()
        parts.extend(str(r[0]) for r in rows)
    con.close()
    return "\n".join(parts)


def test_no_secret_in_output_state_traces_or_warehouse(tmp_path):
    from sandbox import Sandbox

    with Sandbox(tiny_config(start=real_now_iso())) as sb:
        db, state_dir = tmp_path / "w.duckdb", tmp_path / "pipelines"
        env = cli_env(sb, RUNTIME__LOG_LEVEL="DEBUG")
        result = cli(["run", "--verbose", "--duckdb-path", str(db), "--pipelines-dir", str(state_dir)], env)
        assert result.returncode == 0, result.stdout + result.stderr
        issued = list(sb.zoom_api.tokens) + list(sb.zoho_api.tokens)
        assert len(issued) >= 2, "the run should have minted a Zoom and a Zoho token"
        secrets = [sb.config.zoom_client_secret, sb.config.zoho_client_secret,
                   sb.config.zoho_refresh_token, *issued]

    blobs = {"stdout": result.stdout.encode(), "stderr": result.stderr.encode(), "warehouse file": db.read_bytes(),
             "warehouse text columns": warehouse_text(db).encode()}
    files = [p for p in Path(state_dir).rglob("*") if p.is_file()]
    assert any(p.name.startswith("trace") for p in files), "dlt keeps a run trace in the pipelines dir"
    blobs.update({str(p): p.read_bytes() for p in files})
    assert len(result.stderr) > 1000, "DEBUG logging was on: there is output to leak into"
    for where, blob in blobs.items():
        for secret in secrets:
            assert secret.encode() not in blob, f"a secret ({secret[:4]}...) leaked into {where}"


@pytest.mark.parametrize("dsn", [
    "postgres chaos s3cr3t-pw 127.0.0.1",  # words, not a URL
    "chaos:s3cr3t-pw@127.0.0.1:5432/warehouse",  # no scheme
    "postgresql://chaos:s3cr3t-pw@127.0.0.1:54x2/warehouse",  # a port that is not a number
    "postgresql://chaos:s3cr3t-pw@/warehouse",  # no host
    "host=127.0.0.1 user=chaos password=s3cr3t-pw dbname=warehouse",  # libpq words (dlt takes URLs)
])
@pytest.mark.parametrize("command", ["run", "status"])
def test_a_malformed_postgres_dsn_is_never_printed(dsn, command, tiny_sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
    out, err = io.StringIO(), io.StringIO()
    code = main([command, "--destination", "postgres", "--pipelines-dir", str(tmp_path), "--verbose"],
                clock=tiny_sandbox.clock, console=Console(out=out, err=err, live=False))
    text = out.getvalue() + err.getvalue()
    assert code == 2, text
    assert "DSN cannot be read" in text and "DESTINATION__POSTGRES__CREDENTIALS" in text
    for part in ("s3cr3t", "chaos", "54x2"):  # nothing of it, not even the parts that are not the password
        assert part not in text
    assert sum(tiny_sandbox.requests.values()) == 0
