"""Print the column lists of docs/DATA_DICTIONARY.md from a loaded DuckDB warehouse.

    .venv/bin/python -m tests.analytics.dictionary warehouse.duckdb > /tmp/columns.md

Paste the sections into docs/DATA_DICTIONARY.md when a source's tables change
(`test_data_dictionary_columns_match_the_tables` says when a documented column is gone).
Types are DuckDB's names; Postgres has the same columns (VARCHAR = text, DOUBLE = double
precision, DECIMAL(18,6) = numeric(18,6), JSON = jsonb).
"""

from __future__ import annotations

import sys

import duckdb

SOURCES = ("zoom_phone", "zoom_contact_center", "zoho_voice")

# a few words on the columns that matter for keys and joins
NOTES = {
    ("zoom_phone", "call_logs", "id"): "**key** (one call log; a transfer adds a second log to the call)",
    ("zoom_phone", "call_logs", "call_id"): "call key, shared by the logs of one call; = call_history.call_id",
    ("zoom_phone", "call_log_legs", "id"): "**key** (one leg of `log_details`)",
    ("zoom_phone", "call_log_legs", "call_log_id"): "-> call_logs.id",
    ("zoom_phone", "call_log_legs", "leg_index"): "order of the leg in its call log (0-based)",
    ("zoom_phone", "call_history", "call_history_uuid"): "**key** (one call)",
    ("zoom_phone", "call_history", "call_id"): "call key; = call_logs.call_id",
    ("zoom_phone", "call_elements", "call_element_id"): "**key** (one routing step)",
    ("zoom_phone", "call_elements", "call_history_uuid"): "-> call_history.call_history_uuid",
    ("zoom_phone", "call_elements", "segment"): "leg order: segment, then node (may start at 1; legs can share both)",
    ("zoom_phone", "call_elements", "is_node"): "an integer in the definition (0/1)",
    ("zoom_phone", "users", "id"): "**key**; = call_log_legs.forward_to_id of user legs",
    ("zoom_phone", "users", "extension_id"): "= call_history/call_elements `*_ext_id` of the user",
    ("zoom_phone", "user_call_logs", "id"): "**key**; `user_id` -> users.id; `call_id` -> call key",
    ("zoom_phone", "user_call_legs", "id"): "**key** with user_id (one leg of one user)",
    ("zoom_phone", "user_call_legs", "call_path_id"): "the call: -> call_history.call_history_uuid",
    ("zoom_phone", "user_call_legs", "user_id"): "**key** with id; -> users.id",
    ("zoom_phone", "user_call_elements", "call_element_id"): "**key** with user_id; = call_elements.call_element_id",
    ("zoom_phone", "user_call_elements", "call_history_uuid"): "-> call_history.call_history_uuid",
    ("zoom_phone", "user_call_elements", "user_id"): "**key** with call_element_id; -> users.id",
    ("zoom_contact_center", "voice_calls", "engagement_id"): "**key** (one engagement = one call)",
    ("zoom_contact_center", "voice_call_queues", "engagement_id"): "**key** with position; -> voice_calls",
    ("zoom_contact_center", "voice_call_agents", "engagement_id"): "**key** with position; -> voice_calls",
    ("zoom_contact_center", "voice_call_flows", "engagement_id"): "**key** with position; -> voice_calls",
    ("zoom_contact_center", "voice_call_attributes", "engagement_id"):
        "**key** with attribute, position; -> voice_calls",
    ("zoom_contact_center", "voice_call_rates", "engagement_id"): "**key** with position; -> voice_calls",
    ("zoom_contact_center", "voice_call_legs", "engagement_id"): "**key** with position; -> voice_calls",
    ("zoom_contact_center", "voice_call_leg_agents", "engagement_id"):
        "**key** with leg_position, position; -> voice_call_legs",
    ("zoom_contact_center", "engagements", "engagement_id"):
        "**key** (one engagement); = voice_calls.engagement_id",
    ("zoom_contact_center", "engagement_logs", "engagement_id"):
        "**key** (one engagement); = engagements.engagement_id",
    ("zoom_contact_center", "engagement_queues", "engagement_id"): "**key** with position; -> engagements",
    ("zoom_contact_center", "engagement_users", "engagement_id"): "**key** with position; -> engagements",
    ("zoom_contact_center", "engagement_teams", "engagement_id"): "**key** with position; -> engagements",
    ("zoom_contact_center", "engagement_channels", "engagement_id"): "**key** with position; -> engagements",
    ("zoom_contact_center", "engagement_log_events", "engagement_id"): "**key** with position; -> engagement_logs",
    ("zoom_contact_center", "engagement_log_flows", "engagement_id"): "**key** with position; -> engagement_logs",
    ("zoom_contact_center", "engagement_log_dispositions", "engagement_id"): "**key** with position; -> engagement_logs",
    ("zoom_contact_center", "engagement_log_notes", "engagement_id"): "**key** with position; -> engagement_logs",
    ("zoho_voice", "call_logs", "logid"): "**key** (one call)",
}


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    for source in SOURCES:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
            "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY table_name", [source]).fetchall()]
        for table in tables:
            cols = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = ? ORDER BY ordinal_position", [source, table]).fetchall()
            print(f"#### `{source}.{table}`\n")
            print("| column | type | note |\n|---|---|---|")
            for name, data_type in cols:
                print(f"| `{name}` | {data_type} | {NOTES.get((source, table, name), '')} |")
            print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "warehouse.duckdb")
