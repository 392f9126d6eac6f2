"""`callpipe` / `python -m pipelines`: run, backfill, audit, demo, status.

Exit codes: 0 every source succeeded; 1 a source failed; 2 invalid arguments or
configuration (nothing requested); 3 a source stopped on its API quota (resumable: rerun
later); 4 a source is being loaded by another process right now (run lock held);
6 an audit found days where the warehouse differs from the API.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any

from pipelines.accounts import named as named_account
from pipelines.accounts import plan_accounts
from pipelines.analytics import service_level_seconds
from pipelines.console import Console
from pipelines.errors import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigError,
    Terminated,
    UsageError,
    combine_exit_codes,
    describe,
    interrupted_exit,
)
from pipelines.registry import SOURCES
from pipelines.warehouse import (
    DEFAULT_DUCKDB_PATH,
    DEFAULT_PIPELINES_DIR,
    DESTINATIONS,
    POSTGRES_ENV,
    Warehouse,
    check_writable,
    config_value,
    redact,
    warehouse_from_config,
)
from sources.common.args import list_value
from sources.common.config import env_var

PROG = "callpipe"
SOURCE_LIST = ", ".join(SOURCES)

EPILOG_EXIT = "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())


# ---------------------------------------------------------------------------- argument types
def source_name(text: str) -> str:
    name = text.strip()
    if name not in SOURCES:
        close = [s for s in SOURCES if name and (name in s or s.startswith(name.split("_")[0]))]
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise argparse.ArgumentTypeError(
            f"unknown source {text!r}{hint}: type one of {SOURCE_LIST}, e.g. --source zoom_phone"
        )
    return name


def source_list(text: str) -> list[str]:
    return [source_name(part) for part in text.split(",") if part.strip()]


def dataset_mapping(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(
            f"{text!r}: type SOURCE=DATASET, e.g. --dataset zoom_phone=zoom_phone_raw"
        )
    source, dataset = (part.strip() for part in text.split("=", 1))
    return source_name(source), dataset


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a pointer to --help
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n(see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("warehouse")
    where.add_argument("--destination", choices=DESTINATIONS,
                       help="duckdb (default; [pipeline] destination) or postgres: DSN from "
                            f"[destination.postgres] credentials in .dlt/secrets.toml or {POSTGRES_ENV}")
    where.add_argument("--duckdb-path", metavar="FILE",
                       help=f"DuckDB file (default [pipeline] duckdb_path or {DEFAULT_DUCKDB_PATH})")
    where.add_argument("--pipelines-dir", metavar="DIR",
                       help=f"local dlt working directories (default {DEFAULT_PIPELINES_DIR}); state is restored "
                            "from the warehouse when it is empty")
    where.add_argument("--dataset", action="append", type=dataset_mapping, default=[], metavar="SOURCE=DATASET",
                       help="dataset (schema) of a source, repeatable (default: the source name; "
                            "[pipeline.datasets])")
    where.add_argument("--analytics-dataset", metavar="NAME", help="dataset of the analyst views (default analytics)")
    common.add_argument("--account", action="append", type=named_account, default=[], metavar="NAME",
                        help="only this vendor account (repeatable): `default` ([sources.zoom], "
                             "[sources.zoho_voice]) or a name of [accounts.zoom.NAME] / [accounts.zoho_voice.NAME]")
    common.add_argument("-v", "--verbose", action="store_true", help="full tracebacks and INFO logs")

    limits = argparse.ArgumentParser(add_help=False)
    box = limits.add_argument_group("time box (resumable: the next run continues where this one stopped)")
    box.add_argument("--max-duration", metavar="TIME",
                     help="stop at the next progress boundary after this long, e.g. 2h, 90m "
                          "([pipeline] max_duration); loads what was read and exits 5")
    box.add_argument("--max-requests", metavar="N",
                     help="stop at the next progress boundary after N API requests ([pipeline] max_requests)")

    parser = Parser(
        prog=PROG,
        description="Load telephony call records (Zoom Phone, Zoom Contact Center, Zoho Voice) into "
                    "DuckDB or Postgres with dlt.",
        epilog=EPILOG_EXIT + "\n\nSee README.md for scheduling recipes and credentials.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    run = sub.add_parser(
        "run", parents=[common, limits], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the nightly job: incremental load of every enabled source",
        description="Incremental load of every enabled source ([pipeline] sources, default all), each as its "
                    "own dlt pipeline: one failing source does not stop the others. Prints one summary line "
                    "per source and refreshes the analytics views.",
        epilog=EPILOG_EXIT,
    )
    run.add_argument("--source", action="append", type=source_list, metavar="NAME[,NAME]",
                     help=f"only these sources (repeatable): {SOURCE_LIST}")
    run.add_argument("--plan", action="store_true",
                     help="print the requests the run would make per resource and how long they take at the "
                          "configured rate limits, then exit without loading")

    backfill = sub.add_parser(
        "backfill", parents=[common, limits], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="load a closed date range of one source (nightly cursors untouched)",
        description="Load [--start, --end] of one source into the same tables (merge: re-running adds no "
                    "rows). The nightly cursor is left where it was. A plain date as --end includes that "
                    "whole day. Zoom keeps six months of history: older starts are refused.",
        epilog="examples:\n  callpipe backfill --source zoom_phone --start 2026-07-01 --end 2026-08-31\n"
               "  callpipe backfill --source zoho_voice --start 2026-09-01T00:00:00+02:00 "
               "--end 2026-09-15\n\n" + EPILOG_EXIT,
    )
    backfill.add_argument("--source", required=True, type=source_name, metavar="NAME", help=SOURCE_LIST)
    backfill.add_argument("--resources", metavar="R[,R]",
                          help="only these resources of the source (default: all its range-based resources)")
    backfill.add_argument("--start", required=True, metavar="DATE", help="YYYY-MM-DD or ISO 8601 with a zone")
    backfill.add_argument("--end", required=True, metavar="DATE",
                          help="YYYY-MM-DD (inclusive day) or ISO 8601 with a zone (exclusive instant)")
    backfill.add_argument("--plan", action="store_true",
                          help="print the requests the backfill would make and how long they take, then exit "
                               "without loading")

    audit = sub.add_parser(
        "audit", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="prove the warehouse holds what the API holds, UTC day by UTC day",
        description="For every UTC day of the range, ask the API how many records it holds (one small request "
                    "per day and pass) and count the warehouse the same way; for Zoom Phone also the calls "
                    "without legs. Prints a table, records the audit in callpipe.audits and exits 0 when every "
                    "day matches, 6 when some differ. --repair backfills exactly the differing days (nightly "
                    "cursors and sync tokens untouched) and audits them again.",
        epilog="examples:\n  callpipe audit --source zoom_phone\n"
               "  callpipe audit --source zoho_voice --start 2026-09-01 --end 2026-09-30 --repair\n\n" + EPILOG_EXIT,
    )
    audit.add_argument("--source", required=True, type=source_name, metavar="NAME", help=SOURCE_LIST)
    audit.add_argument("--start", metavar="YYYY-MM-DD",
                       help="first UTC day (default: the first whole day the warehouse holds, within the API's "
                            "look-back)")
    audit.add_argument("--end", metavar="YYYY-MM-DD",
                       help="last UTC day, included (default: the day before the last successful run)")
    audit.add_argument("--repair", action="store_true",
                       help="backfill the days that differ, then audit them again")

    demo = sub.add_parser(
        "demo", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="local sandbox API -> demo.duckdb, row counts and one call flow",
        description="Starts the sandbox vendor API in-process, loads every source into a local DuckDB file, "
                    "refreshes the analytics views, prints row counts and the Marketing Hotline call flow.",
        epilog=EPILOG_EXIT,
    )
    demo.add_argument("--path", default="demo.duckdb", metavar="FILE", help="DuckDB file (default demo.duckdb)")
    demo.add_argument("--pipelines-dir", metavar="DIR", help="local dlt working directories "
                      "(default .callpipe/demo-pipelines)")
    demo.add_argument("--days", type=int, default=30, help="days of sandbox history (default 30)")
    demo.add_argument("--users", type=int, default=8, help="sandbox users (default 8)")
    demo.add_argument("--calls-per-day", type=int, default=10, help="Zoom Phone calls per day (default 10)")
    demo.add_argument("-v", "--verbose", action="store_true", help="full tracebacks and INFO logs")

    status = sub.add_parser(
        "status", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="last runs, cursors, sync tokens and row counts per source",
        description="Per source: last run (time, outcome), a run in progress, cursor values, number of users "
                    "with a sync token (tokens are never shown) and rows per table. Read from the warehouse, "
                    "so it works on a fresh machine.",
    )
    status.add_argument("--source", action="append", type=source_list, metavar="NAME[,NAME]",
                        help=f"only these sources: {SOURCE_LIST}")
    return parser


# ---------------------------------------------------------------------------- helpers
class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (safe under test capture)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler())
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # dlt is chatty at INFO; the sources' warnings (skipped users, clamped ranges) stay visible
    logging.getLogger("dlt").setLevel(logging.INFO if verbose else logging.WARNING)


def _flatten(values: list[list[str]] | None) -> list[str]:
    out: list[str] = []
    for group in values or []:
        for name in group:
            if name not in out:
                out.append(name)
    return out


def make_warehouse(args: argparse.Namespace) -> Warehouse:
    service_level_seconds()  # [analytics] service_level_seconds: a bad value stops before any request
    return warehouse_from_config(
        destination=getattr(args, "destination", None),
        duckdb_path=getattr(args, "duckdb_path", None),
        pipelines_dir=getattr(args, "pipelines_dir", None),
        datasets=dict(getattr(args, "dataset", []) or []),
        analytics_dataset=getattr(args, "analytics_dataset", None),
    )


def enabled_sources(selected: list[str]) -> list[str]:
    if selected:
        return selected
    configured = config_value("pipeline.sources", None)
    if configured is None:
        return list(SOURCES)
    names = list_value("pipeline.sources", configured)
    unknown = [n for n in names if n not in SOURCES]
    example = 'e.g. ["zoom_phone", "zoho_voice"] or zoom_phone,zoho_voice (env var PIPELINE__SOURCES)'
    if unknown:
        raise ConfigError(f"[pipeline] sources lists unknown {unknown}: use names from {SOURCE_LIST}, {example}")
    if not names:
        raise ConfigError(f"[pipeline] sources is empty: list at least one of {SOURCE_LIST}, {example}")
    return names


def run_limits(args: argparse.Namespace) -> Any:
    """--max-duration / --max-requests, else [pipeline] max_duration / max_requests; None when neither."""
    from pipelines.dates import parse_duration
    from pipelines.runner import RunLimits

    duration = args.max_duration or config_value("pipeline.max_duration", None)
    requests = args.max_requests or config_value("pipeline.max_requests", None)
    if duration is None and requests is None:
        return None
    where = ("--max-duration" if args.max_duration else
             f"[pipeline] max_duration (env {env_var('pipeline.max_duration')})")
    seconds = parse_duration(duration, where) if duration is not None else None
    count = None
    if requests is not None:
        text = str(requests).strip()
        if not text.isdigit() or int(text) < 1:
            where = ("--max-requests" if args.max_requests else
                     f"[pipeline] max_requests (env {env_var('pipeline.max_requests')})")
            raise UsageError(f"{where}: {text!r} is not a number of requests: type a whole number such as 5000")
        count = int(text)
    return RunLimits(max_seconds=seconds, max_requests=count)


# ---------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace, console: Console, clock: Any = None) -> int:
    from pipelines.runner import prepare_all, run_sources

    wh = make_warehouse(args)
    check_writable(wh)
    names = enabled_sources(_flatten(args.source))
    pairs = plan_accounts(names, args.account)
    limits = run_limits(args)
    jobs, failed, code = prepare_all([(SOURCES[n], {"account": a, "limits": limits}) for n, a in pairs], "run",
                                     console, clock)
    if code == EXIT_USAGE:
        return code
    if args.plan:
        from pipelines.plan import print_plans

        return print_plans(wh, jobs, console, clock, always=True)
    console.note(f"callpipe run: {', '.join(job.title for job in jobs)} -> {wh.describe()}")
    _log_plans(wh, jobs, console, clock)
    for result in failed:
        console.print(result.summary())
    rc = run_sources(wh, jobs, console)
    return combine_exit_codes([rc] + [r.exit_code for r in failed])


def cmd_backfill(args: argparse.Namespace, console: Console, clock: Any = None) -> int:
    from pipelines.dates import check_range, parse_cli_date
    from pipelines.runner import prepare_all, run_sources

    spec = SOURCES[args.source]
    start = parse_cli_date(args.start, "--start")
    end = parse_cli_date(args.end, "--end", end=True)
    now = clock.now() if clock is not None else dt.datetime.now(dt.UTC)
    end, notes = check_range(start, end, now, source=spec.title, lookback_months=spec.lookback_months,
                             start_text=args.start.strip(), end_text=args.end.strip())
    resources = [r.strip() for r in (args.resources or "").split(",") if r.strip()] or None
    if resources:
        known = spec.resource_names()
        unknown = [r for r in resources if known and r not in known]
        if unknown:
            raise UsageError(
                f"unknown resource(s) {', '.join(unknown)} for {spec.name}: type --resources with names from "
                f"{', '.join(known or ())}"
            )
    for note in notes:
        console.note("note: " + note)
    wh = make_warehouse(args)
    check_writable(wh)
    pairs = plan_accounts([spec.name], args.account)
    limits = run_limits(args)
    jobs, failed, code = prepare_all(
        [(spec, {"resources": resources, "start": start, "end": end, "limits": limits, "account": a})
         for _, a in pairs], "backfill", console, clock
    )
    if code == EXIT_USAGE:
        return code
    if failed:
        console.print(failed[0].summary())
        return EXIT_FAILED
    if args.plan:
        from pipelines.plan import print_plans

        return print_plans(wh, jobs, console, clock, always=True)
    console.note(f"callpipe backfill: {', '.join(job.title for job in jobs)} {start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC "
                 f"-> {wh.describe()} (nightly cursors untouched)")
    _log_plans(wh, jobs, console, clock)
    return run_sources(wh, jobs, console)


def _log_plans(wh: Warehouse, jobs: list[Any], console: Console, clock: Any) -> None:
    """The request plan of long runs on stderr (pipelines.plan); never stops the run."""
    from pipelines.plan import print_plans

    try:
        print_plans(wh, jobs, console, clock, always=False)
    except Exception as exc:  # noqa: BLE001 - the plan is informative only
        console.note(f"warning: no request plan: {redact(describe(exc))}")


def cmd_audit(args: argparse.Namespace, console: Console, clock: Any = None) -> int:
    from pipelines.audit import run_audit

    return run_audit(make_warehouse(args), SOURCES[args.source], args, console, clock)


def cmd_status(args: argparse.Namespace, console: Console, clock: Any = None) -> int:
    from pipelines.status import show_status

    wh = make_warehouse(args)
    names = _flatten(args.source) or list(SOURCES)
    return show_status(wh, plan_accounts(names, args.account), console)


def cmd_demo(args: argparse.Namespace, console: Console, clock: Any = None) -> int:
    from pipelines.demo import run_demo

    return run_demo(args, console)


COMMANDS = {"run": cmd_run, "backfill": cmd_backfill, "audit": cmd_audit, "status": cmd_status, "demo": cmd_demo}


def main(argv: Sequence[str] | None = None, *, clock: Any = None, console: Console | None = None) -> int:
    """Entry point (`callpipe`). `clock`/`console` are for in-process tests."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): return the code, do not exit
        return int(exc.code or 0)
    _setup_logging(args.verbose)
    console = console or Console(verbose=args.verbose)
    console.verbose = console.verbose or args.verbose
    previous = _stop_on_sigterm()
    try:
        return COMMANDS[args.command](args, console, clock)
    except ConfigError as exc:  # includes UsageError: nothing was requested
        console.error(redact(describe(exc)))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        why = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        console.error(f"interrupted ({why}): nothing is lost, the next run goes on from the last "
                      "saved state")
        return interrupted_exit(exc)
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback only with --verbose
        console.error(redact(describe(exc)))
        if args.verbose:
            console.note(redact("".join(traceback.format_exception(exc))))
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm() -> Any:
    """SIGTERM (a scheduler's timeout, a container stop) unwinds like Ctrl-C instead of dying on
    the spot. Returns the handler it replaced (None off the main thread, where Python cannot
    install one)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated()

    return signal.signal(signal.SIGTERM, terminate)


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
