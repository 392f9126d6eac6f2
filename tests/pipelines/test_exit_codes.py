"""Outcomes per source and the exit code of the whole run: quota (3, resumable), failure (1)."""

from __future__ import annotations

import io

from pipelines.cli import main
from pipelines.console import Console


def run(argv, sb, verbose=False):
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, *(["--verbose"] if verbose else [])], clock=sb.clock,
                console=Console(out=out, err=err, live=False))
    return code, out.getvalue(), err.getvalue()


def test_quota_is_resumable_exit_3_and_the_other_source_still_loads(tiny_sandbox, tmp_path):
    where = ["--duckdb-path", str(tmp_path / "w.duckdb"), "--pipelines-dir", str(tmp_path / "pl")]
    tiny_sandbox.inject_fault("GET /contact_center/voice_calls", "429_daily", count=1)
    code, out, err = run(["run", "--source", "zoom_contact_center,zoho_voice", *where], tiny_sandbox)
    assert code == 3, out + err
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "QUOTA" in lines["zoom_contact_center"] and "QuotaExhausted" in lines["zoom_contact_center"]
    assert "resumable" in lines["zoom_contact_center"] and "run again after" in lines["zoom_contact_center"]
    assert " OK " in lines["zoho_voice"] and "call_logs" in lines  # a line per table under it
    assert "Traceback" not in out + err

    # after the time it named (midnight UTC) the quota is back: the source resumes, the run is green
    tiny_sandbox.clock.advance(hours=13)
    code, out, err = run(["run", "--source", "zoom_contact_center", *where], tiny_sandbox)
    assert code == 0, out + err
    assert "voice_calls" in out


def test_failure_exit_1_one_line_per_source_traceback_only_with_verbose(tiny_sandbox, tmp_path):
    where = ["--duckdb-path", str(tmp_path / "w.duckdb"), "--pipelines-dir", str(tmp_path / "pl")]
    tiny_sandbox.inject_fault("POST /oauth/v2/token", "500", count=100)  # Zoho's token endpoint is down
    code, out, err = run(["run", "--source", "zoho_voice,zoom_contact_center", *where], tiny_sandbox)
    assert code == 1, out + err
    zoho = next(line for line in out.splitlines() if line.startswith("zoho_voice"))
    assert "FAILED" in zoho and "RetriesExhausted: zoho_voice POST token: HTTP 500" in zoho  # type + message
    assert any(line.startswith("zoom_contact_center") and " OK " in line for line in out.splitlines())
    assert "Traceback" not in out + err
    secret = tiny_sandbox.config.zoho_refresh_token
    assert secret not in out + err

    tiny_sandbox.clear_faults()
    tiny_sandbox.inject_fault("POST /oauth/v2/token", "500", count=100)
    code, out, err = run(["run", "--source", "zoho_voice", *where], tiny_sandbox, verbose=True)
    assert code == 1 and "Traceback" in err
    assert secret not in out + err


def test_live_counter_draws_one_line_per_step():
    from pipelines.console import LiveCounter

    stream = io.StringIO()
    counter = LiveCounter("zoom_phone", stream, period=0)
    with counter("Normalize zoom_phone in 1795451131.10"):
        counter.update("call_logs", 120)
        counter.update("Files", 1, total=8)
    text = stream.getvalue()
    assert "\r\033[K  zoom_phone normalize: call_logs 120 | Files 1/8" in text
    assert text.endswith("\r\033[K")


def test_a_light_daily_budget_stops_zoom_phone_as_a_quota_and_the_next_day_goes_on(tiny_sandbox, tmp_path,
                                                                                   monkeypatch):
    """`[sources.zoom.rate_limits] light_daily` leaves room for the account's other apps: the run
    sends no more Light (detail) requests than the budget, stops resumable (exit 3) and keeps no
    call without its legs; a run with a budget again finishes the load."""
    where = ["--source", "zoom_phone", "--duckdb-path", str(tmp_path / "w.duckdb"),
             "--pipelines-dir", str(tmp_path / "pl")]
    details = "GET /phone/call_history/{callHistoryUuid}"
    monkeypatch.setenv("SOURCES__ZOOM__RATE_LIMITS__LIGHT_DAILY", "5")
    code, out, err = run(["run", *where], tiny_sandbox)
    assert code == 3, out + err
    line = next(line for line in out.splitlines() if line.startswith("zoom_phone"))
    assert "QUOTA" in line and "daily budget of 5 requests for 'zoom light'" in line, line
    assert sum(1 for _, _, name, _, _ in tiny_sandbox.request_log if name == details) == 5

    monkeypatch.setenv("SOURCES__ZOOM__RATE_LIMITS__LIGHT_DAILY", "0")  # no budget of our own
    code, out, err = run(["run", *where], tiny_sandbox)
    assert code == 0, out + err
    import duckdb

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        legless = con.execute("SELECT count(*) FROM zoom_phone.call_history h WHERE NOT EXISTS (SELECT 1 FROM "
                          "zoom_phone.call_elements e WHERE e.call_history_uuid = h.call_history_uuid)").fetchone()
    assert legless == (0,)
