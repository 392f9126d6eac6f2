"""`python -m bench [--quick] [--out PATH]`: callpipe's performance against the sandbox.

Prints a table and writes a JSON report (default bench/results/latest.json). Goals are
reported, not asserted; the exit code is non-zero only when a scenario could not run.
See bench/scenarios.py for what each scenario does and README "Performance" for numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import ROOT
from bench.report import goals, render
from bench.scenarios import PROFILES, Bench

DEFAULT_OUT = ROOT / "bench" / "results" / "latest.json"


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="the 100k bulk load only: no list-only loads, Postgres on a 5k slice (a few minutes)")
    size.add_argument("--toy", action="store_true",
                      help="a few hundred calls per scenario (the smoke test; numbers mean nothing)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default {DEFAULT_OUT})")
    parser.add_argument("--postgres-dsn", default=os.environ.get(
        "CALLPIPE_BENCH_PG_DSN", os.environ.get("CALLPIPE_TEST_PG_DSN",
                                                "postgresql://callpipe:callpipe@127.0.0.1:5432/callpipe_test")),
        help="Postgres for the Postgres bulk load (env CALLPIPE_BENCH_PG_DSN); skipped when unreachable")
    parser.add_argument("--no-postgres", action="store_true", help="skip the Postgres bulk load")
    parser.add_argument("--postgres-calls", type=int, metavar="N",
                        help="calls loaded into Postgres (default: 10000; --quick 5000; at most the bulk's)")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO",
                        choices=["rest_api", "requests", "bulk", "postgres", "list", "fanout", "zoho", "storm"],
                        help="run only these scenarios: rest_api requests bulk postgres list fanout zoho, and storm "
                             "(a fault storm against a clean run; runs only when named)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra setting for every measured pipeline, e.g. "
                             "SOURCES__ZOOM_PHONE__DETAIL_WORKERS=4 (recorded in the report)")
    args = parser.parse_args(argv)
    extra_env = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--env takes NAME=VALUE, not {item!r}")
        extra_env[name] = value

    profile = PROFILES["toy" if args.toy else "quick" if args.quick else "full"]
    if args.postgres_calls is not None:
        profile = dataclasses.replace(profile, postgres_calls=min(args.postgres_calls, profile.bulk_calls))
    load_before = os.getloadavg()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    bench = Bench(profile, postgres_dsn=None if args.no_postgres else args.postgres_dsn, only=args.only,
                  extra_env=extra_env)
    results = bench.run_all()
    elapsed = time.perf_counter() - started
    report = {
        "meta": {
            "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
            "profile": profile.name,
            "sizes": profile.describe(),
            "complete": not args.only,
            "extra_env": extra_env,
            "started_at": started_at,
            "total_s": round(elapsed, 1),
            "git_commit": _git_commit(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform(), "loadavg_before": [round(x, 2) for x in load_before],
                        "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        },
        "scenarios": results,
    }
    report["goals"] = goals(results)
    print(render(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nreport written to {args.out}")
    failed = [name for name, result in results.items() if result.get("error")]
    if failed:
        print(f"scenarios that could not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
