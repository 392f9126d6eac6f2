"""Airflow DAG: the nightly callpipe load, one task per (source, account).

Put the project next to your DAGs (or `pip install` it into the Airflow image) and copy this
file into the dags folder. Configuration and secrets come from the workers' environment and
`.dlt/` files of the project (workers started in the project directory, or DLT_PROJECT_DIR
pointing at it: its `.dlt/config.toml` matters), exactly as for the CLI (`SOURCES__ZOOM__CLIENT_ID`,
`ACCOUNTS__ZOOM__EMEA__CLIENT_SECRET`, `PIPELINE__ACCOUNTS`, `DESTINATION__POSTGRES__CREDENTIALS`;
README "Several accounts"): the DAG lists the same (source, account) pairs as `callpipe run`.

- Same pipelines and state as the CLI: each task is `callpipe run` of one source and account
  (pipelines.runner: `callpipe_<source>` / `callpipe_<source>__<account>`, the run lock, the
  run record, state restored from the warehouse), so `callpipe status`, `backfill` and `audit`
  work on what the DAG loaded, and the other way round (tests/deploy/test_airflow_dag.py runs
  this DAG with `dag.test()` for two accounts of each provider: the warehouse equals a CLI run's).
- Pools per account: every task of an account runs in the pool `callpipe_<provider>_<account>`
  (e.g. `callpipe_zoom_emea`), which must exist with 1 slot (`airflow pools set
  callpipe_zoom_emea 1 "Zoom account emea"`; the list: `python deploy/airflow_dag.py pools`).
  Zoom counts its rate limits per account: two tasks of one account never run at once, tasks
  of different accounts run side by side (up to the workers' parallelism).
- Retries only for resumable outcomes: a quota stop (Zoom daily limit, Zoho lock-out), a run
  lock held by another run, an interrupted task are retried (`retry_delay`; callpipe goes on
  from the saved state). A failure (bad credentials, an endpoint gone) fails the task at once:
  retrying cannot help. The analytics views are refreshed when every load is done.
- Where the state lives: in the warehouse. With several workers use a database they all reach
  (Postgres): a DuckDB file on one worker's disk is not shared (the test runs DuckDB, one machine).

A BashOperator running `callpipe run --account NAME` per account does the same job without
importing the project in the scheduler (exit 3 = quota, resumable).
"""

from __future__ import annotations

import datetime as dt
import sys

DAG_ID = "callpipe_nightly"
RETRIES = 3
RETRY_DELAY = dt.timedelta(minutes=30)


def pool_name(provider: str, account: str) -> str:
    """The Airflow pool of an account: `callpipe_zoom_emea`, `callpipe_zoho_voice_default`."""
    return f"callpipe_{provider}_{account}"


def task_id(source: str, account: str) -> str:
    return f"load_{source}__{account}"


def planned() -> list[tuple[str, str, str]]:
    """(source, provider, account) of every load, as `callpipe run` would run them."""
    from pipelines.accounts import plan_accounts
    from pipelines.cli import enabled_sources

    return [(source, account.provider, account.name) for source, account in plan_accounts(enabled_sources([]))]


def load(source: str, provider: str, account: str) -> dict:
    """One (source, account) as `callpipe run` loads it; raises for Airflow when it did not finish."""
    from airflow.exceptions import AirflowException, AirflowFailException

    from pipelines.accounts import Account
    from pipelines.console import Console
    from pipelines.errors import BUSY, INTERRUPTED, OK, QUOTA
    from pipelines.registry import SOURCES
    from pipelines.runner import prepare, run_job
    from pipelines.warehouse import warehouse_from_config

    console = Console(out=sys.stdout, err=sys.stdout, live=False)
    wh = warehouse_from_config()  # [pipeline] settings and env, as the CLI reads them
    job = prepare(SOURCES[source], "run", account=Account(provider, account))
    result = run_job(wh, job, console)
    console.print(result.summary())
    if result.outcome == OK:
        return {"rows": result.rows, "requests": result.total_requests}
    if result.outcome in (QUOTA, BUSY, INTERRUPTED):  # resumable: nothing is lost, a retry goes on
        raise AirflowException(f"{result.source} {result.outcome}: {result.error}")
    raise AirflowFailException(f"{result.source} {result.outcome}: {result.error}")  # no retry


def refresh_views() -> list[str]:
    from pipelines.console import Console
    from pipelines.runner import refresh_analytics
    from pipelines.warehouse import warehouse_from_config

    return refresh_analytics(warehouse_from_config(), Console(out=sys.stdout, err=sys.stdout, live=False))


def build_dag():
    import pendulum

    try:  # Airflow 3
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2
        from airflow import DAG
        from airflow.operators.python import PythonOperator

    with DAG(
        dag_id=DAG_ID,
        schedule="15 2 * * *",
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        default_args={"owner": "data", "depends_on_past": False, "retries": RETRIES, "retry_delay": RETRY_DELAY},
        tags=["callpipe", "dlt"],
    ) as dag:
        refresh = PythonOperator(task_id="refresh_analytics_views", python_callable=refresh_views,
                                 trigger_rule="all_done", retries=0)
        for source, provider, account in planned():
            PythonOperator(
                task_id=task_id(source, account),
                python_callable=load,
                op_kwargs={"source": source, "provider": provider, "account": account},
                pool=pool_name(provider, account),
            ) >> refresh
    return dag


if __name__ == "__main__" and sys.argv[1:] == ["pools"]:  # the pools to create: name, slots, description
    for pool in sorted({pool_name(p, a) for _, p, a in planned()}):
        print(f"{pool} 1 callpipe account {pool.removeprefix('callpipe_')}")
else:
    dag = build_dag()
