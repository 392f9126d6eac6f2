"""`demo` end to end (as a user runs it) and `status` from the warehouse alone (fresh machine)."""

from __future__ import annotations

import io
import re
import shutil

import pytest

from pipelines.cli import main
from pipelines.console import Console
from pipelines.status import stored_state
from tests.pipelines.conftest import ROOT, cli, run_inprocess

SOURCES = ["zoom_phone", "zoom_contact_center", "zoho_voice"]


@pytest.mark.slow
def test_demo_prints_nonzero_counts_and_the_call_flow(tmp_path):
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for key in [k for k in env if k.startswith(("SOURCES__", "DESTINATION__", "PIPELINE__"))]:
        del env[key]
    path = tmp_path / "demo.duckdb"
    args = ["demo", "--path", str(path), "--pipelines-dir", str(tmp_path / "pl"), "--days", "4", "--users", "3",
            "--calls-per-day", "4"]
    done = cli(args, env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    counts = re.findall(r"^  (\w+)\.(\w+)\s+(\d+)$", out, re.M)
    tables = {f"{d}.{t}": int(n) for d, t, n in counts}
    assert {d for d, _, _ in counts} == set(SOURCES)
    assert all(n > 0 for n in tables.values()), tables
    assert {"zoom_phone.call_logs", "zoom_phone.call_log_legs", "zoom_phone.call_elements",
            "zoom_contact_center.voice_calls", "zoho_voice.call_logs"} <= set(tables)
    assert "Marketing Hotline call" in out and re.search(r"^  answered by \w+", out, re.M)
    assert "rate limits are raised" in out
    # the Contact Center engagements are loaded too: one line per queue of the busiest day
    assert {"zoom_contact_center.engagements", "zoom_contact_center.engagement_queues"} <= set(tables)
    day = re.search(r"^Contact Center queues on the busiest day, (\S+) ", out, re.M)
    shown = re.findall(r"^  (.+?)\s+offered\s+(\d+)\s+abandoned\s+(\d+)\s+service level\s+([\d.]+)%", out, re.M)
    assert day and shown, out
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        busiest = con.execute("SELECT day FROM analytics.cc_queue_daily GROUP BY day "
                              "ORDER BY SUM(offered) DESC, day DESC LIMIT 1").fetchone()[0]
        rows = con.execute("SELECT queue_name, offered, abandoned, service_level FROM analytics.cc_queue_daily "
                           "WHERE day = ? ORDER BY offered DESC, queue_name", [busiest]).fetchall()
    assert day.group(1) == str(busiest)
    assert [(q.strip(), int(o), int(a), float(sl)) for q, o, a, sl in shown] == [
        (q, o, a, round(100 * sl, 1)) for q, o, a, sl in rows]
    assert f"duckdb {path}" in out or "duckdb demo.duckdb" in out

    # running it again replaces its own file; a foreign file is refused
    from pipelines.demo import fresh_demo_warehouse

    fresh_demo_warehouse(path, tmp_path / "pl")
    assert not path.exists()
    foreign = tmp_path / "mine.duckdb"

    duckdb.connect(str(foreign)).execute("CREATE TABLE precious AS SELECT 1 AS x").close()
    refused = cli(["demo", "--path", str(foreign)], env)
    assert refused.returncode == 2 and "was not written by `callpipe demo`" in refused.stderr


def test_status_reads_the_warehouse_on_a_fresh_machine(tiny_sandbox, make_wh):
    wh = make_wh("w")
    results = run_inprocess(wh, SOURCES, tiny_sandbox.clock)
    assert all(r.outcome == "ok" for r in results.values())
    shutil.rmtree(wh.pipelines_dir)  # a fresh machine: only the warehouse file is left

    out, err = io.StringIO(), io.StringIO()
    code = main(["status", "--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)],
                console=Console(out=out, err=err, live=False))
    text = out.getvalue()
    assert code == 0, err.getvalue()
    for source in SOURCES:
        assert f"{source}  (dataset {source}" in text
    assert text.count("last run     ") == 3 and "run  ok" in text
    assert "call_history.start_time = " in text and "voice_calls.start_time = " in text
    assert re.search(r"sync tokens  user_call_history: \d+ users", text)
    assert re.search(r"tables       call_elements \d+ \| call_history \d+", text)
    state = stored_state(wh, "zoom_phone")
    tokens = [t for r in state["sources"]["zoom_phone"]["resources"].values() if isinstance(r, dict)
              for t in (r.get("sync_tokens") or {}).values()]
    assert tokens and not any(str(t) in text for t in tokens)  # counted, never printed
