"""The benchmark harness at toy size, so it cannot rot: every scenario runs end to end
(sandbox process, measured child processes, the rest_api baseline side by side with callpipe,
requests per call, fan-out + no-op, Zoho) and the report has the numbers the README quotes.
The numbers themselves mean nothing at this size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_toy_run_writes_a_complete_report(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--toy", "--no-postgres", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    scenarios = report["scenarios"]
    for name in ("rest_api_0ms", "callpipe_0ms", "rest_api_50ms", "callpipe_50ms", "requests_per_call",
                 "bulk_duckdb", "list_only_600", "fanout", "zoho"):
        result = scenarios[name]
        assert result["rows_total"] > 0, name
        assert result["rows_per_s"] > 0, name
        assert result["peak_rss_mb"] > 50, name  # sampled from outside: a real process was measured
    # dlt's rest_api source and callpipe load the very same calls and elements, with and without latency
    for latency in ("0ms", "50ms"):
        ours, theirs = scenarios[f"callpipe_{latency}"], scenarios[f"rest_api_{latency}"]
        assert ours["same_rows_as_rest_api"] is True
        assert theirs["rows"] == ours["rows"] and ours["rows"]["call_elements"] > ours["rows"]["call_history"] > 0
    assert scenarios["callpipe_50ms"]["latency_ms"] == 50
    # requests per loaded call: every call of a first load costs its detail request, and a nightly
    # run fetches the details of its new calls only (the sandbox counts the requests per route)
    runs = scenarios["requests_per_call"]["runs"]
    for run in runs.values():
        assert run["by_kind"]["detail"] == run["calls"] > 0
        assert run["per_call"] > 1
    assert runs["nightly"]["calls"] < runs["first_load"]["calls"] / 4
    # the nightly re-reads a trailing window, yet fetches no detail of a call it loaded before
    assert runs["nightly"]["new_calls"] > 0 and runs["nightly"]["refetched"] == 0
    projection = scenarios["requests_per_call"]["projection"]
    assert projection["calls"] == 5000 * projection["days"] and projection["binding"] and projection["hours"] > 0
    fanout = scenarios["fanout"]["fanout"]
    assert fanout["detail_requests"] > 0 and fanout["failed_records"] == 0
    noop = scenarios["fanout"]["noop"]
    assert noop["detail_requests"] == 0 or noop["new_calls_meanwhile"] > 0
    assert scenarios["zoho"]["zoho"]["pages_requested"] >= 4
    goals = " | ".join(g["goal"] for g in report["goals"])
    for goal in ("bulk rows/s", "rest_api at 0 ms", "rest_api at 50 ms", "peak RSS", "fan-out", "no-op", "Zoho"):
        assert goal in goals
    for printed in ("goals (reported, not asserted)", "callpipe vs dlt's rest_api source", "requests per loaded call",
                    "projected first load"):
        assert printed in done.stdout


def test_bench_toy_storm_compares_every_table_with_a_clean_run(tmp_path):
    out = tmp_path / "storm.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--toy", "--only", "storm", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    storm = json.loads(out.read_text())["scenarios"]["storm"]["storm"]
    assert storm["outcomes"] == {"zoom_phone": "ok", "zoom_contact_center": "ok", "zoho_voice": "ok"}
    assert storm["tables_identical"] == len(storm["tables"]) >= 10
    assert all(t["clean_rows"] > 0 for t in storm["tables"].values())
    assert storm["faults_served"]["429"] > 0 and storm["requests"]["storm"] > storm["requests"]["clean"]
    assert "storm:" in done.stdout and "identical" in done.stdout
