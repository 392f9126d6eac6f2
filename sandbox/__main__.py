"""python -m sandbox: serve the simulated vendor APIs until Ctrl-C.

    python -m sandbox --port 8765 --seed 1 --users 12 --calls-per-day 40 --days 190 \
        --latency-ms 0 --no-rate-limits

Prints the base URLs, token URLs, credentials and the SOURCES__... variables.
Admin routes (no auth): GET /_sandbox/stats, POST /_sandbox/advance?days=1&hours=0,
POST /_sandbox/fault?route=GET%20/phone/call_logs&kind=500&count=1&after=0,
POST /_sandbox/reset_stats, GET /_sandbox/truth/<name>?count_only=1, GET /_sandbox/config.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .config import RETRY_AFTER_FORMS, SandboxConfig
from .core import Sandbox


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = SandboxConfig()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 = any free port (default 8765)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--users", type=int, default=d.users)
    p.add_argument("--calls-per-day", type=int, default=d.calls_per_day)
    p.add_argument("--days", type=int, default=d.days)
    p.add_argument("--cc-calls-per-day", type=int, default=d.cc_calls_per_day)
    p.add_argument("--zoho-calls-per-day", type=int, default=d.zoho_calls_per_day)
    p.add_argument("--start", default=None,
                   help="frozen clock start (ISO, e.g. 2026-11-20T12:00:00Z); default: follow real time")
    p.add_argument("--follow", action="store_true",
                   help="with --start: let the clock run at real speed from there (needed for rate limits "
                        "when the client is another process)")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--error-5xx-rate", type=float, default=0.0)
    p.add_argument("--error-429-rate", type=float, default=0.0)
    p.add_argument("--malformed-rate", type=float, default=0.0)
    p.add_argument("--drop-rate", type=float, default=0.0)
    p.add_argument("--error-429-retry-after", choices=RETRY_AFTER_FORMS, default=d.error_429_retry_after,
                   help="Retry-After on the random 429s: seconds (1), date (HTTP date), none, or mixed")
    p.add_argument("--token-expires-after", type=int, default=d.token_expires_after, metavar="N",
                   help="an access token stops working after N data requests (0: never)")
    p.add_argument("--no-rate-limits", action="store_true", help="do not enforce Zoom/Zoho rate limits")
    p.add_argument("--zoom-light", type=int, default=d.zoom_rate_limits["light"])
    p.add_argument("--zoom-medium", type=int, default=d.zoom_rate_limits["medium"])
    p.add_argument("--zoom-heavy", type=int, default=d.zoom_rate_limits["heavy"])
    p.add_argument("--zoom-heavy-daily", type=int, default=d.zoom_heavy_daily)
    p.add_argument("--zoho-per-minute", type=int, default=d.zoho_per_minute)
    p.add_argument("--zoho-lockout-s", type=int, default=d.zoho_lockout_s)
    p.add_argument("--page-token-ttl-s", type=int, default=d.page_token_ttl_s)
    p.add_argument("--token-ttl-s", type=int, default=d.token_ttl_s)
    p.add_argument("--legacy-call-history-shape", action="store_true")
    p.add_argument("--truncated-day", metavar="YYYY-MM-DD",
                   help="quirk_truncated_window: answers of windows longer than a day leave out every second call "
                        "of this UTC day (total_records still counts them)")
    p.add_argument("--no-quirks", action="store_true", help="serve only what the published definitions document (every switch in sandbox.config.QUIRKS off)")
    p.add_argument("--zoho-rows-added-per-page", type=int, default=0)
    p.add_argument("--zoho-timezone", default=d.zoho_timezone,
                   help="the Zoho org's time zone: reads fromDate/toDate given without a zone")
    p.add_argument("--zoho-ignore-date-format", action="append", default=[], choices=("epoch_ms", "date", "datetime"),
                   help="ignore fromDate/toDate written this way, as an account might (repeatable)")
    p.add_argument("--zoom-missing-scope", action="append", default=[],
                   help="a Zoom macro scope the app lacks, e.g. contact_center_report:read:admin (repeatable)")
    p.add_argument("--zoom-missing-scope-status", type=int, default=d.zoom_missing_scope_status, choices=(401, 403))
    p.add_argument("--max-cached-calls", type=int, default=d.max_cached_calls)
    p.add_argument("--quiet", action="store_true", help="print only the URL line")
    return p


def config_from_args(a: argparse.Namespace) -> SandboxConfig:
    config = SandboxConfig(
        seed=a.seed, users=a.users, calls_per_day=a.calls_per_day, days=a.days,
        cc_calls_per_day=a.cc_calls_per_day, zoho_calls_per_day=a.zoho_calls_per_day,
        start=a.start, frozen=False if a.follow else None, host=a.host, port=a.port,
        latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, error_5xx_rate=a.error_5xx_rate,
        error_429_rate=a.error_429_rate, malformed_rate=a.malformed_rate, drop_rate=a.drop_rate,
        error_429_retry_after=a.error_429_retry_after, token_expires_after=a.token_expires_after,
        enforce_rate_limits=not a.no_rate_limits,
        zoom_rate_limits={"light": a.zoom_light, "medium": a.zoom_medium, "heavy": a.zoom_heavy},
        zoom_heavy_daily=a.zoom_heavy_daily, zoho_per_minute=a.zoho_per_minute, zoho_lockout_s=a.zoho_lockout_s,
        page_token_ttl_s=a.page_token_ttl_s, token_ttl_s=a.token_ttl_s,
        legacy_call_history_shape=a.legacy_call_history_shape,
        zoho_rows_added_per_page=a.zoho_rows_added_per_page, max_cached_calls=a.max_cached_calls,
        zoho_timezone=a.zoho_timezone, zoho_ignored_date_formats=tuple(a.zoho_ignore_date_format),
        zoom_missing_scopes=tuple(a.zoom_missing_scope), zoom_missing_scope_status=a.zoom_missing_scope_status,
        truncated_day=a.truncated_day,
    )
    return config.documented() if a.no_quirks else config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sb = Sandbox(config_from_args(args))
    sb.start()
    print(f"Sandbox listening on {sb.url}", flush=True)
    if not args.quiet:
        cfg = sb.config
        print(f"  clock           {sb.clock!r}")
        print(f"  Zoom base URL   {sb.zoom_base_url}")
        print(f"  Zoom token URL  {sb.zoom_token_url}")
        print(f"  Zoom creds      account_id={cfg.zoom_account_id} client_id={cfg.zoom_client_id} "
              f"client_secret={cfg.zoom_client_secret}")
        print(f"  Zoho base URL   {sb.zoho_base_url}")
        print(f"  Zoho token URL  {sb.zoho_token_url}")
        print(f"  Zoho creds      client_id={cfg.zoho_client_id} client_secret={cfg.zoho_client_secret} "
              f"refresh_token={cfg.zoho_refresh_token}")
        print(f"  rate limits     {'on' if cfg.enforce_rate_limits else 'off'}; latency {cfg.latency_ms} ms")
        if cfg.enforce_rate_limits and sb.clock.frozen:
            print("  note            the clock is frozen: rate-limit windows and lock-outs only move with "
                  "POST /_sandbox/advance (use --follow to let it run from --start)")
        print(f"  admin           {sb.url}/_sandbox/stats  (POST /_sandbox/advance?days=1, /_sandbox/fault, "
              f"/_sandbox/reset_stats)")
        print("  environment:")
        for k, v in sb.env().items():
            print(f"    export {k}={v}")
        sys.stdout.flush()
    done = threading.Event()

    def _stop(*_):
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not done.wait(1.0):
            pass
    finally:
        sb.stop()
        print("Sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
