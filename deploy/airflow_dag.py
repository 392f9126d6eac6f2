"""Airflow DAG: the nightly callpipe load with dlt's Airflow helper.

Put the project next to your DAGs (or `pip install` it into the Airflow image) and copy
this file into the dags folder. Configuration and secrets come from the environment of the
workers (`SOURCES__ZOOM__CLIENT_ID`, ..., `DESTINATION__POSTGRES__CREDENTIALS`) or from
Airflow variables exported as env vars; see README.md and .dlt/secrets.toml.example.

Where the state lives: in the warehouse. `PipelineTasksGroup(wipe_local_data=True)` gives
every task a fresh, empty working directory and deletes it afterwards; dlt then restores
each pipeline's state (cursors, per-user sync tokens) from the destination
(`<dataset>._dlt_pipeline_state`) before extracting. Use a database the workers can reach
(Postgres here): a DuckDB file on a worker's local disk is not shared between workers.

One task per source, so a failing source never stops the others; the analytics views are
refreshed when all of them are done (whatever their outcome). `max_active_runs=1` plays the
role of callpipe's run lock (which only guards one machine). The pipeline names and
datasets are the CLI's (`callpipe_<source>` -> dataset `<source>`), so `callpipe status`,
`callpipe backfill` and this DAG share the same state.

If you would rather not import the project in the scheduler, a BashOperator running
`callpipe run --destination postgres` (exit 3 = quota, resumable) does the same job.
"""

from __future__ import annotations

import dlt
import pendulum
from airflow.decorators import dag, task
from dlt.helpers.airflow_helper import PipelineTasksGroup

from pipelines.registry import SOURCES
from pipelines.runner import prepare
from pipelines.warehouse import LOADER_FILE_FORMAT, POSTGRES, STAGING_LAYOUT, Warehouse, warehouse_from_config

DESTINATION = POSTGRES  # the DSN is read by dlt at run time from DESTINATION__POSTGRES__CREDENTIALS

default_task_args = {
    "owner": "data",
    "depends_on_past": False,
    "email_on_failure": True,
    "retries": 0,  # the HTTP client already retries 429/5xx; a quota stop must not be retried
}


def source_factory(name: str):
    """Called by the task right before the run: builds the client (reads secrets) and the
    source at run time, so "now" and the default six-month start are the task's."""

    def build():
        return prepare(SOURCES[name], "run").source

    return build


@dag(
    dag_id="callpipe_nightly",
    schedule="15 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_task_args,
    tags=["callpipe", "dlt"],
)
def callpipe_nightly():
    tasks = PipelineTasksGroup("callpipe", use_data_folder=False, wipe_local_data=True, use_task_logger=True)
    loads = []
    for name in SOURCES:
        pipeline = dlt.pipeline(
            pipeline_name=Warehouse.pipeline_name(name),  # callpipe_<source>: same state as the CLI
            # staging schema as the CLI names it (zz_staging_<dataset>); DSN from the env at run time
            destination=dlt.destinations.postgres(staging_dataset_name_layout=STAGING_LAYOUT),
            dataset_name=name,
            progress="log",
        )
        loads += tasks.add_run(
            pipeline,
            source_factory(name),
            decompose="none",  # one task per source: its transformers need their parents' pages
            loader_file_format=LOADER_FILE_FORMAT[DESTINATION],
            trigger_rule="all_done",
        )

    @task(trigger_rule="all_done")
    def refresh_analytics_views() -> list[str]:
        from pipelines.analytics import refresh_views

        return refresh_views(warehouse_from_config(destination=DESTINATION))

    refresh = refresh_analytics_views()
    for load in loads:
        load >> refresh


callpipe_nightly()
