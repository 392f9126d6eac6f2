"""Zoom Contact Center constants: endpoint, limits, filters, tables and column kinds."""

from __future__ import annotations

from sources.common.shaping import BOOL, INT, MONEY, TEXT, TS
from sources.common.windowed import WindowRules
from sources.common.windows import ZOOM_LOOKBACK_MONTHS

PROVIDER = "zoom_contact_center"
RESOURCES = ("voice_calls",)
# the child tables are filled by the voice_calls resource: their names select it too
TABLE_ALIASES = {
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
