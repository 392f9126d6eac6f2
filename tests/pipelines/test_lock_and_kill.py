"""Run lock (second concurrent run refused, killed holder detected), SIGTERM, and `kill -9` recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from pipelines.lock import LockHeld, RunLock
from tests.pipelines.conftest import (
    assert_no_duplicates,
    cli,
    cli_env,
    cli_popen,
    real_now_iso,
    run_inprocess,
    snapshot,
)

SOURCE = "zoom_phone"  # the most tables and requests: the longest extract and load


class Watched:
    """A CLI subprocess whose stderr lines are collected as they come."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.proc.poll() is not None:
                time.sleep(0.2)
                return any(text in line for line in self.lines)
            time.sleep(0.05)
        return False

    def kill9(self) -> bool:
        """SIGKILL; True if the process was still running."""
        alive = self.proc.poll() is None
        if alive:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._thread.join(timeout=10)
        self.proc.stdout.close()
        return alive


@pytest.fixture
def live(tiny_world):
    """A sandbox frozen at the real 'now' (subprocesses use the real clock), env set for in-process runs."""
    return tiny_world(start=real_now_iso())


def where(wh) -> list[str]:
    return ["--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)]


def clean_snapshot(make_wh) -> dict:
    clean = make_wh("clean")
    assert run_inprocess(clean, [SOURCE], None)[SOURCE].outcome == "ok"
    return snapshot(clean, [SOURCE])


def test_run_lock_in_process(tmp_path):
    path = tmp_path / "x.lock"
    first = RunLock(path, "callpipe_x").acquire(command="run")
    with pytest.raises(LockHeld) as refused:
        RunLock(path, "callpipe_x").acquire(command="run")
    message = str(refused.value)
    assert f"pid {os.getpid()}" in message and "already running (run)" in message and "started 20" in message
    assert RunLock(path, "callpipe_x").holder()["pid"] == os.getpid()
    first.release()
    assert RunLock(path, "callpipe_x").holder() is None
    again = RunLock(path, "callpipe_x").acquire()
    assert again.stale is None  # released cleanly: nothing to report
    again.release()


def test_lock_of_a_killed_process_is_taken_over(tmp_path):
    path = tmp_path / "x.lock"
    code = ("import sys, time; from pipelines.lock import RunLock; "
            f"RunLock({str(path)!r}, 'callpipe_x').acquire(command='run'); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=f"pid {holder.pid}"):
            RunLock(path, "callpipe_x").acquire()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    lock = RunLock(path, "callpipe_x").acquire()
    assert lock.stale and lock.stale["pid"] == holder.pid  # detected, reported, cleared
    lock.release()


@pytest.mark.slow
def test_second_run_refused_then_killed_run_recovered(live, make_wh):
    wh = make_wh("warehouse")
    env = cli_env(live)
    live.config.latency_ms = 300  # a slow API: the first run is still extracting when the second starts
    first = Watched(cli_popen(["run", "--source", SOURCE, *where(wh)], env))
    try:
        assert first.wait_for(f"{SOURCE}: extract"), "".join(first.lines)
        second = cli(["run", "--source", SOURCE, *where(wh)], env)
        assert second.returncode == 4, second.stderr
        text = second.stdout + second.stderr
        assert "already running" in text and f"pid {first.proc.pid}" in text and "BUSY" in text
    finally:
        was_running = first.kill9()
    assert was_running, "the first run ended before it could be killed"
    live.config.latency_ms = 0

    third = cli(["run", "--source", SOURCE, *where(wh)], env)
    assert third.returncode == 0, third.stderr
    assert "did not finish" in third.stderr  # the killed holder was detected and its lock cleared
    snap = snapshot(wh, [SOURCE])
    assert_no_duplicates(snap)
    assert snap == clean_snapshot(make_wh)

    status = cli(["status", "--source", SOURCE, *where(wh)], env)
    assert status.returncode == 0, status.stderr
    assert "run  ok" in status.stdout and "recent runs  run ok, run interrupted" in status.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code_expected", "name"), [(signal.SIGTERM, 143, "SIGTERM"),
                                                            (signal.SIGINT, 130, "Ctrl-C")])
def test_sigterm_or_ctrl_c_stops_cleanly_and_the_next_run_completes(live, make_wh, sig, code_expected, name):
    """A scheduler's timeout or a container stop sends SIGTERM (a user, Ctrl-C): the run stops
    within seconds, records itself as interrupted, frees its lock, and the next run completes."""
    wh = make_wh("warehouse")
    env = cli_env(live)
    live.config.latency_ms = 300  # still extracting (detail requests in flight) when the signal comes
    run = Watched(cli_popen(["run", "--source", SOURCE, *where(wh)], env))
    try:
        assert run.wait_for(f"{SOURCE}: extract"), "".join(run.lines)
        time.sleep(1.0)
        os.kill(run.proc.pid, sig)
        code = run.proc.wait(timeout=30)
    finally:
        run.kill9()
    text = "".join(run.lines)
    assert code == code_expected, text
    assert f"interrupted ({name})" in text and "next run" in text
    live.config.latency_ms = 0

    again = cli(["run", "--source", SOURCE, *where(wh)], env)
    assert again.returncode == 0, again.stderr
    assert "did not finish" not in again.stderr  # the lock was released, not taken over
    snap = snapshot(wh, [SOURCE])
    assert_no_duplicates(snap)
    assert snap == clean_snapshot(make_wh)
    status = cli(["status", "--source", SOURCE, *where(wh)], env)
    assert "recent runs  run ok, run interrupted" in status.stdout, status.stdout


@pytest.mark.slow
def test_kill_9_during_load_then_rerun_equals_clean_run(live, make_wh):
    wh = make_wh("warehouse")
    env = cli_env(live)
    run = Watched(cli_popen(["run", "--source", SOURCE, *where(wh)], env))
    assert run.wait_for(f"{SOURCE}: load into"), "".join(run.lines)
    # mid-load: the package has completed jobs but is not loaded yet
    package = wh.work_dir / f"callpipe_{SOURCE}" / "load" / "normalized"
    deadline = time.monotonic() + 60
    while not list(package.glob("*/completed_jobs/*")) and run.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(package.glob("*/new_jobs/*")) or list(package.glob("*/started_jobs/*")), "load already done"
    assert run.kill9(), "the run ended before it could be killed"

    rerun = cli(["run", "--source", SOURCE, *where(wh)], env)
    assert rerun.returncode == 0, rerun.stderr
    assert "did not finish" in rerun.stderr
    assert "loading the pending packages of an interrupted run first" in rerun.stderr
    snap = snapshot(wh, [SOURCE])
    assert_no_duplicates(snap)
    assert snap == clean_snapshot(make_wh)


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_run_lock_is_where_the_data_is(kind, tiny_sandbox, tmp_path, request, monkeypatch):
    """A second run into the same warehouse is refused whatever its working directory."""
    import io

    from pipelines.cli import main
    from pipelines.console import Console
    from pipelines.warehouse import Warehouse

    source = "zoho_voice"
    if kind == "duckdb":
        path = tmp_path / "w.duckdb"
        holder_wh = Warehouse.duckdb(path, pipelines_dir=tmp_path / "first-machine")
        where = ["--duckdb-path", str(path)]
    else:
        holder_wh = request.getfixturevalue("pg_warehouse")
        dataset = holder_wh.dataset(source)
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", holder_wh.location)
        monkeypatch.setenv("PIPELINE__RUNS_DATASET", holder_wh.runs_dataset)
        where = ["--destination", "postgres", "--dataset", f"{source}={dataset}"]
    held = holder_wh.lock(source).acquire(command="backfill")
    try:
        out, err = io.StringIO(), io.StringIO()
        code = main(["run", "--source", source, *where, "--pipelines-dir", str(tmp_path / "second-machine")],
                    clock=tiny_sandbox.clock, console=Console(out=out, err=err, live=False))
        assert code == 4, out.getvalue() + err.getvalue()
        assert f"already running (backfill): pid {os.getpid()}" in out.getvalue()
        assert sum(tiny_sandbox.requests.values()) == 0
        assert holder_wh.lock(source).holder()["pid"] == os.getpid()
    finally:
        held.release()
    assert holder_wh.lock(source).holder() is None
