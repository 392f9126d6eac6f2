"""SandboxConfig: every knob of the simulated vendor APIs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

RETRY_AFTER_FORMS = ("seconds", "date", "none", "mixed")  # error_429_retry_after

# The sandbox's deliberate departures from the vendors' published definitions (tests/contract/openapi/),
# each a switch that is on by default. `SandboxConfig.documented()` turns them all off: that world must
# serve only what the definitions document (tests/contract checks every response against them).
QUIRKS = (
    "quirk_empty_last_page",    # a full last page still carries a next_page_token (seen live)
    "quirk_unknown_enums",      # undocumented enum values (call_result "unconnected"... seen live)
    "quirk_trailing_spaces",    # string values with trailing spaces (seen live)
    "quirk_missing_fields",     # documented fields absent on some rows (seen live)
    "quirk_late_arrivals",      # calls that become visible hours after they ended (seen live)
    "quirk_truncated_window",   # with `truncated_day` set: an answer for a window longer than a day leaves out every
                                # second call of that day while total_records still counts it (a silently short
                                # answer, as users of other connectors report); a one-day window is answered whole
    "quirk_guide_fields",       # legacy call-log fields Zoom's guide "Understand Zoom Phone call logs" shows
                                # but the definition lacks: caller_location, a detail's answer_start_time,
                                # log_details[] answer_start_time/call_type/caller_location/recording_*
)


def _zoom_limits() -> dict[str, int]:
    return {"light": 40, "medium": 20, "heavy": 10}


@dataclass
class SandboxConfig:
    # world size ------------------------------------------------------------
    seed: int = 1
    users: int = 12                   # Zoom Phone users with a licence (2 unlicensed users are added)
    calls_per_day: int = 40           # Zoom Phone calls per UTC day (a transfer adds a second call log)
    days: int = 190                   # whole days of history before the clock's start date
    cc_calls_per_day: int = 20        # Zoom Contact Center engagements per day
    cc_queues: int = 4                # Contact Center queues (beyond 4: "CC Queue 5", ...)
    zoho_calls_per_day: int = 20      # Zoho Voice call logs per day
    # clock: start given -> frozen at that instant (tests); None -> real time (CLI/demo)
    start: dt.datetime | str | None = None
    frozen: bool | None = None        # override: None = frozen iff start is given
    # network behaviour -------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 0                     # 0 = any free port
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_5xx_rate: float = 0.0       # random faults on data routes (seeded RNG)
    error_429_rate: float = 0.0
    malformed_rate: float = 0.0
    drop_rate: float = 0.0
    # Retry-After on the random 429s: "seconds" ("1"), "date" (an HTTP date 1-2 s ahead), "none", or
    # "mixed" (each at random; a Zoho 429 always says when: without it the client must assume a lock-out)
    error_429_retry_after: str = "seconds"
    token_expires_after: int = 0      # an access token stops working after this many data requests (0: never)
    # limits ------------------------------------------------------------------
    enforce_rate_limits: bool = True
    zoom_rate_limits: dict[str, int] = field(default_factory=_zoom_limits)
    zoom_heavy_daily: int = 30000
    zoho_per_minute: int = 30
    zoho_lockout_s: int = 600
    zoho_token_mints_per_10min: int = 10
    page_token_ttl_s: int = 900
    token_ttl_s: int = 3600
    # scopes the Zoom app lacks (macro names, e.g. "contact_center_report:read:admin"): the Contact
    # Center routes that need one answer this status (401 or 403) with code 4711, as Zoom does
    zoom_missing_scopes: tuple[str, ...] = ()
    zoom_missing_scope_status: int = 401
    # shapes and quirks -------------------------------------------------------
    legacy_call_history_shape: bool = False
    quirk_empty_last_page: bool = True
    quirk_unknown_enums: bool = True
    quirk_trailing_spaces: bool = True
    quirk_missing_fields: bool = True
    quirk_late_arrivals: bool = True
    quirk_guide_fields: bool = True
    quirk_truncated_window: bool = True
    truncated_day: str | None = None  # "YYYY-MM-DD" (UTC): the day quirk_truncated_window shortens; None: no day
    zoho_rows_added_per_page: int = 0
    # Zoho publishes no fromDate/toDate format. The org's time zone reads a date or a time
    # without a zone; a date format listed here ("epoch_ms", "date" = yyyy-mm-dd, "datetime" =
    # yyyy-mm-dd HH:MM[:SS] or ISO) is ignored, as an account might: every log is listed
    zoho_timezone: str = "UTC"
    zoho_ignored_date_formats: tuple[str, ...] = ()
    # credentials -------------------------------------------------------------
    zoom_account_id: str = "sandbox-account"
    zoom_client_id: str = "sandbox-client-id"
    zoom_client_secret: str = "sandbox-client-secret"
    zoho_client_id: str = "sandbox-zoho-client-id"
    zoho_client_secret: str = "sandbox-zoho-client-secret"
    zoho_refresh_token: str = "sandbox-zoho-refresh-token"
    # housekeeping --------------------------------------------------------------
    max_cached_calls: int = 600_000   # generated Zoom Phone calls kept in memory (LRU of days, regenerated on demand)
    request_log_max: int = 200_000    # oldest request_log entries are dropped beyond this

    def __post_init__(self) -> None:
        if self.users < 2:
            raise ValueError("SandboxConfig.users must be >= 2 (the worked example needs two users)")
        if self.days < 1:
            raise ValueError("SandboxConfig.days must be >= 1")
        for name in ("calls_per_day", "cc_calls_per_day", "zoho_calls_per_day"):
            value = getattr(self, name)
            if not 0 <= value < 1_000_000:
                raise ValueError(f"SandboxConfig.{name} must be in [0, 1000000)")
        if self.error_429_retry_after not in RETRY_AFTER_FORMS:
            raise ValueError(f"SandboxConfig.error_429_retry_after must be one of {', '.join(RETRY_AFTER_FORMS)}")
        if self.token_expires_after < 0:
            raise ValueError("SandboxConfig.token_expires_after must be >= 0 (0: tokens expire by time only)")
        if self.cc_queues < 1:
            raise ValueError("SandboxConfig.cc_queues must be >= 1")
        if self.zoom_missing_scope_status not in (401, 403):
            raise ValueError("SandboxConfig.zoom_missing_scope_status must be 401 or 403")
        self.zoom_missing_scopes = tuple(self.zoom_missing_scopes)
        self.zoho_ignored_date_formats = tuple(self.zoho_ignored_date_formats)
        unknown = set(self.zoho_ignored_date_formats) - {"epoch_ms", "date", "datetime"}
        if unknown:
            raise ValueError(f"SandboxConfig.zoho_ignored_date_formats: unknown {sorted(unknown)}; "
                             "choose from epoch_ms, date, datetime")
        ZoneInfo(self.zoho_timezone)  # an unknown zone fails here
        if self.truncated_day is not None:
            dt.date.fromisoformat(str(self.truncated_day))  # a bad day fails here
        limits = _zoom_limits()
        limits.update({k.lower(): int(v) for k, v in (self.zoom_rate_limits or {}).items()})
        self.zoom_rate_limits = limits

    def documented(self, **changes) -> SandboxConfig:
        """This config with every quirk off (see QUIRKS), plus `changes`."""
        return self.replace(**{name: False for name in QUIRKS}, **changes)

    def replace(self, **changes) -> SandboxConfig:
        return dataclasses.replace(self, **changes)
