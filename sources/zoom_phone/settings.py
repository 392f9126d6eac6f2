"""Zoom Phone endpoints, rate-limit labels, page sizes and column specs.

Resources (names accepted by `zoom_phone(resources=[...])`):
  call_history, call_history_details (-> table call_elements),
  user_call_history (-> tables user_call_legs, user_call_elements), users    default
  call_logs, call_log_details (-> table call_log_legs), user_call_logs       legacy, by configuration
Zoom retired the legacy call-log endpoints in 2026; accounts and archives still answer them, so
they stay available: add their names to `resources` ([sources.zoom_phone] in .dlt/config.toml).

Columns follow Zoom's published definition (tests/contract/openapi/zoom-phone.json): every
documented field of every array is declared with its kind; ids, enums and extension numbers are
text, times timestamps, durations seconds, `charge`/`rate` money. Undocumented fields are kept too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sources.common.shaping import BOOL, INT, MONEY, SECONDS, TEXT, TS
from sources.common.windowed import WindowRules
from sources.common.windows import ZOOM_LOOKBACK_MONTHS

PROVIDER = "zoom_phone"

LIGHT, MEDIUM, HEAVY = "light", "medium", "heavy"
MAX_PAGE_SIZE = 300  # call logs / call history list pages
USERS_PAGE_SIZE = 100  # GET /phone/users maximum
SYNC_COUNT = 250  # per-user sync `count` maximum (legacy doc)

USERS_PATH = "/phone/users"
# list windows: a month at most, nothing older than six months
WINDOW_RULES = WindowRules(lookback_months=ZOOM_LOOKBACK_MONTHS)

LEGACY_RESOURCES = ("call_logs", "call_log_details", "user_call_logs")
CURRENT_RESOURCES = ("call_history", "call_history_details", "user_call_history")
DEFAULT_RESOURCES = CURRENT_RESOURCES + ("users",)
ALL_RESOURCES = DEFAULT_RESOURCES + LEGACY_RESOURCES
# table names accepted as aliases of the transformers that fill them
RESOURCE_ALIASES = {"call_log_legs": "call_log_details", "call_elements": "call_history_details",
                    "user_call_legs": "user_call_history", "user_call_elements": "user_call_history"}

COMMON = {"source_provider": TEXT, "source_account": TEXT}

_PARTY = {"extension_number": TEXT, "extension_type": TEXT, "location": TEXT, "name": TEXT,
          "number_type": INT, "phone_number": TEXT}


def _prefixed(prefix: str, fields: Mapping[str, str]) -> dict[str, str]:
    return {f"{prefix}_{name}": kind for name, kind in fields.items()}


def _sides(fields: Mapping[str, str]) -> dict[str, str]:
    return {**_prefixed("caller", fields), **_prefixed("callee", fields)}


# ---------------------------------------------------------------- legacy call logs

_LOG_PARTY = {"number": TEXT, "number_type": INT, "name": TEXT, "location": TEXT, "did_number": TEXT,
              "country_code": TEXT, "country_iso_code": TEXT, "number_source": TEXT, "user_id": TEXT}

CALL_LOG_COLUMNS = {
    "id": TEXT, "call_id": TEXT, "user_id": TEXT, "call_type": TEXT, "direction": TEXT,
    **_sides(_LOG_PARTY),
    "caller_billing_reference_id": TEXT,
    "date_time": TS, "answer_start_time": TS, "call_end_time": TS,
    "duration": SECONDS, "hold_time": SECONDS, "waiting_time": SECONDS,
    "result": TEXT, "path": TEXT, "charge": MONEY, "rate": MONEY, "client_code": TEXT,
    "recording_id": TEXT, "recording_type": TEXT,
    "owner_id": TEXT, "owner_name": TEXT, "owner_type": TEXT, "owner_extension_number": TEXT,
    "site_id": TEXT, "site_name": TEXT, "department": TEXT, "cost_center": TEXT,
    "device_private_ip": TEXT, "device_public_ip": TEXT,
    **COMMON,
}
LOG_NESTED = ("owner", "site", "accepted_by", "forwarded_by", "forwarded_to", "outgoing_by")

USER_CALL_LOG_COLUMNS = {
    **CALL_LOG_COLUMNS,
    "has_recording": BOOL, "has_voicemail": BOOL,
    **_prefixed("accepted_by", _PARTY), **_prefixed("forwarded_by", _PARTY),
    **_prefixed("forwarded_to", _PARTY), **_prefixed("outgoing_by", _PARTY),
}

LEG_COLUMNS = {
    "id": TEXT, "call_log_id": TEXT, "call_id": TEXT, "leg_index": INT,
    "forward_to_id": TEXT, "forward_to_name": TEXT, "forward_to_type": TEXT,
    "forward_to_extension_number": TEXT, "forward_to_extension_status": TEXT,
    "forward_to_extension_deleted_time": TS,
    "path": TEXT, "result": TEXT, "duration": SECONDS, "hold_time": SECONDS, "date_time": TS,
    "device_private_ip": TEXT, "device_public_ip": TEXT, "site_id": TEXT, "site_name": TEXT,
    # shown by Zoom's guide "Understand Zoom Phone call logs", not in the definition
    "answer_start_time": TS, "call_type": TEXT, "caller_location": TEXT, "callee_number": TEXT,
    "recording_id": TEXT, "recording_type": TEXT,
    **COMMON,
}
LEG_NESTED = ("forward_to", "site")

# ---------------------------------------------------------------- call history

_HISTORY_PARTY = {"ext_id": TEXT, "name": TEXT, "email": TEXT, "did_number": TEXT, "ext_number": TEXT,
                  "ext_type": TEXT, "number_type": TEXT, "device_type": TEXT, "country_iso_code": TEXT,
                  "country_code": TEXT, "account_code": TEXT}
_CALL_FLAGS = {"hide_caller_id": BOOL, "end_to_end": BOOL}  # booleans, whatever their names say
_TIMES = {"start_time": TS, "answer_time": TS, "end_time": TS}
_OPERATOR = {"operator_ext_id": TEXT, "operator_ext_number": TEXT, "operator_ext_type": TEXT,
             "operator_name": TEXT}

CALL_HISTORY_COLUMNS = {
    "call_history_uuid": TEXT, "call_id": TEXT, "direction": TEXT, "connect_type": TEXT,
    "call_type": TEXT, "call_result": TEXT, "international": BOOL, **_CALL_FLAGS,
    **_sides(_HISTORY_PARTY),
    "department": TEXT, "cost_center": TEXT, "site_id": TEXT, "site_name": TEXT, "group_id": TEXT,
    **_TIMES, "duration": SECONDS,
    "recording_status": TEXT, "spam": TEXT,
    "sbc_id": TEXT, "sbc_name": TEXT, "sip_group_id": TEXT, "sip_group_name": TEXT,
    **COMMON,
}

CALL_ELEMENT_COLUMNS = {
    "call_element_id": TEXT, "call_history_uuid": TEXT, "call_id": TEXT,
    "segment": INT, "node": INT, "is_node": INT,
    "event": TEXT, "result": TEXT, "result_reason": TEXT,
    "direction": TEXT, "connect_type": TEXT, "call_type": TEXT, **_CALL_FLAGS,
    **_sides(_HISTORY_PARTY),
    **_OPERATOR,
    "press_key": TEXT, "client_code": TEXT, "department": TEXT, "cost_center": TEXT,
    "site_id": TEXT, "site_name": TEXT, "group_id": TEXT,
    # no duration and no talk time: the definition has the times (analytics derives talk time)
    **_TIMES, "hold_time": SECONDS, "waiting_time": SECONDS,
    "recording_id": TEXT, "recording_type": TEXT, "voicemail_id": TEXT,
    "device_private_ip": TEXT, "device_public_ip": TEXT,
    **COMMON,
}

# the user call-history sync: the user's legs, from the user's side
_USER_LEG = {
    "user_id": TEXT, "call_id": TEXT, "group_id": TEXT,
    "direction": TEXT, "connect_type": TEXT, "call_type": TEXT, **_CALL_FLAGS,
    **_sides({**_HISTORY_PARTY, "employee_id": TEXT, "device_private_ip": TEXT, "device_public_ip": TEXT,
              "site_id": TEXT, "department": TEXT, "cost_center": TEXT}),
    **_TIMES, "event": TEXT, "result": TEXT, "result_reason": TEXT, **_OPERATOR,
    "recording_id": TEXT, "recording_type": TEXT, "voicemail_id": TEXT, "ai_call_summary_id": TEXT,
    "talk_time": SECONDS, "hold_time": SECONDS, "wait_time": SECONDS,
    **COMMON,
}
USER_CALL_LEG_COLUMNS = {"id": TEXT, "call_path_id": TEXT, **_USER_LEG}  # call_logs[]
USER_CALL_ELEMENT_COLUMNS = {"call_element_id": TEXT, "call_history_uuid": TEXT, **_USER_LEG}  # call_elements[]

USER_COLUMNS = {
    "id": TEXT, "name": TEXT, "email": TEXT, "extension_number": TEXT, "extension_id": TEXT,
    "phone_user_id": TEXT, "status": TEXT, "activation_status": TEXT, "site_id": TEXT, "site_name": TEXT,
    "department": TEXT, "cost_center": TEXT,
    "phone_numbers": TEXT, "calling_plans": TEXT,  # arrays of objects, as JSON text
    **COMMON,
}


@dataclass(frozen=True)
class SyncArray:
    """One array of a user sync's answer and the table it is loaded into."""

    items_key: str  # the array in the answer
    item_key: str  # the key every item must carry
    table: str
    keys: tuple[str, ...]  # merge key of the table (user_id is added to every row)
    columns: Mapping[str, str]
    nested: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallList:
    """An account-wide call list: windowed, incremental on `cursor` (Heavy)."""

    resource: str  # resource and table name
    path: str
    items_keys: tuple[str, ...]  # first present array wins (current shape, then legacy)
    key: str
    cursor: str
    columns: Mapping[str, str]
    nested: tuple[str, ...] = ()
    # every window is read once per entry (query parameters added to the list request)
    passes: tuple[Mapping[str, str], ...] = ({},)
    # arrays whose items spell the key differently: {array: their name for `key`}
    key_aliases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallDetail:
    """One call's detail (Light), fetched per listed call: its legs into a child table."""

    resource: str
    path: str  # route template, e.g. "/phone/call_logs/{id}"
    parent_key: str  # the list's key, filled into `path`
    table: str
    items_keys: tuple[str, ...]  # the legs' array (current shape, then legacy)
    key: str
    parent_column: str  # the parent's key as a plain column of the child table
    columns: Mapping[str, str]
    nested: tuple[str, ...] = ()
    key_aliases: Mapping[str, str] = field(default_factory=dict)
    # legs ordered by date_time get this 0-based position column; None when the API gives the order
    order: str | None = None


@dataclass(frozen=True)
class UserSync:
    """A per-user sync (Medium) with one sync token per user; each array into its own table."""

    resource: str
    path: str  # route template with "{userId}"
    cursor: str  # the rows' time, to stop a backward sync at the start
    arrays: tuple[SyncArray, ...]  # the first one's table is the resource's own

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(array.table for array in self.arrays)


CALL_LOGS = CallList(
    resource="call_logs", path="/phone/call_logs", items_keys=("call_logs",), key="id", cursor="date_time",
    columns=CALL_LOG_COLUMNS, nested=LOG_NESTED,
)
# by the call log `id`, not `call_id`: a transferred call has two logs under one call_id
# (the API answers 404 code 1001 for such a call_id), and each log has its own legs
CALL_LOG_DETAILS = CallDetail(
    resource="call_log_details", path="/phone/call_logs/{id}", parent_key="id",
    table="call_log_legs", items_keys=("log_details",), key="id",
    parent_column="call_log_id", columns=LEG_COLUMNS, nested=LEG_NESTED, order="leg_index",
)
USER_CALL_LOGS = UserSync(
    resource="user_call_logs", path="/phone/users/{userId}/call_logs/sync", cursor="date_time",
    arrays=(SyncArray("call_logs", "id", "user_call_logs", ("id",), USER_CALL_LOG_COLUMNS, LOG_NESTED),),
)

CALL_HISTORY = CallList(
    resource="call_history", path="/phone/call_history", items_keys=("call_history", "call_logs"),
    key="call_history_uuid", cursor="start_time", columns=CALL_HISTORY_COLUMNS,
    # `recording_status` defaults to `recorded` in the definition: one pass per value reads every call
    passes=({"recording_status": "recorded"}, {"recording_status": "non_recorded"}),
    # the deprecated array (legacy shape, removed in November 2026) keys its items `id`
    key_aliases={"call_logs": "id"},
)
CALL_HISTORY_DETAILS = CallDetail(
    resource="call_history_details", path="/phone/call_history/{callHistoryUuid}",
    parent_key="call_history_uuid", table="call_elements", items_keys=("call_elements", "call_path"),
    key="call_element_id", parent_column="call_history_uuid", columns=CALL_ELEMENT_COLUMNS,
    key_aliases={"call_path": "id"},
)
# the user's legs, twice: call_logs[] keyed id and call_elements[] keyed call_element_id; a user
# can have several legs in one call (rung, then voicemail), so neither is keyed by the call
USER_CALL_HISTORY = UserSync(
    resource="user_call_history", path="/phone/users/{userId}/call_history/sync", cursor="start_time",
    arrays=(
        SyncArray("call_logs", "id", "user_call_legs", ("user_id", "id"), USER_CALL_LEG_COLUMNS),
        SyncArray("call_elements", "call_element_id", "user_call_elements", ("user_id", "call_element_id"),
                  USER_CALL_ELEMENT_COLUMNS),
    ),
)

# (list, its details, the user sync) of each family
FAMILIES = ((CALL_LOGS, CALL_LOG_DETAILS, USER_CALL_LOGS), (CALL_HISTORY, CALL_HISTORY_DETAILS, USER_CALL_HISTORY))
