"""Several vendor accounts in one warehouse (pipelines.accounts).

Two sandboxes built from the same seed stand for two Zoom accounts and two Zoho orgs: the
same call uuids, engagement ids and Zoho logids in both, so every natural key collides on
purpose. Each account must keep its own rows, state, run records and status lines.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pipelines.cli import main
from pipelines.console import Console
from pipelines.registry import SOURCES as SPECS
from pipelines.runner import prepare, refresh_analytics, run_job
from pipelines.status import cursors_and_tokens, stored_state
from sources.common import shaping
from tests.pipelines.conftest import (
    FAST_CLIENT_ENV,
    ROOT,
    assert_no_duplicates,
    quiet_console,
    snapshot,
    tiny_values,
)

SOURCES = ["zoom_phone", "zoom_contact_center", "zoho_voice"]
ACCOUNTS = ("emea", "us")


def account_env(sb, name: str) -> dict[str, str]:
    """The sandbox's settings as the named account `name` of both providers (dlt env vars)."""
    out = {}
    for key, value in sb.env().items():
        _, provider, field = key.split("__", 2)  # SOURCES__ZOOM__BASE_URL
        out[f"ACCOUNTS__{provider}__{name.upper()}__{field}"] = value
    return out


@pytest.fixture
def two_accounts(sandbox_factory, monkeypatch):
    """Two sandboxes of the same seed as accounts `emea` and `us` of Zoom and of Zoho Voice."""
    worlds = {name: sandbox_factory(**tiny_values(start="2026-11-20T12:00:00Z")) for name in ACCOUNTS}
    for key, value in FAST_CLIENT_ENV.items():
        monkeypatch.setenv(key, value)
    for name, sb in worlds.items():
        for key, value in account_env(sb, name).items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("PIPELINE__ACCOUNTS", ",".join(f"{p}.{a}" for a in ACCOUNTS for p in ("zoom", "zoho_voice")))
    return worlds


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_wh(request, make_wh):
    if request.param == "duckdb":
        return make_wh("accounts")
    return request.getfixturevalue("pg_warehouse")


def run_all(wh, clock, *accounts: str) -> tuple[int, str]:
    """`callpipe run` (every source, the given accounts or all) into `wh`; (exit code, output)."""
    from pipelines.accounts import plan_accounts
    from pipelines.runner import prepare_all, run_sources

    out = io.StringIO()
    console = Console(out=out, err=io.StringIO(), live=False)
    jobs, _, code = prepare_all([(SPECS[s], {"account": a}) for s, a in plan_accounts(SOURCES, list(accounts))],
                                "run", console, clock)
    assert code == 0, console.err.getvalue()
    return run_sources(wh, jobs, console), out.getvalue()


def per_account(wh, source: str, table: str) -> dict[str, int]:
    rows = wh.query(f"SELECT source_account, count(*) FROM {wh.qualified(wh.dataset(source), table)} "
                    "GROUP BY source_account")
    return {a: int(n) for a, n in rows}


def keyed_snapshot(wh) -> dict[str, list[tuple]]:
    """{source.table: sorted keys} with the keys the accounts' pipelines merge on."""
    out = {}
    for source, table in data_tables(wh):
        columns = wh.pipeline(source, account="emea").default_schema.get_table_columns(table)
        keys = [c for c, h in columns.items() if h.get("primary_key")]
        assert "source_account" in keys, (source, table)
        rows = wh.query(f"SELECT {', '.join(f'CAST({c} AS VARCHAR)' for c in keys)} "
                        f"FROM {wh.qualified(wh.dataset(source), table)}")
        out[f"{source}.{table}"] = sorted(tuple("" if v is None else v for v in r) for r in rows)
    return out


def data_tables(wh) -> list[tuple[str, str]]:
    return [(s, t) for s in SOURCES for t in wh.tables(wh.dataset(s)) if not t.startswith("_dlt")]


@pytest.mark.slow
def test_two_accounts_whose_ids_collide_keep_their_own_rows(two_accounts, any_wh, make_wh, monkeypatch):
    wh, clock = any_wh, two_accounts["emea"].clock
    code, out = run_all(wh, clock)
    assert code == 0, out
    for source in SOURCES:
        for name in ACCOUNTS:
            assert f"{source}/{name}" in out

    # the truth of one account: the same world loaded alone, as the single-account settings do
    alone = make_wh("alone")
    for source in SOURCES:
        result = run_job(alone, prepare(SPECS[source], "run", clock=clock,
                                        client=SPECS[source].build_client(clock, "emea")), quiet_console())
        assert result.outcome == "ok", result.error
    refresh_analytics(alone, quiet_console())
    tables = data_tables(wh)
    assert len(tables) >= 10
    for source, table in tables:
        truth = alone.row_counts(alone.dataset(source))[table]
        assert per_account(wh, source, table) == {"emea": truth, "us": truth}, (source, table)
    # the natural ids really collide: the same call uuids under both accounts
    uuids = {a: sorted(r[0] for r in wh.query(
        f"SELECT call_history_uuid FROM {wh.qualified(wh.dataset('zoom_phone'), 'call_history')} "
        "WHERE source_account = ?", [a])) for a in ACCOUNTS}
    assert uuids["emea"] and uuids["emea"] == uuids["us"]
    for name, sb in two_accounts.items():  # each account read its own API
        assert sum(sb.requests.values()) > 0, name

    # the analytics views join within an account: each account's calls and legs equal the lone load's
    def view(w, sql):
        return w.query(sql.format(a=w.analytics_dataset))
    lone_calls = view(alone, "SELECT provider, count(*), count(DISTINCT call_id) FROM {a}.calls GROUP BY provider")
    lone_legs = view(alone, "SELECT provider, count(*) FROM {a}.call_legs GROUP BY provider")
    for name in ACCOUNTS:
        calls = view(wh, "SELECT provider, count(*), count(DISTINCT call_id) FROM {a}.calls "
                         f"WHERE source_account = '{name}' GROUP BY provider")
        legs = view(wh, f"SELECT provider, count(*) FROM {{a}}.call_legs WHERE source_account = '{name}' "
                        "GROUP BY provider")
        assert sorted(calls) == sorted(lone_calls) and sorted(legs) == sorted(lone_legs), name
    daily = view(wh, "SELECT source_account, sum(calls) FROM {a}.calls_daily GROUP BY source_account")
    assert sorted(daily) == [(a, sum(n for _, n, _ in lone_calls)) for a in ACCOUNTS]

    # a rerun adds nothing
    before = keyed_snapshot(wh)
    code, out = run_all(wh, clock)
    assert code == 0, out
    after = keyed_snapshot(wh)
    assert after == before
    assert_no_duplicates(after)

    # state, sync tokens and run records per account; `status` has a block per source and account
    for source in SOURCES:
        for name in ACCOUNTS:
            state = stored_state(wh, source, name)
            assert cursors_and_tokens(state, source)[0], (source, name)
    text = io.StringIO()
    args = ["status"] + (["--duckdb-path", wh.location] if wh.kind == "duckdb" else ["--destination", "postgres"])
    if wh.kind == "postgres":
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", wh.location)
        args += [f"--dataset={s}={wh.dataset(s)}" for s in SOURCES] + ["--analytics-dataset", wh.analytics_dataset]
        monkeypatch.setenv("PIPELINE__RUNS_DATASET", wh.runs_dataset)
    args += ["--pipelines-dir", str(wh.pipelines_dir)]
    assert main(args, console=Console(out=text, err=io.StringIO(), live=False)) == 0
    status = text.getvalue()
    for source in SOURCES:
        for name in ACCOUNTS:
            block = status.split(f"{source}/{name}  (dataset", 1)[1].split("\n\n", 1)[0]
            assert f"account      {name} (its rows: source_account = '{name}')" in block
            assert "last run     " in block and "  run  ok  " in block, block


@pytest.mark.slow
def test_a_failing_account_does_not_stop_the_others_and_removed_accounts_keep_their_rows(
        two_accounts, make_wh, monkeypatch):
    wh, clock = make_wh("fail"), two_accounts["emea"].clock
    assert run_all(wh, clock)[0] == 0
    us_rows = {(s, t): per_account(wh, s, t)["us"] for s, t in data_tables(wh)}
    us_state = {s: cursors_and_tokens(stored_state(wh, s, "us"), s) for s in SOURCES}
    emea_state = {s: cursors_and_tokens(stored_state(wh, s, "emea"), s) for s in SOURCES}

    # us's Zoom credentials are revoked; a day later emea loads the new calls anyway
    monkeypatch.setenv("ACCOUNTS__ZOOM__US__CLIENT_SECRET", "revoked-secret-value")
    for sb in two_accounts.values():
        sb.clock.advance(days=1)
    code, out = run_all(wh, clock)
    assert code == 1, out
    assert "zoom_phone/us         FAILED" in out or "zoom_phone/us" in out and "FAILED" in out
    assert "revoked-secret-value" not in out
    bad = [line for line in out.splitlines() if " FAILED " in line]
    assert {line.split()[0] for line in bad} == {"zoom_phone/us", "zoom_contact_center/us"}, out
    for source in ("zoom_phone", "zoom_contact_center"):
        assert cursors_and_tokens(stored_state(wh, source, "us"), source) == us_state[source]
        assert cursors_and_tokens(stored_state(wh, source, "emea"), source) != emea_state[source]
    assert per_account(wh, "zoom_phone", "call_history")["emea"] > per_account(wh, "zoom_phone", "call_history")["us"]

    # us is removed from the config: emea loads on, us keeps its rows and its state
    monkeypatch.setenv("PIPELINE__ACCOUNTS", "zoom.emea,zoho_voice.emea")
    monkeypatch.delenv("ACCOUNTS__ZOOM__US__CLIENT_SECRET")
    code, out = run_all(wh, clock)
    assert code == 0 and "/us" not in out, out
    for (source, table), n in us_rows.items():
        if source != "zoho_voice":
            assert per_account(wh, source, table)["us"] == n, (source, table)
    for source in ("zoom_phone", "zoom_contact_center"):
        assert cursors_and_tokens(stored_state(wh, source, "us"), source) == us_state[source]


@pytest.mark.slow
def test_a_warehouse_loaded_before_accounts_keeps_its_state_and_rows(tiny_sandbox, make_wh, monkeypatch):
    """Loaded as the single-account version did (keys without the account, pipelines
    callpipe_<source>), then run by this version with the same settings: nothing is loaded
    again, no duplicate, the cursors go on from where they were."""
    sb, wh = tiny_sandbox, make_wh("upgrade")
    for source in SOURCES:
        spec = SPECS[source]
        client = spec.build_client(sb.clock)
        # the pipeline as the single-account version ran it: natural keys only
        old = shaping.fit_pages(spec.function()(client=client, clock=sb.clock))
        wh.pipeline(source).run(old, loader_file_format=wh.loader_file_format)
        client.close()
        keys = [c for c, h in wh.pipeline(source).default_schema.get_table_columns(
            {"zoom_phone": "call_history", "zoom_contact_center": "voice_calls", "zoho_voice": "call_logs"}[source]
        ).items() if h.get("primary_key")]
        assert "source_account" not in keys
    before = snapshot(wh, SOURCES)
    cursors = {s: cursors_and_tokens(stored_state(wh, s), s) for s in SOURCES}

    out = io.StringIO()
    code = main(["run", "--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)],
                clock=sb.clock, console=Console(out=out, err=io.StringIO(), live=False))
    assert code == 0, out.getvalue()
    assert "/default" not in out.getvalue()
    for line in out.getvalue().splitlines():
        if line.split() and line.split()[0] in SOURCES:
            assert "rows: 0 new" in line, line
    after = snapshot(wh, SOURCES)
    assert {t: len(k) for t, k in after.items()} == {t: len(k) for t, k in before.items()}
    assert_no_duplicates(after)
    for source in SOURCES:
        assert cursors_and_tokens(stored_state(wh, source), source) == cursors[source]
        assert {r[0] for r in wh.query(f"SELECT DISTINCT source_account FROM "
                                       f"{wh.qualified(wh.dataset(source), wh.tables(wh.dataset(source))[-1])}")} \
            <= {"default"}
    # a day later new calls come: they merge with the account in every key, beside the old rows
    sb.clock.advance(days=1)
    code = main(["run", "--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)],
                clock=sb.clock, console=Console(out=io.StringIO(), err=io.StringIO(), live=False))
    assert code == 0
    later = snapshot(wh, SOURCES)
    assert_no_duplicates(later)
    schema = wh.pipeline("zoom_phone").default_schema
    for table in ("call_history", "call_elements"):
        columns = schema.get_table_columns(table)
        assert "source_account" in [c for c, h in columns.items() if h.get("primary_key")], table
    call_history = "zoom_phone.call_history"
    assert len(later[call_history]) > len(before[call_history])
    assert {k[0] for k in before[call_history]} <= {k[0] for k in later[call_history]}


def test_account_settings_errors_name_the_key(monkeypatch, tiny_sandbox):
    from pipelines.accounts import plan_accounts
    from sources.common.errors import ConfigError

    monkeypatch.setenv("PIPELINE__ACCOUNTS", "zoom.emea")
    with pytest.raises(ConfigError, match="ACCOUNTS__ZOOM__EMEA__ACCOUNT_ID"):
        prepare(SPECS["zoom_phone"], "run", account=plan_accounts(["zoom_phone"])[0][1])
    monkeypatch.setenv("PIPELINE__ACCOUNTS", "zoom.EMEA!")
    with pytest.raises(ConfigError, match=r"lower-case letters, digits and _"):
        plan_accounts(["zoom_phone"])
    monkeypatch.setenv("PIPELINE__ACCOUNTS", "zoom.default,zoom.emea")
    monkeypatch.setenv("SOURCES__ZOOM_PHONE__ACCOUNT_NAME", "emea")
    with pytest.raises(ConfigError, match="SOURCES__ZOOM_PHONE__ACCOUNT_NAME"):
        plan_accounts(["zoom_phone"])
    monkeypatch.setenv("PIPELINE__ACCOUNTS", "zoom.emea")
    with pytest.raises(ConfigError, match="--account us: no such account"):
        plan_accounts(["zoom_phone"], ["us"])


@pytest.mark.slow
def test_audit_and_run_take_account_options(two_accounts, make_wh):
    wh, clock = make_wh("audit"), two_accounts["emea"].clock
    where = ["--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)]

    def cli(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main([*args, *where], clock=clock, console=Console(out=out, err=io.StringIO(), live=False))
        return code, out.getvalue()

    code, out = cli("run", "--source", "zoho_voice", "--account", "us")
    assert code == 0 and "zoho_voice/us" in out and "/emea" not in out, out
    assert per_account(wh, "zoho_voice", "call_logs").keys() == {"us"}
    code, out = cli("run", "--source", "zoho_voice")
    assert code == 0 and "zoho_voice/emea" in out, out
    # each account is audited against its own API and its own rows (both hold the same number)
    code, out = cli("audit", "--source", "zoho_voice", "--start", "2026-11-16", "--end", "2026-11-18")
    assert code == 0, out
    for name in ACCOUNTS:
        assert f"zoho_voice/{name}: COMPLETE, every one of 3 days matches the API" in out, out
    code, out = cli("audit", "--source", "zoho_voice", "--account", "emea", "--start", "2026-11-17",
                    "--end", "2026-11-17")
    assert code == 0 and "zoho_voice/emea: COMPLETE" in out and "/us" not in out, out
    code, out = cli("status", "--source", "zoho_voice", "--account", "us")
    assert "zoho_voice/us  (dataset" in out and "/emea" not in out and "last audit   " in out, out
    assert "audit complete" in out or " complete " in out, out


def run_windows(wh, source: str) -> dict[str, tuple]:
    """{account: (started_at, finished_at, requests_json)} of the last run of `source` per account."""
    rows = wh.query(f"SELECT account, started_at, finished_at, requests_json FROM "
                    f"{wh.qualified(wh.runs_dataset, 'runs')} WHERE source = ? ORDER BY started_at", [source])
    return {a: (s, f, json.loads(r or "{}")) for a, s, f, r in rows}


@pytest.mark.slow
def test_accounts_load_side_by_side_each_within_its_own_limits(sandbox_factory, monkeypatch, make_wh):
    """`us` answers slowly and throttles (a 429 storm): `emea` loads at the same time, unslowed."""
    worlds = {"emea": sandbox_factory(**tiny_values(start="2026-11-20T12:00:00Z")),
              "us": sandbox_factory(**tiny_values(start="2026-11-20T12:00:00Z", latency_ms=40))}
    for key, value in FAST_CLIENT_ENV.items():
        monkeypatch.setenv(key, value)
    for name, sb in worlds.items():
        for key, value in account_env(sb, name).items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("PIPELINE__ACCOUNTS", "zoom.emea,zoom.us")
    worlds["us"].inject_fault("GET /phone/call_history", "429", count=6)
    worlds["us"].inject_fault("GET /phone/call_history/{id}", "429", count=6)
    wh, clock = make_wh("side"), worlds["emea"].clock

    monkeypatch.setenv("PIPELINE__ACCOUNTS_AT_ONCE", "2")
    code, out = run_all(wh, clock)
    assert code == 0, out
    emea, us = (run_windows(wh, "zoom_phone")[a] for a in ACCOUNTS)
    assert emea[0] < us[1] and us[0] < emea[1], (emea, us)  # the two runs overlapped
    assert us[2].get("_retries", 0) >= 6 and not emea[2].get("_retries"), (emea[2], us[2])
    assert emea[1] < us[1]  # the storm and latency of us did not hold emea back

    monkeypatch.setenv("PIPELINE__ACCOUNTS_AT_ONCE", "1")
    code, out = run_all(wh, clock)
    assert code == 0, out
    emea, us = (run_windows(wh, "zoom_phone")[a] for a in ACCOUNTS)
    assert emea[1] <= us[0] or us[1] <= emea[0]  # one after the other


@pytest.mark.slow
def test_an_account_on_its_quota_stops_alone_and_is_named(two_accounts, make_wh):
    wh, clock = make_wh("quota"), two_accounts["emea"].clock
    two_accounts["us"].inject_fault("GET /phone/call_history", "429_daily", count=1000)
    code, out = run_all(wh, clock)
    assert code == 3, out
    lines = {line.split()[0]: line for line in out.splitlines() if line and not line.startswith(" ")}
    assert " QUOTA " in lines["zoom_phone/us"] and "resumable" in lines["zoom_phone/us"], out
    assert all(" OK " in lines[f"{s}/emea"] for s in SOURCES), out
    # Zoom counts the daily Heavy budget per account: us's Contact Center waits for it too, sending nothing
    assert " QUOTA " in lines["zoom_contact_center/us"] and "requests 0 " in lines["zoom_contact_center/us"], out
    assert " OK " in lines["zoho_voice/us"], out
    assert per_account(wh, "zoom_phone", "call_history").keys() == {"emea"}


def test_accounts_are_found_in_the_toml_files(tmp_path):
    """Named accounts are the [accounts.<provider>.<name>] tables of config.toml and secrets.toml
    (both files, not the first that has [accounts.zoom]); an account's own settings win, the rest
    comes from [sources.<provider>], its credentials from its own table only."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[sources.zoom]\nread_timeout = 33.0\n[sources.zoom.rate_limits]\nmedium = 7\n'
        '[accounts.zoom.emea]\nrate_limits = { light = 20, heavy = 5 }\n'
        '[accounts.zoom.emea.zoom_phone]\nresources = ["call_history", "call_history_details"]\n'
        '[accounts.zoom.us]\nsources = ["zoom_phone"]\n'
        '[accounts.zoho_voice.eu]\ndata_centre = "eu"\n')
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[accounts.zoom.emea]\naccount_id = "a"\nclient_id = "b"\nclient_secret = "c"\n'
        '[accounts.zoho_voice.eu]\nclient_id = "d"\nclient_secret = "e"\nrefresh_token = "f"\n')
    script = (
        "from pipelines.accounts import Account, plan_accounts\n"
        "from pipelines.registry import SOURCES\n"
        "from pipelines.runner import prepare\n"
        "from sources.common.config import build_zoho_client, build_zoom_client\n"
        "print([f'{s}/{a.name}' for s, a in plan_accounts(list(SOURCES))])\n"
        "zoom = build_zoom_client(None, 'emea')\n"
        "print({k: v.rate for k, v in sorted(zoom.limiters.items())}, zoom._http.timeout.read)\n"
        "print(build_zoho_client(None, 'eu').base_url)\n"
        "job = prepare(SOURCES['zoom_phone'], 'run', account=Account('zoom', 'emea'))\n"
        "print(sorted(job.source.selected_resources), job.row_label)\n"
        "try:\n    build_zoom_client(None, 'us')\nexcept Exception as exc:\n    print(exc)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "ACCOUNTS__", "PIPELINE__"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str(["zoom_phone/emea", "zoom_contact_center/emea", "zoom_phone/us", "zoho_voice/eu"])
    assert lines[1] == "{'heavy': 5, 'light': 20, 'medium': 7} 33.0"
    assert lines[2] == "https://voice.zoho.eu"
    assert lines[3] == "['call_history', 'call_history_details'] emea"
    assert "ACCOUNTS__ZOOM__US__ACCOUNT_ID" in lines[4] and "[accounts.zoom.us]" in lines[4]


@pytest.mark.slow
def test_sigterm_stops_every_account_running_side_by_side(sandbox_factory, make_wh):
    """Two accounts extracting at the same time when a scheduler's SIGTERM comes: both stop
    within seconds, both record `interrupted` and free their locks; the next run completes."""
    from tests.pipelines.conftest import cli, cli_env, cli_popen, real_now_iso
    from tests.pipelines.test_lock_and_kill import Watched

    now = real_now_iso()  # the CLI subprocess runs on the real clock
    worlds = {name: sandbox_factory(**tiny_values(start=now, latency_ms=300)) for name in ACCOUNTS}
    env = cli_env(worlds["emea"], PIPELINE__ACCOUNTS="zoom.emea,zoom.us", PIPELINE__ACCOUNTS_AT_ONCE="2")
    for name, sb in worlds.items():
        env.update(account_env(sb, name))
    wh = make_wh("sigterm")
    where = ["--source", "zoom_phone", "--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)]
    run = Watched(cli_popen(["run", *where], env))
    try:
        assert run.wait_for("zoom_phone/emea: extract") and run.wait_for("zoom_phone/us: extract"), "".join(run.lines)
        time.sleep(1.0)
        os.kill(run.proc.pid, signal.SIGTERM)
        code = run.proc.wait(timeout=30)
    finally:
        run.kill9()
    assert code == 143, "".join(run.lines)
    outcomes = wh.query(f"SELECT account, outcome FROM {wh.qualified(wh.runs_dataset, 'runs')} ORDER BY account")
    assert outcomes == [("emea", "interrupted"), ("us", "interrupted")]

    for sb in worlds.values():
        sb.config.latency_ms = 0
    again = cli(["run", *where], env)
    assert again.returncode == 0, again.stderr
    assert "did not finish" not in again.stderr  # both locks were released, not taken over
    counts = per_account(wh, "zoom_phone", "call_history")
    assert counts["emea"] == counts["us"] > 0
