"""Zoom Phone endpoints, rate-limit labels, page sizes and column specs.

Resources (all enabled by default; names accepted by `zoom_phone(resources=[...])`):
  call_logs, call_log_details (-> table call_log_legs), user_call_logs   legacy family
  call_history, call_history_details (-> table call_elements), user_call_history   current family
  users
Zoom sunset the legacy call-log endpoints in 2026: on a production account, drop
the three legacy names from `resources` (see [sources.zoom_phone] in .dlt/config.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sources.common.shaping import BOOL, INT, MONEY, SECONDS, TEXT, TS

PROVIDER = "zoom_phone"

LIGHT, MEDIUM, HEAVY = "light", "medium", "heavy"
MAX_PAGE_SIZE = 300  # call logs / call history list pages
USERS_PAGE_SIZE = 100  # GET /phone/users maximum
SYNC_COUNT = 250  # per-user sync `count` maximum (legacy doc)

USERS_PATH = "/phone/users"

LEGACY_RESOURCES = ("call_logs", "call_log_details", "user_call_logs")
CURRENT_RESOURCES = ("call_history", "call_history_details", "user_call_history")
DEFAULT_RESOURCES = LEGACY_RESOURCES + CURRENT_RESOURCES + ("users",)
# table names accepted as aliases of the transformers that fill them
RESOURCE_ALIASES = {"call_log_legs": "call_log_details", "call_elements": "call_history_details"}

COMMON = {"source_provider": TEXT, "source_account": TEXT}

_PARTY = {"extension_number": TEXT, "extension_type": TEXT, "location": TEXT, "name": TEXT,
          "number_type": INT, "phone_number": TEXT}


def _prefixed(prefix: str, fields: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}_{name}": kind for name, kind in fields.items()}


_CALLER_CALLEE_LOG = {
    f"{side}_{name}": kind
    for side in ("caller", "callee")
    for name, kind in {"number": TEXT, "number_type": INT, "name": TEXT, "location": TEXT,
                       "did_number": TEXT, "country_code": TEXT, "country_iso_code": TEXT,
                       "number_source": TEXT}.items()
}

CALL_LOG_COLUMNS = {
    "id": TEXT, "call_id": TEXT, "user_id": TEXT, "call_type": TEXT, "direction": TEXT,
    **_CALLER_CALLEE_LOG,
    "caller_billing_reference_id": TEXT,
    "date_time": TS, "answer_start_time": TS, "call_end_time": TS,
    "duration": SECONDS, "hold_time": SECONDS, "waiting_time": SECONDS,
    "result": TEXT, "path": TEXT, "charge": MONEY, "rate": MONEY, "client_code": TEXT,
    "recording_id": TEXT, "recording_type": TEXT,
    "owner_id": TEXT, "owner_name": TEXT, "owner_type": TEXT, "owner_extension_number": TEXT,
    "site_id": TEXT, "site_name": TEXT,
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
    "forward_to_extension_number": TEXT,
    "path": TEXT, "result": TEXT, "call_type": TEXT, "duration": SECONDS,
    "date_time": TS, "answer_start_time": TS,
    "caller_location": TEXT, "callee_number": TEXT,
    "recording_id": TEXT, "recording_type": TEXT, "site_id": TEXT, "site_name": TEXT,
    **COMMON,
}
LEG_NESTED = ("forward_to", "site")

_PARTY_HISTORY = {
    f"{side}_{name}": kind
    for side in ("caller", "callee")
    for name, kind in {"ext_id": TEXT, "name": TEXT, "email": TEXT, "did_number": TEXT,
                       "ext_number": TEXT, "ext_type": TEXT, "number_type": TEXT,
                       "country_iso_code": TEXT, "country_code": TEXT}.items()
}

CALL_HISTORY_COLUMNS = {
    "call_history_uuid": TEXT, "call_id": TEXT, "direction": TEXT, "connect_type": TEXT,
    "call_type": TEXT, "call_result": TEXT, "international": BOOL, "hide_caller_id": BOOL,
    "end_to_end": BOOL,
    **_PARTY_HISTORY,
    "department": TEXT, "cost_center": TEXT, "site_id": TEXT, "site_name": TEXT, "group_id": TEXT,
    "start_time": TS, "answer_time": TS, "end_time": TS, "duration": SECONDS,
    "recording_status": TEXT,
    **COMMON,
}
USER_CALL_HISTORY_COLUMNS = {"user_id": TEXT, **CALL_HISTORY_COLUMNS}

CALL_ELEMENT_COLUMNS = {
    "call_element_id": TEXT, "call_history_uuid": TEXT, "call_id": TEXT,
    "segment": INT, "node": INT, "is_node": BOOL,
    "event": TEXT, "result": TEXT, "result_reason": TEXT,
    "direction": TEXT, "connect_type": TEXT, "call_type": TEXT,
    **_PARTY_HISTORY,
    "operator_ext_id": TEXT, "operator_ext_number": TEXT, "operator_ext_type": TEXT, "operator_name": TEXT,
    "press_key": TEXT, "department": TEXT, "cost_center": TEXT, "site_id": TEXT, "site_name": TEXT,
    "start_time": TS, "answer_time": TS, "end_time": TS, "duration": SECONDS,
    "hold_time": SECONDS, "waiting_time": SECONDS, "recording_id": TEXT, "voicemail_id": TEXT,
    **COMMON,
}

USER_COLUMNS = {
    "id": TEXT, "name": TEXT, "email": TEXT, "extension_number": TEXT, "extension_id": TEXT,
    "status": TEXT, "site_id": TEXT, "site_name": TEXT, "department": TEXT, "cost_center": TEXT,
    **COMMON,
}


@dataclass(frozen=True)
class Family:
    """One family of Zoom Phone call endpoints: account list, per-call detail, per-user sync."""

    table: str  # list resource and its table
    path: str
    items_keys: tuple[str, ...]  # first present array wins (current shape, then legacy)
    key: str
    cursor: str
    columns: Mapping[str, str]
    nested: tuple[str, ...]
    detail_resource: str
    detail_path: str  # route template, e.g. "/phone/call_logs/{id}"
    child_table: str
    child_items_keys: tuple[str, ...]
    child_key: str
    parent_column: str  # parent's natural key as a plain column of the child table
    child_columns: Mapping[str, str]
    child_nested: tuple[str, ...]
    sync_resource: str
    sync_path: str  # route template with "{userId}"
    sync_items_keys: tuple[str, ...]
    sync_item_key: str  # the key every sync item must carry
    sync_key: tuple[str, ...]  # merge key of the sync table
    sync_columns: Mapping[str, str]
    sync_nested: tuple[str, ...]
    # legs ordered by date_time get this 0-based position column; None when the API gives the order
    child_order: str | None = None
    # child arrays whose items carry no key -> fields of the derived key f"{parent}:{a}:{b}"
    derived_child_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


CALL_LOGS = Family(
    table="call_logs", path="/phone/call_logs", items_keys=("call_logs",), key="id", cursor="date_time",
    columns=CALL_LOG_COLUMNS, nested=LOG_NESTED,
    # by the call log `id`, not `call_id`: a transferred call has two logs under one call_id
    # (the API answers 404 code 1001 for such a call_id), and each log has its own legs
    detail_resource="call_log_details", detail_path="/phone/call_logs/{id}",
    child_table="call_log_legs", child_items_keys=("log_details",), child_key="id",
    parent_column="call_log_id", child_columns=LEG_COLUMNS, child_nested=LEG_NESTED,
    sync_resource="user_call_logs", sync_path="/phone/users/{userId}/call_logs/sync",
    sync_items_keys=("call_logs",), sync_item_key="id", sync_key=("id",),
    sync_columns=USER_CALL_LOG_COLUMNS, sync_nested=LOG_NESTED,
    child_order="leg_index",
)

CALL_HISTORY = Family(
    # the legacy response shape carries the same items under `call_logs[]` / `call_path[]`.
    # No `recording_status` filter: without it the API returns recorded AND non-recorded
    # calls (one query, so no duplicates); with it, only one of the two.
    table="call_history", path="/phone/call_history", items_keys=("call_history", "call_logs"),
    key="call_history_uuid", cursor="start_time", columns=CALL_HISTORY_COLUMNS, nested=(),
    detail_resource="call_history_details", detail_path="/phone/call_history/{callHistoryUuid}",
    child_table="call_elements", child_items_keys=("call_elements", "call_path"),
    child_key="call_element_id", parent_column="call_history_uuid",
    child_columns=CALL_ELEMENT_COLUMNS, child_nested=(),
    sync_resource="user_call_history", sync_path="/phone/users/{userId}/call_history/sync",
    sync_items_keys=("call_history", "call_logs"), sync_item_key="call_history_uuid",
    # sync rows are the account rows seen by one user: no per-user id, so (user_id, uuid)
    sync_key=("user_id", "call_history_uuid"), sync_columns=USER_CALL_HISTORY_COLUMNS, sync_nested=(),
    derived_child_keys={"call_path": ("segment", "node")},
)

FAMILIES = (CALL_LOGS, CALL_HISTORY)
