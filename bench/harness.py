"""Process plumbing for the benchmark: a sandbox server in its own process, and each
pipeline run in its own process with its resident memory sampled from outside.

Keeping the sandbox out of the measured process means its CPU and memory (generating
and serving a million calls) are not charged to the pipeline.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


class SandboxProcess:
    """`python -m sandbox` in a subprocess; admin routes for stats."""

    def __init__(self, *, seed: int, users: int, calls_per_day: int, days: int, start: str,
                 latency_ms: float = 0.0, rate_limits: bool = True, follow: bool = False,
                 extra: list[str] | None = None):
        self.args = [
            sys.executable, "-m", "sandbox", "--port", "0", "--seed", str(seed), "--users", str(users),
            "--calls-per-day", str(calls_per_day), "--days", str(days), "--start", start,
            "--latency-ms", str(latency_ms), "--quiet",
        ]
        if not rate_limits:
            self.args.append("--no-rate-limits")
        if follow:  # the clock runs from `start` at real speed (rate limits need time to pass)
            self.args.append("--follow")
        self.args += extra or []
        self.url = ""
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="bench-sandbox-", suffix=".log")[1])
        self.admin: httpx.Client | None = None

    def __enter__(self) -> SandboxProcess:
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()  # the `with` block never ran: stop the server and remove its log here
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited ({self.proc.returncode}): {self.log_tail()}")
            match = re.search(r"Sandbox listening on (\S+)\n", self.log_path.read_text())
            if match:
                self.url = match.group(1)
                self.admin = httpx.Client(base_url=self.url, timeout=120.0)
                self.admin.get("/_sandbox/stats").raise_for_status()
                return
            time.sleep(0.1)
        raise RuntimeError(f"sandbox did not start within 60 s: {self.log_tail()}")

    def env(self) -> dict[str, str]:
        """The SOURCES__... variables for this sandbox (URLs and credentials)."""
        return self.stats()["env"]

    def __exit__(self, *exc) -> None:
        if self.admin is not None:
            self.admin.close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self.log_path.unlink(missing_ok=True)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text()[-chars:]
        except OSError:
            return ""

    def stats(self) -> dict[str, Any]:
        answer = self.admin.get("/_sandbox/stats")
        answer.raise_for_status()
        return answer.json()

    def reset_stats(self) -> None:
        self.admin.post("/_sandbox/reset_stats").raise_for_status()

    def truth_count(self, name: str) -> int:
        """How many `name` items (call_logs, call_log_legs, ...) the sandbox serves right now."""
        answer = self.admin.get(f"/_sandbox/truth/{name}", params={"count_only": "1"}, timeout=600)
        answer.raise_for_status()
        return int(answer.json()["count"])

    def cpu_s(self) -> float:
        """CPU seconds the sandbox process has used so far."""
        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system


def run_child(spec: dict[str, Any], env: dict[str, str] | None = None, timeout: float = 1800.0,
              sandbox: SandboxProcess | None = None) -> dict[str, Any]:
    """Run `python -m bench.child` on `spec`; sample its RSS (with its children) every 50 ms.

    Returns the child's own report plus `process_wall_s`, `peak_rss_sampled_mb`, `peak_rss_mb`
    and, given the sandbox it talks to, `sandbox_cpu_s` (CPU the server spent meanwhile).
    """
    sandbox_cpu = sandbox.cpu_s() if sandbox else 0.0
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        result_path = Path(tmp) / "result.json"
        log_path = Path(tmp) / "child.log"
        spec_path.write_text(json.dumps({**spec, "result_path": str(result_path)}))
        child_env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        with log_path.open("w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "bench.child", str(spec_path)], cwd=ROOT,
                                    env=child_env, stdout=log, stderr=subprocess.STDOUT)
            peak = 0
            watched = psutil.Process(proc.pid)
            while proc.poll() is None:
                try:
                    rss = watched.memory_info().rss
                    for sub in watched.children(recursive=True):
                        try:
                            rss += sub.memory_info().rss
                        except psutil.Error:
                            pass
                    peak = max(peak, rss)
                except psutil.Error:
                    pass
                if time.perf_counter() - started > timeout:
                    proc.kill()
                    proc.wait()
                    raise RuntimeError(f"{spec.get('name')}: no result within {timeout:.0f} s")
                time.sleep(0.05)
        wall = time.perf_counter() - started
        output = log_path.read_text()
        if proc.returncode != 0 or not result_path.exists():
            raise RuntimeError(f"{spec.get('name')}: child failed ({proc.returncode}):\n{output[-4000:]}")
        result = json.loads(result_path.read_text())
    result["process_wall_s"] = round(wall, 2)
    if sandbox:
        result["sandbox_cpu_s"] = round(sandbox.cpu_s() - sandbox_cpu, 2)
    result["peak_rss_sampled_mb"] = round(peak / MB, 1)
    result["peak_rss_mb"] = max(result.get("ru_maxrss_mb", 0.0), result["peak_rss_sampled_mb"])
    return result


@contextmanager
def workdir():
    with tempfile.TemporaryDirectory(prefix="callpipe-bench-", ignore_cleanup_errors=True) as path:
        yield Path(path)
