"""Progress that survives a failure: a long range is loaded in parts (`[pipeline] progress_days`),
each its own load package carrying the cursor as of its end. A first load that fails late keeps
the parts loaded before the failure; the rerun starts where they end (no list page of a finished
part is requested again) and ends with the tables of a clean run. Faults come from the sandbox
(a persistent 500 on a later window) and from a real `kill -9` of the CLI."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.warehouse import Warehouse
from sources.common.windowed import RESUME_KEY
from sources.common.windows import to_utc
from tests.pipelines.conftest import assert_no_duplicates, run_inprocess, snapshot

DAY = dt.timedelta(days=1)
PART_DAYS = 2
# source -> (its list route, the list resource, the `from` query parameter, list requests per window)
LISTS = {
    "zoom_phone": ("GET /phone/call_history", "call_history", "from", 2),  # recorded + non_recorded
    "zoom_contact_center": ("GET /contact_center/voice_calls", "voice_calls", "from", 1),
    "zoho_voice": ("GET /rest/json/zv/logs", "call_logs", "fromDate", 1),
}


def sent_from(value: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC) if value.isdigit() else to_utc(value)


def list_starts(sb, route: str, param: str) -> list[dt.datetime]:
    """The window starts of the list requests the sandbox received."""
    return sorted(sent_from(query[param]) for _, _, name, query, _ in sb.request_log
                  if name == route and param in query)


def remote_state(wh: Warehouse, source: str, tmp_path) -> dict:
    """The resource states of `source` as stored in the warehouse (read by a fresh working dir)."""
    if wh.kind == "duckdb":
        other = Warehouse.duckdb(wh.location, pipelines_dir=tmp_path / "fresh-machine")
    else:
        other = Warehouse.postgres(wh.location, datasets=wh.datasets, analytics_dataset=wh.analytics_dataset,
                                   runs_dataset=wh.runs_dataset, pipelines_dir=tmp_path / "fresh-machine")
    pipeline = other.pipeline(source)
    pipeline.sync_destination()
    return pipeline.state.get("sources", {}).get(source, {}).get("resources", {})


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("source", list(LISTS))
def test_a_first_load_failing_late_keeps_its_finished_parts(source, kind, tiny_sandbox, make_wh, tmp_path,
                                                             request, monkeypatch):
    sb = tiny_sandbox
    route, resource, param, per_window = LISTS[source]
    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", str(PART_DAYS))
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__DATE_FORMAT", "epoch_ms")  # windows sent exactly
    wh = make_wh("warehouse") if kind == "duckdb" else request.getfixturevalue("pg_warehouse")
    start = to_utc(sb.clock.now()).replace(microsecond=0) - 6 * DAY
    boundary = start + PART_DAYS * DAY

    # the second part's first list request fails, and keeps failing through the client's retries
    sb.inject_fault(route, "500", count=1000, after=per_window)
    failed = run_inprocess(wh, [source], sb.clock, start=start)[source]
    assert failed.outcome == "failed", failed.error
    assert len(failed.load_ids) == 1, "the first part was loaded as its own package"
    kept = snapshot(wh, [source])[f"{source}.{resource}"]
    assert kept, "the first part's rows are in the warehouse"
    assert remote_state(wh, source, tmp_path)[resource][RESUME_KEY] == boundary.isoformat()

    sb.clear_faults()
    sb.reset_stats()
    rerun = run_inprocess(wh, [source], sb.clock, start=start)[source]
    assert rerun.outcome == "ok", rerun.error
    starts = list_starts(sb, route, param)
    assert starts and min(starts) == boundary, "the rerun did not request the finished part's list pages"
    assert RESUME_KEY not in remote_state(wh, source, tmp_path)[resource]
    if source == "zoom_phone":  # two parts, but users and their syncs (no windowed list) in the first only
        assert len(rerun.load_ids) >= 2
        assert sb.requests["GET /phone/users"] == 1

    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", "0")  # one part: the clean run
    clean = make_wh("clean")
    assert run_inprocess(clean, [source], sb.clock, start=start)[source].outcome == "ok"
    snap = snapshot(wh, [source])
    assert_no_duplicates(snap)
    assert set(kept) <= set(snap[f"{source}.{resource}"])
    assert snap == snapshot(clean, [source])
    assert content(wh, source) == content(clean, source)


def run_cli(args: list[str], clock) -> tuple[int, str]:
    import io

    from pipelines.cli import main
    from pipelines.console import Console

    out, err = io.StringIO(), io.StringIO()
    code = main(args, clock=clock, console=Console(out=out, err=err, live=False))
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("limit", [["--max-duration", "1s"], ["--max-requests", "5"]])
def test_time_boxed_runs_stop_at_a_boundary_and_end_as_one_unbounded_run(limit, tiny_world, make_wh, monkeypatch):
    """Each time-boxed run stops at the first boundary past its limit (a part of PART_DAYS), loads
    it and exits 5 (`partial`); the runs after it go on from there, and the warehouse ends as one
    unbounded run leaves it."""
    from pipelines.errors import EXIT_OK, EXIT_PARTIAL

    sb = tiny_world(start="2026-11-20T12:00:00Z", latency_ms=60)  # every request takes a while
    source = "zoom_phone"
    start = to_utc(sb.clock.now()) - 6 * DAY
    monkeypatch.setenv("SOURCES__ZOOM_PHONE__START_DATE", start.isoformat())
    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", str(PART_DAYS))
    wh = make_wh("boxed")
    where = ["--source", source, "--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)]
    codes, loads = [], []
    for _ in range(3):
        code, text = run_cli(["run", *where, *limit], sb.clock)
        codes.append(code)
        loads.append(len(wh.query(f"SELECT * FROM {wh.qualified(wh.dataset(source), '_dlt_loads')}")))
        if code == EXIT_OK:
            break
        assert code == EXIT_PARTIAL and "PARTIAL" in text and "resumable" in text, text
    # one part per run: [start, +2d), [+2d, +4d), [+4d, now)
    assert codes == [EXIT_PARTIAL, EXIT_PARTIAL, EXIT_OK], codes
    assert loads == [1, 2, 3]
    outcomes = [r[0] for r in wh.query(
        f"SELECT outcome FROM {wh.qualified(wh.runs_dataset, 'runs')} ORDER BY started_at")]
    assert outcomes == ["partial", "partial", "ok"]

    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", "0")
    clean = make_wh("clean")
    code, text = run_cli(["run", "--source", source, "--duckdb-path", clean.location,
                          "--pipelines-dir", str(clean.pipelines_dir)], sb.clock)
    assert code == EXIT_OK, text
    snap = snapshot(wh, [source])
    assert_no_duplicates(snap)
    assert snap == snapshot(clean, [source])
    assert content(wh, source) == content(clean, source)


def content(wh: Warehouse, source: str) -> dict[str, list[tuple]]:
    """Every data table's rows, every column but dlt's own (by name), as text (either destination)."""
    dataset = wh.dataset(source)
    return {table: table_rows(wh, dataset, table) for table in wh.tables(dataset) if not table.startswith("_dlt")}


def table_rows(wh: Warehouse, dataset: str, table: str) -> list[tuple]:
    columns = sorted(c for c in wh.columns(dataset, table) if not c.startswith("_dlt"))
    texts = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
    return sorted(tuple(map(_same_text, row)) for row in wh.query(f"SELECT {texts} FROM {wh.qualified(dataset, table)}"))


def _same_text(value: str | None) -> str:
    """A value as text that reads the same from DuckDB and Postgres (1.0 and 1, 0.0500 and 0.05)."""
    if value is None:
        return ""
    try:
        return repr(float(value))
    except ValueError:
        return value


@pytest.mark.slow
def test_kill_9_after_the_first_part_keeps_it_and_the_rerun_goes_on(tiny_world, make_wh, monkeypatch, tmp_path):
    """A real `kill -9` of the CLI while it reads the second part: the first part stays loaded with
    its cursor, and the rerun starts at its end and ends as a clean run."""
    from tests.pipelines.conftest import cli, cli_env, cli_popen, real_now_iso
    from tests.pipelines.test_lock_and_kill import Watched

    sb = tiny_world(start=real_now_iso(), latency_ms=150)  # subprocesses run on the real clock
    source = "zoom_phone"
    route, resource, param, _ = LISTS[source]
    start = to_utc(sb.clock.now()).replace(microsecond=0) - 6 * DAY
    boundary = start + PART_DAYS * DAY
    settings = {"SOURCES__ZOOM_PHONE__START_DATE": start.isoformat(), "PIPELINE__PROGRESS_DAYS": str(PART_DAYS)}
    wh = make_wh("warehouse")
    where = ["--source", source, "--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)]
    env = cli_env(sb, **settings)

    run = Watched(cli_popen(["run", *where], env))
    assert run.wait_for(f"{source}: part 2: extract"), "".join(run.lines)
    assert run.kill9(), "the run ended before it could be killed"
    kept = snapshot(wh, [source])[f"{source}.{resource}"]
    assert kept, "the first part's rows are in the warehouse"
    assert remote_state(wh, source, tmp_path)[resource][RESUME_KEY] == boundary.isoformat()

    sb.reset_stats()
    rerun = cli(["run", *where], env)
    assert rerun.returncode == 0, rerun.stderr
    assert "did not finish" in rerun.stderr
    assert min(list_starts(sb, route, param)) == boundary, "the first part's list pages were not read again"

    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    clean = make_wh("clean")
    assert run_inprocess(clean, [source], None)[source].outcome == "ok"
    snap = snapshot(wh, [source])
    assert_no_duplicates(snap)
    assert snap == snapshot(clean, [source])
    assert content(wh, source) == content(clean, source)


@pytest.mark.parametrize("source", ["zoom_contact_center", "zoho_voice"])
def test_a_backfill_loads_in_parts_and_leaves_the_nightly_state_alone(source, tiny_sandbox, make_wh, monkeypatch,
                                                                      tmp_path):
    sb = tiny_sandbox
    _, resource, _, _ = LISTS[source]
    end = to_utc(sb.clock.now()).replace(microsecond=0, second=0, minute=0)
    start = end - 6 * DAY
    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", str(PART_DAYS))
    wh = make_wh("parts")
    result = run_inprocess(wh, [source], sb.clock, command="backfill", start=start, end=end)[source]
    assert result.outcome == "ok", result.error
    assert len(result.load_ids) == 3, "[start, +2d), [+2d, +4d), [+4d, end): one package each"
    state = remote_state(wh, source, tmp_path)
    assert RESUME_KEY not in state.get(resource, {}) and "incremental" not in state.get(resource, {})

    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", "0")
    clean = make_wh("clean")
    assert run_inprocess(clean, [source], sb.clock, command="backfill", start=start, end=end)[source].outcome == "ok"
    assert content(wh, source) == content(clean, source)
    assert snapshot(wh, [source])[f"{source}.{resource}"]


@pytest.mark.parametrize(("args", "env", "named"), [
    (["--max-duration", "soon"], {}, "--max-duration: cannot read 'soon' as a duration"),
    ([], {"PIPELINE__MAX_REQUESTS": "lots"}, "PIPELINE__MAX_REQUESTS"),
    ([], {"PIPELINE__PROGRESS_DAYS": "a month"}, "PIPELINE__PROGRESS_DAYS"),
])
def test_a_bad_time_box_or_part_size_exits_2_before_any_request(args, env, named, tiny_sandbox, make_wh,
                                                                monkeypatch):
    from pipelines.errors import EXIT_USAGE

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    wh = make_wh("w")
    code, text = run_cli(["run", "--source", "zoho_voice", "--duckdb-path", wh.location,
                          "--pipelines-dir", str(wh.pipelines_dir), *args], tiny_sandbox.clock)
    assert code == EXIT_USAGE, text
    assert named in text
    assert sum(tiny_sandbox.requests.values()) == 0
