"""deploy/airflow_dag.py run by Apache Airflow (`dag.test()`) for two accounts of each provider
into DuckDB: the warehouse equals a `callpipe run` of the same accounts.

Optional (marked `airflow`): Airflow lives in a virtual environment of its own, so its
dependencies never touch the project's. CALLPIPE_AIRFLOW_PYTHON is that environment's python
(with Airflow and this project installed: `.ci/run` makes and caches one); without it the test skips.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.pipelines.conftest import ROOT, cli, cli_env, real_now_iso, tiny_values
from tests.pipelines.test_accounts import ACCOUNTS, account_env

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
SOURCES = ["zoom_phone", "zoom_contact_center", "zoho_voice"]

RUN_DAG = """
import json, runpy
from airflow.models.pool import Pool
dag_file = runpy.run_path("deploy/airflow_dag.py")
for _, provider, account in dag_file["planned"]():
    Pool.create_or_update_pool(dag_file["pool_name"](provider, account), 1, "callpipe", include_deferred=False)
run = dag_file["dag"].test()
print(json.dumps({"state": str(run.state), "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()},
                  "pools": {t.task_id: t.pool for t in dag_file["dag"].tasks}}))
"""


@pytest.fixture
def airflow_python() -> str:
    python = os.environ.get("CALLPIPE_AIRFLOW_PYTHON")
    if not python:
        pytest.skip("set CALLPIPE_AIRFLOW_PYTHON to the python of a virtual env with Apache Airflow and this "
                    "project installed (.ci/run makes one)")
    return python


def rows(path: Path, dataset: str, table: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        columns = sorted(c for (c,) in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            [dataset, table]).fetchall() if not c.startswith("_dlt"))
        select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
        return [tuple(columns)] + sorted(tuple("" if v is None else v for v in r)
                                         for r in db.execute(f'SELECT {select} FROM "{dataset}"."{table}"').fetchall())


def tables(path: Path) -> list[tuple[str, str]]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        return sorted(db.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE "
                                 "table_schema IN ('zoom_phone', 'zoom_contact_center', 'zoho_voice', 'analytics') "
                                 "AND table_name NOT LIKE '_dlt%'").fetchall())


def test_the_airflow_dag_loads_what_the_cli_loads(airflow_python, sandbox_factory, tmp_path):
    now = real_now_iso()  # Airflow and the CLI run on the real clock
    worlds = {name: sandbox_factory(**tiny_values(start=now)) for name in ACCOUNTS}
    env = cli_env(worlds["emea"], PIPELINE__ACCOUNTS=",".join(f"{p}.{a}" for a in ACCOUNTS for p in ("zoom", "zoho_voice")))
    for name, sb in worlds.items():
        env.update(account_env(sb, name))

    airflow_env = {**env, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                   "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "deploy"),
                   "PIPELINE__DUCKDB_PATH": str(tmp_path / "airflow.duckdb"),
                   "PIPELINE__PIPELINES_DIR": str(tmp_path / "airflow-pipelines")}
    airflow = str(Path(airflow_python).parent / "airflow")
    migrate = subprocess.run([airflow, "db", "migrate"], env=airflow_env, cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    done = subprocess.run([airflow_python, "-c", RUN_DAG], env=airflow_env, cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    loads = {f"load_{s}__{a}" for s in SOURCES for a in ACCOUNTS}
    assert result["state"] == "success" and set(result["tasks"]) == loads | {"refresh_analytics_views"}, result
    assert set(result["tasks"].values()) == {"success"}, result
    assert result["pools"]["load_zoom_phone__emea"] == result["pools"]["load_zoom_contact_center__emea"] \
        == "callpipe_zoom_emea" != result["pools"]["load_zoom_phone__us"]

    by_cli = cli(["run", "--duckdb-path", str(tmp_path / "cli.duckdb"), "--pipelines-dir",
                  str(tmp_path / "cli-pipelines")], env)
    assert by_cli.returncode == 0, by_cli.stderr
    af, cl = tmp_path / "airflow.duckdb", tmp_path / "cli.duckdb"
    assert tables(af) == tables(cl) and len(tables(af)) > 15
    for dataset, table in tables(af):
        assert rows(af, dataset, table) == rows(cl, dataset, table), (dataset, table)
    assert len(rows(af, "zoom_phone", "call_history")) > 1

    import duckdb

    with duckdb.connect(str(af), read_only=True) as db:  # the CLI's pipeline names, so the CLI's state
        names = {n for s in SOURCES for (n,) in db.execute(
            f'SELECT DISTINCT pipeline_name FROM "{s}"."_dlt_pipeline_state"').fetchall()}
    assert names == {f"callpipe_{s}__{a}" for s in SOURCES for a in ACCOUNTS}
    status = cli(["status", "--duckdb-path", str(af), "--pipelines-dir", str(tmp_path / "airflow-pipelines")], env)
    assert status.stdout.count("  run  ok  ") == len(loads), status.stdout
