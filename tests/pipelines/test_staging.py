"""dlt's staging datasets (where a load lands before it is merged) are named to sort after the
datasets an analyst browses, and a warehouse loaded with dlt's old `<dataset>_staging` layout
keeps working."""

from __future__ import annotations

import dlt
import pytest

from pipelines.registry import SOURCES
from tests.pipelines.conftest import assert_no_duplicates, run_inprocess, snapshot

SOURCE = "zoho_voice"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, make_wh):
    return make_wh() if request.param == "duckdb" else request.getfixturevalue("pg_warehouse")


def schemas(wh) -> list[str]:
    """The warehouse's schemas (on Postgres, this test's: their names carry the fixture's suffix)."""
    sfx = wh.dataset(SOURCE).removeprefix(SOURCE)  # "" on DuckDB, "_<suffix>" in the Postgres fixture
    names = {r[0] for r in wh.query("SELECT schema_name FROM information_schema.schemata")}
    return sorted(n for n in names - {"main", "information_schema", "pg_catalog"} if sfx in n)


def test_staging_datasets_sort_after_the_datasets(tiny_sandbox, target):
    assert run_inprocess(target, [SOURCE], tiny_sandbox.clock)[SOURCE].outcome == "ok"
    dataset = target.dataset(SOURCE)
    found = schemas(target)
    assert f"zz_staging_{dataset}" in found and f"{dataset}_staging" not in found
    assert found[-1] == f"zz_staging_{dataset}"  # after every dataset, whatever its name
    assert target.staging_dataset(SOURCE) == f"zz_staging_{dataset}"


def test_a_warehouse_with_the_old_staging_layout_keeps_loading(tiny_sandbox, target):
    # the first load as callpipe made it before: dlt's default layout, <dataset>_staging
    old = dlt.pipeline(pipeline_name=target.pipeline_name(SOURCE), dataset_name=target.dataset(SOURCE),
                       pipelines_dir=str(target.work_dir),
                       destination=dlt.destinations.duckdb(target.location) if target.kind == "duckdb"
                       else dlt.destinations.postgres(target.location))
    client = SOURCES[SOURCE].build_client(tiny_sandbox.clock)
    old.run(SOURCES[SOURCE].function()(client=client, clock=tiny_sandbox.clock),
            loader_file_format=target.loader_file_format)
    client.close()
    assert f"{target.dataset(SOURCE)}_staging" in schemas(target)
    first = snapshot(target, [SOURCE])

    tiny_sandbox.clock.advance(days=1)
    assert run_inprocess(target, [SOURCE], tiny_sandbox.clock)[SOURCE].outcome == "ok"
    after = snapshot(target, [SOURCE])
    assert_no_duplicates(after)
    assert len(after[f"{SOURCE}.call_logs"]) > len(first[f"{SOURCE}.call_logs"])
    assert f"zz_staging_{target.dataset(SOURCE)}" in schemas(target)
