"""Zoom Contact Center constants: endpoint, limits, filters, tables and column kinds."""

from __future__ import annotations

from sources.common.shaping import BOOL, FLOAT, INT, MONEY, TEXT, TS
from sources.common.windowed import WindowRules
from sources.common.windows import ZOOM_LOOKBACK_MONTHS

PROVIDER = "zoom_contact_center"
# engagement_logs is off by default (events and notes: more requests, customer data)
ALL_RESOURCES = ("voice_calls", "engagements", "engagement_logs")
DEFAULT_RESOURCES = ("voice_calls", "engagements")
RESOURCES = ALL_RESOURCES
# the child tables are filled by their parent's resource: their names select it too
TABLE_ALIASES = {
    "engagement_queues": "engagements",
    "engagement_users": "engagements",
    "engagement_teams": "engagements",
    "engagement_channels": "engagements",
    "engagement_log_events": "engagement_logs",
    "engagement_log_flows": "engagement_logs",
    "engagement_log_dispositions": "engagement_logs",
    "engagement_log_notes": "engagement_logs",
    "voice_call_queues": "voice_calls",
    "voice_call_agents": "voice_calls",
    "voice_call_flows": "voice_calls",
    "voice_call_attributes": "voice_calls",
    "voice_call_rates": "voice_calls",
    "voice_call_legs": "voice_calls",
    "voice_call_leg_agents": "voice_calls",
}

VOICE_CALLS_PATH = "/contact_center/voice_calls"
# the account-scoped endpoint: the only one with view_type=detail (voice_call_details[], sub_types)
ACCOUNT_VOICE_CALLS_PATH = "/accounts/{account_id}/contact_center/voice_calls"
VIEW_TYPES = ("summary", "detail")
ITEMS_KEY = "voice_calls"
KEY = "engagement_id"
LABEL = "heavy"
MAX_PAGE_SIZE = 100
# list windows: a month at most, nothing older than six months
WINDOW_RULES = WindowRules(lookback_months=ZOOM_LOOKBACK_MONTHS)
MAX_IDS_PER_REQUEST = 20  # cc_queue_ids / user_ids: "up to 20" per request

# source argument -> query parameter; ID_FILTERS are comma-joined and split in chunks of 20,
# LIST_FILTERS repeat the parameter once per value (as in the vendor doc)
SCALAR_FILTERS = ("direction", "distribution")
LIST_FILTERS = ("types", "number_types", "country_iso_codes")
ID_FILTERS = ("cc_queue_ids", "user_ids")
# deprecated names still read: a config `queue_ids` is sent as cc_queue_ids, an answer's
# queues[].queue_id lands in cc_queue_id when cc_queue_id is absent
DEPRECATED_FILTERS = {"queue_ids": "cc_queue_ids"}
DEPRECATED_FIELDS = {"queue_id": "cc_queue_id"}

COMMON = {"source_provider": TEXT, "source_account": TEXT}

# arrays of strings: kept on the parent as comma-joined text AND as rows of voice_call_attributes
# (`sub_types` comes with the detail view only)
SCALAR_LISTS = ("call_legs", "distributions", "types", "sub_types")
# `rates` (money strings, one per call leg): rows of voice_call_rates, decimals like `charge`
RATES = "rates"
RATES_TABLE = "voice_call_rates"
# the detail view's legs: voice_call_legs, and their agents in voice_call_leg_agents
LEGS = "voice_call_details"
LEGS_TABLE = "voice_call_legs"
LEG_AGENTS_TABLE = "voice_call_leg_agents"

# the fields a voice call and each of its legs (detail view) have alike
_CALL_FIELDS = {
    "start_time": TS,
    "end_time": TS,
    "total_duration": INT,  # seconds
    "result": TEXT,
    "caller_number": TEXT,
    "caller_number_type": TEXT,
    "callee_number": TEXT,
    "callee_number_type": TEXT,
    "caller_id": TEXT,
    "calling_party": TEXT,
    "consumer_number": TEXT,
    "consumer_display_name": TEXT,
    "country_name": TEXT,
    "recorded": BOOL,
    "monitored": BOOL,
    "inbox": BOOL,
    "charge": MONEY,
    "charge_type": TEXT,
}

VOICE_CALL_COLUMNS = {
    "engagement_id": TEXT,
    "direction": TEXT,
    **_CALL_FIELDS,
    **{name: TEXT for name in SCALAR_LISTS},
    **COMMON,
}

# a leg of the detail view: its own times, numbers, charge and rate; its queue and flow as
# plain columns (queue.cc_queue_id -> cc_queue_id, queue.queue_name -> queue_name, flow.flow_id -> flow_id)
LEG_COLUMNS = {
    "engagement_id": TEXT,
    "position": INT,
    "call_leg": TEXT,
    "distribution": TEXT,
    "type": TEXT,
    **_CALL_FIELDS,
    "rate": MONEY,
    "cc_queue_id": TEXT,
    "queue_name": TEXT,
    "flow_id": TEXT,
    "flow_name": TEXT,
    **COMMON,
}
# nested objects of a leg -> {their field: the leg's column}; other fields of them get a prefix
LEG_OBJECTS = {"queue": {"cc_queue_id": "cc_queue_id", "queue_id": "cc_queue_id", "queue_name": "queue_name"},
               "flow": {"flow_id": "flow_id", "flow_name": "flow_name"}}

# hard-delete flag of the child tables: a row with it set is never stored; it only
# clears an engagement's old rows when its array became empty (see helpers.shape_page)
TOMBSTONE = "_tombstone"
TOMBSTONE_POSITION = -1

_CHILD = {"engagement_id": TEXT, "position": INT, "start_time": TS}
CHILD_BASE = _CHILD
CHILD_KEY = ["engagement_id", "position"]

# array field of a voice call -> its child table
OBJECT_LISTS = {"queues": "voice_call_queues", "agents": "voice_call_agents", "flows": "voice_call_flows"}
ATTRIBUTES_TABLE = "voice_call_attributes"

CHILD_COLUMNS = {
    "voice_call_queues": {**_CHILD, "cc_queue_id": TEXT, "queue_name": TEXT, **COMMON},
    "voice_call_agents": {**_CHILD, "user_id": TEXT, "display_name": TEXT, **COMMON},
    "voice_call_flows": {**_CHILD, "flow_id": TEXT, "flow_name": TEXT, **COMMON},
    ATTRIBUTES_TABLE: {**_CHILD, "attribute": TEXT, "value": TEXT, **COMMON},
    RATES_TABLE: {**_CHILD, "rate": MONEY, **COMMON},
}
CHILD_KEYS = {
    **{table: ["engagement_id", "position"] for table in OBJECT_LISTS.values()},
    ATTRIBUTES_TABLE: ["engagement_id", "attribute", "position"],
    RATES_TABLE: ["engagement_id", "position"],
}
# the detail view's tables (only with view_type = "detail")
DETAIL_COLUMNS = {
    LEGS_TABLE: LEG_COLUMNS,
    LEG_AGENTS_TABLE: {"engagement_id": TEXT, "leg_position": INT, "position": INT, "start_time": TS,
                       "user_id": TEXT, "display_name": TEXT, **COMMON},
}
DETAIL_KEYS = {
    LEGS_TABLE: ["engagement_id", "position"],
    LEG_AGENTS_TABLE: ["engagement_id", "leg_position", "position"],
}


# ---------------------------------------------------------------- CX Analytics (engagements)
# Both Heavy, one month per request, next_page_token (15 min); `timezone=UTC` is sent so every
# time comes back in UTC. The definition gives durations in milliseconds ("number"): the
# columns keep that unit and say it (`duration` -> `duration_ms`); counts are integers.
DATASET_PATH = "/contact_center/analytics/dataset/historical/engagement"
LOG_PATH = "/contact_center/analytics/log/historical/engagement"
DATASET_ITEMS = "engagements"
LOG_ITEMS = "engagement_logs"
ANALYTICS_PAGE_SIZE = 100  # the definition's maximum (default 30)
TIMEZONE = "UTC"
# the log filters by start time under other names than the dataset's from/to
LOG_RANGE = ("start_time_from", "start_time_to")
# the missing-scope answer names it; both endpoints need it
REPORT_SCOPE = "contact_center_report:read:admin"

MS_FIELDS = ("duration", "handle_duration", "conversation_duration", "hold_duration", "warm_transfer_duration",
             "warm_conference_duration", "conference_duration", "wrap_up_duration")
COUNT_FIELDS = ("hold_count", "warm_transfer_initiated_count", "warm_transfer_completed_count",
                "direct_transfer_count", "transfer_initiated_count", "transfer_completed_count",
                "warm_conference_count", "conference_count", "abandoned_count", "voicemail_count")
_METRICS = {**{f"{name}_ms": FLOAT for name in MS_FIELDS}, **{name: INT for name in COUNT_FIELDS}}

# the fields the dataset row and the log row share
_ENGAGEMENT = {"engagement_id": TEXT, "direction": TEXT, "start_time": TS, "end_time": TS, "enter_channel": TEXT,
               "enter_channel_source": TEXT, "caller_id": TEXT}
ENGAGEMENT_COLUMNS = {
    **_ENGAGEMENT,
    "dnis": TEXT,
    "ani": TEXT,
    "consumer_name": TEXT,
    "consumer_email": TEXT,
    **{k: v for k, v in _METRICS.items() if k != "voicemail_count"},
    **COMMON,
}
ENGAGEMENT_LOG_COLUMNS = {
    **_ENGAGEMENT,
    "ani_from": TEXT,
    "dnis_to": TEXT,
    "consumer_name": TEXT,
    "consumer_email": TEXT,
    "consumer_number": TEXT,
    "blocked": BOOL,
    "survey_id": TEXT,
    **{k: v for k, v in _METRICS.items()
       if k not in ("handle_duration_ms", "conversation_duration_ms", "wrap_up_duration_ms", "abandoned_count")},
    **COMMON,
}
# customer data: dropped unless [sources.zoom_contact_center] load_notes = true
NOTE_FIELDS = ("transcript_url",)
NOTE_CONTENT = "note_content"

# array field -> (child table, its columns); rows keyed engagement_id + position
ENGAGEMENT_LISTS = {
    "queues": ("engagement_queues", {"queue_id": TEXT, "queue_name": TEXT}),
    "users": ("engagement_users", {"user_id": TEXT, "user_name": TEXT}),
    "teams": ("engagement_teams", {"team_id": TEXT, "team_name": TEXT}),
    "channels": ("engagement_channels", {"channel": TEXT, "channel_source": TEXT}),
}
LOG_LISTS = {
    "events": ("engagement_log_events", {"event_id": TEXT, "event_name": TEXT}),
    "flows": ("engagement_log_flows", {"flow_id": TEXT, "flow_name": TEXT}),
    "dispositions": ("engagement_log_dispositions", {"disposition_id": TEXT, "disposition_name": TEXT}),
    "notes": ("engagement_log_notes", {"note_id": TEXT, "user_id": TEXT, NOTE_CONTENT: TEXT}),
}
