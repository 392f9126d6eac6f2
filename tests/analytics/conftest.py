"""One small sandbox world, loaded once into DuckDB and once into Postgres, views refreshed.

The Zoom Phone families are loaded over different ranges on purpose: the legacy call
logs from 8 days back, call history from 5 days back. Calls of the first 3 days then
exist only as call logs, so the `calls` / `call_legs` branches for legacy-only calls are
exercised next to the calls present in both families (the worked example is 3 days back).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from pipelines.analytics import refresh_views
from pipelines.warehouse import Warehouse
from tests.conftest import SANDBOX_START

SOURCES = ("zoom_phone", "zoom_contact_center", "zoho_voice")
START = dt.datetime.fromisoformat(SANDBOX_START.replace("Z", "+00:00"))
LEGACY_FROM = (START - dt.timedelta(days=8)).isoformat()
HISTORY_FROM = (START - dt.timedelta(days=5)).isoformat()
OTHERS_FROM = (START - dt.timedelta(days=6)).isoformat()


def analytics_sandbox_config():
    from sandbox import SandboxConfig

    return SandboxConfig(seed=7, users=6, calls_per_day=12, days=9, cc_calls_per_day=8, zoho_calls_per_day=8,
                         start=SANDBOX_START)


def clients(sb):
    from sources.common.config import build_zoho_client, build_zoom_client

    zoom = build_zoom_client(sb.clock, base_url=sb.zoom_base_url, token_url=sb.zoom_token_url,
                             **sb.zoom_credentials)
    zoho = build_zoho_client(sb.clock, base_url=sb.zoho_base_url, token_url=sb.zoho_token_url,
                             **sb.zoho_credentials)
    return zoom, zoho


def load_world(wh: Warehouse, sb, *, legacy_only: bool = False) -> None:
    """Run the three sources against the sandbox into `wh` (see the module doc for the ranges)."""
    from sources.zoho_voice import zoho_voice
    from sources.zoom_contact_center import zoom_contact_center
    from sources.zoom_phone import zoom_phone

    zoom, zoho = clients(sb)

    def run(name: str, source) -> None:
        wh.pipeline(name).run(source, loader_file_format=wh.loader_file_format)

    try:
        run("zoom_phone", zoom_phone(resources=["call_logs", "call_log_details"], start_date=LEGACY_FROM,
                                     client=zoom, clock=sb.clock))
        if legacy_only:
            return
        run("zoom_phone", zoom_phone(resources=["call_history", "call_history_details", "users"],
                                     start_date=HISTORY_FROM, client=zoom, clock=sb.clock))
        run("zoom_contact_center", zoom_contact_center(start_date=OTHERS_FROM, client=zoom, clock=sb.clock))
        run("zoho_voice", zoho_voice(start_date=OTHERS_FROM, client=zoho, clock=sb.clock))
    finally:
        zoom.close()
        zoho.close()


@pytest.fixture(scope="session")
def analytics_sandbox():
    from sandbox import Sandbox

    with Sandbox(analytics_sandbox_config()) as sb:
        yield sb


@pytest.fixture(scope="session")
def duck_wh(analytics_sandbox, tmp_path_factory) -> Warehouse:
    """DuckDB warehouse with the default dataset names, loaded and with views refreshed."""
    root = tmp_path_factory.mktemp("analytics_duckdb")
    wh = Warehouse.duckdb(root / "warehouse.duckdb", pipelines_dir=root / "pipelines")
    load_world(wh, analytics_sandbox)
    wh.refreshed = refresh_views(wh)
    return wh


@pytest.fixture(scope="session")
def pg_wh(analytics_sandbox, pg_dsn, tmp_path_factory) -> Warehouse:
    """Postgres warehouse, datasets suffixed per test session, dropped afterwards."""
    import uuid

    suffix = uuid.uuid4().hex[:8]
    root = tmp_path_factory.mktemp("analytics_pg")
    wh = Warehouse.postgres(pg_dsn, datasets={s: f"{s}_{suffix}" for s in SOURCES},
                            analytics_dataset=f"analytics_{suffix}", pipelines_dir=root / "pipelines")
    try:
        load_world(wh, analytics_sandbox)
        wh.refreshed = refresh_views(wh)
        yield wh
    finally:
        drop_pg_schemas(wh)


def drop_pg_schemas(wh: Warehouse) -> None:
    names = [*wh.datasets.values(), wh.analytics_dataset]
    names += [f"{n}_staging" for n in wh.datasets.values()]
    with contextlib.suppress(Exception):
        wh.execute([f'DROP SCHEMA IF EXISTS "{n}" CASCADE' for n in names])


@pytest.fixture(scope="session")
def warehouses(duck_wh, pg_wh) -> dict[str, Warehouse]:
    return {"duckdb": duck_wh, "postgres": pg_wh}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request) -> Warehouse:
    """Each test that takes `wh` runs on both destinations."""
    return request.getfixturevalue("duck_wh" if request.param == "duckdb" else "pg_wh")



# ------------------------------------------------------------------ the documented payloads (documented.py)


@pytest.fixture(scope="session")
def documented_server():
    from tests.analytics import documented

    server = documented.serve()
    yield server
    server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def documented_warehouses(documented_server, tmp_path_factory, request):
    """Factory (destination, families) -> a warehouse holding the documented calls, views refreshed;
    one per combination for the session, Postgres schemas dropped at the end."""
    import uuid

    from tests.analytics import documented

    made: dict[tuple[str, str], Warehouse] = {}

    def get(destination: str, families: str) -> Warehouse:
        if (destination, families) in made:
            return made[(destination, families)]
        root = tmp_path_factory.mktemp(f"documented_{destination}_{families}")
        if destination == "duckdb":
            wh = Warehouse.duckdb(root / "warehouse.duckdb", pipelines_dir=root / "pipelines")
        else:
            suffix = uuid.uuid4().hex[:8]
            wh = Warehouse.postgres(request.getfixturevalue("pg_dsn"),
                                    datasets={s: f"{s}_{suffix}" for s in SOURCES},
                                    analytics_dataset=f"analytics_{suffix}", pipelines_dir=root / "pipelines")
        made[(destination, families)] = wh
        documented.load(wh, documented_server, families)
        refresh_views(wh)
        return wh

    yield get
    for (destination, _), wh in made.items():
        if destination == "postgres":
            drop_pg_schemas(wh)
