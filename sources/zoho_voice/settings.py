"""Zoho Voice constants: endpoint, limits, windows, column kinds."""

from __future__ import annotations

import datetime as dt

from sources.common.shaping import BOOL, FLOAT, SECONDS, TEXT, TS_MS
from sources.common.windowed import WindowRules

PROVIDER = "zoho_voice"
RESOURCES = ("call_logs",)

LOGS_PATH = "/rest/json/zv/logs"
LABEL = "default"  # the client's 30-requests-per-minute limiter
MAX_PAGE_SIZE = 100

# Zoho keeps old logs (no six-month limit like Zoom): default first load goes this far back
DEFAULT_START_DAYS = 180
# windows are cut this long; a window whose total moves while paging is re-read whole
WINDOW_DAYS = 30
# windows end this long before "now": calls still arriving land in the next run (via the lag)
SETTLE = dt.timedelta(minutes=10)
WINDOW_RULES = WindowRules(settle=SETTLE, window_days=WINDOW_DAYS)  # no look-back limit
# reads of one window before giving up on a stable count (the lag re-reads it next run)
MAX_WINDOW_READS = 3

# fromDate/toDate: Zoho publishes no format for this endpoint. The default is the one public
# clients send (yyyy-mm-dd), the only form seen honoured; Zoho's batch call-log API takes
# "yyyy-mm-dd HH:MM"; "epoch_ms" (Zoho's form for the times it returns) is exact but no client
# is seen to send it. A date (or a time without a zone) is widened to the whole days around the
# window (helpers.request_range) and every row is kept by its own start_time, so the loaded range
# is exact whatever the org's time zone; an ignored format stops the run (DateFilterIgnored).
DATE_FORMAT = "%Y-%m-%d"
# the formats to try, in that order, named in the error when the account ignores one
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "epoch_ms", "%Y-%m-%dT%H:%M:%SZ")
# a returned row this far outside the asked range means the filter was ignored (beyond any
# reading of the format in any time zone)
IGNORED_FILTER_SLACK = dt.timedelta(days=1)

COLUMNS = {
    "logid": TEXT,
    "start_time": TS_MS,
    "answer_time": TS_MS,
    "end_time": TS_MS,
    "duration": TEXT,
    "duration_s": SECONDS,
    "call_type": TEXT,
    "number_id": TEXT,
    "zsoid": TEXT,
    "service": TEXT,  # a 17-digit number: text, never a float
    "did_number": TEXT,
    "caller_id_number": TEXT,
    "caller_id_name": TEXT,
    "destination_number": TEXT,
    "destination_name": TEXT,
    "user_number": TEXT,
    "agent_number": TEXT,
    "department": TEXT,
    "hangup_cause": TEXT,
    "disconnected_by": TEXT,
    "is_test_call": BOOL,
    "isBlocked": BOOL,
    "bridged_agent_agent": TEXT,
    "bridged_agent_time": TS_MS,
    "bridged_agent_uuid": TEXT,
    "voice_credits_voice": FLOAT,
    "voice_credits_free_minutes": FLOAT,
    "voice_credits_total": FLOAT,
    "source_provider": TEXT,
    "source_account": TEXT,
}
NESTED = ("bridged_agent", "voice_credits")

# source argument -> API query parameter (sent only when set)
FILTER_PARAMS = {
    "call_type": "callType",
    "department_id": "departmentId",
    "group_ids": "groupIds",
    "number_ids": "numberIds",
    "agent": "agent",
    "is_voicemail": "isVoiceMail",
    "is_recording": "isRecording",
}
