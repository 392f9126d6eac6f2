"""`python -m bench.accounts`: two accounts with their own rate limits load in about the time of one.

Two sandbox processes stand for two Zoom accounts (same world size, Zoom's limits enforced by
each, the client at the same limits); `callpipe run --source zoom_phone` loads one account,
then both side by side (`[pipeline] accounts_at_once = 2`). Prints the wall times and their
ratio (1.0 = the second account cost no time). The load is bound by the Light limit of each
account (one detail request per call), so it measures that the limits are per account.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, SandboxProcess
from bench.scenarios import QUIET, SEED, iso, sandbox_start


def account_env(sandbox: SandboxProcess, name: str) -> dict[str, str]:
    out = {}
    for key, value in sandbox.env().items():
        _, provider, field = key.split("__", 2)
        out[f"ACCOUNTS__{provider}__{name.upper()}__{field}"] = value
    return out


def load(accounts: list[str], envs: dict[str, dict[str, str]], light: int, tmp: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIPELINE__ACCOUNTS": ",".join(f"zoom.{a}" for a in accounts),
           "PIPELINE__ACCOUNTS_AT_ONCE": "2", "SOURCES__ZOOM__RATE_LIMITS__LIGHT": str(light)}
    for name in accounts:
        env.update(envs[name])
    where = tmp / "-".join(accounts)
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pipelines", "run", "--source", "zoom_phone", "--duckdb-path",
                           str(where / "w.duckdb"), "--pipelines-dir", str(where / "p")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - t0
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    print(done.stdout.strip())
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accounts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls-per-day", type=int, default=40)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--light", type=int, default=20, help="Zoom Light requests per second, per account")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    start = iso(sandbox_start())
    limits = ["--zoom-light", str(args.light)]
    world = dict(seed=SEED, users=12, calls_per_day=args.calls_per_day, days=args.days, start=start,
                 latency_ms=args.latency_ms, follow=True, extra=QUIET + limits)
    with SandboxProcess(**world) as emea, SandboxProcess(**world) as us, \
            tempfile.TemporaryDirectory(prefix="bench-accounts-") as tmp:
        envs = {"emea": account_env(emea, "emea"), "us": account_env(us, "us")}
        one = load(["emea"], envs, args.light, Path(tmp))
        two = load(["emea", "us"], envs, args.light, Path(tmp))
    print(f"one account {one:.1f} s, two accounts side by side {two:.1f} s: ratio {two / one:.2f} "
          f"({args.calls_per_day * args.days} calls per account, Light {args.light}/s each, "
          f"latency {args.latency_ms:g} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
