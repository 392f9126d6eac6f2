"""CX Analytics engagements: the engagement dataset and log, paged by window and shaped into tables.

One row per engagement in `engagements` / `engagement_logs`; each array of objects in a child
table keyed (engagement_id, position), replaced whole when the engagement is read again (an
array that became empty leaves one tombstone row, as for the voice-call children).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dlt
import pyarrow as pa

from sources.common.http import ApiClient
from sources.common.shaping import BOOL, rows_to_arrow
from sources.common.zoom_paging import iter_window_pages

from . import settings
from .helpers import _as_items, _tombstone, engagement_key


@dataclass(frozen=True)
class Endpoint:
    resource: str  # = the parent table
    path: str
    items_key: str
    columns: Mapping[str, Any]
    lists: Mapping[str, tuple[str, Mapping[str, Any]]]  # array field -> (child table, columns)
    range_params: tuple[str, str] = ("from", "to")


DATASET = Endpoint("engagements", settings.DATASET_PATH, settings.DATASET_ITEMS, settings.ENGAGEMENT_COLUMNS,
                   settings.ENGAGEMENT_LISTS)
LOG = Endpoint("engagement_logs", settings.LOG_PATH, settings.LOG_ITEMS, settings.ENGAGEMENT_LOG_COLUMNS,
               settings.LOG_LISTS, settings.LOG_RANGE)
ENDPOINTS = {e.resource: e for e in (DATASET, LOG)}


def iter_pages(client: ApiClient, endpoint: Endpoint, window: tuple[dt.datetime, dt.datetime],
               page_size: int) -> Iterator[list[dict[str, Any]]]:
    """The pages of one window, times asked for and answered in UTC."""
    yield from iter_window_pages(
        client, endpoint.path, items_keys=(endpoint.items_key,), key=settings.KEY, window=window,
        params=[("timezone", settings.TIMEZONE)], page_size=page_size, label=settings.LABEL,
        range_params=endpoint.range_params,
    )


def _parent(raw: Mapping[str, Any], endpoint: Endpoint, load_notes: bool) -> dict[str, Any]:
    """The engagement's own fields: durations renamed to say their unit (ms), `consumer` and the
    log's `enter_channel` object lifted to plain columns, customer data dropped unless asked for.
    Arrays of objects go to the child tables; other arrays (the log's queues, users...) stay as JSON text."""
    row: dict[str, Any] = {}
    for name, value in raw.items():
        if name in endpoint.lists or (name in settings.NOTE_FIELDS and not load_notes):
            continue
        if name in settings.MS_FIELDS:
            row[f"{name}_ms"] = value
        elif name == "consumer" and isinstance(value, Mapping):
            row.update({k if k.startswith("consumer_") else f"consumer_{k}": v for k, v in value.items()})
        elif name == "enter_channel" and isinstance(value, Mapping):
            row.update({"enter_channel" if k == "channel" else f"enter_{k}": v for k, v in value.items()})
        else:
            row[name] = value
    row[settings.KEY] = engagement_key(raw)
    return row


def shape_page(page: Sequence[Mapping[str, Any]], endpoint: Endpoint, account_name: str,
               load_notes: bool = False) -> dict[str, pa.Table]:
    """One page -> an Arrow table per table (parent first). Child rows carry engagement_id,
    position (0-based array order) and the engagement's start_time."""
    common = {"source_provider": settings.PROVIDER, "source_account": account_name}
    parents = []
    children: dict[str, list[dict[str, Any]]] = {table: [] for table, _ in endpoint.lists.values()}
    for raw in page:
        parent = _parent(raw, endpoint, load_notes)
        parents.append(parent)
        child = {settings.KEY: parent[settings.KEY], "start_time": raw.get("start_time")}
        for field, (table, _) in endpoint.lists.items():
            rows = []
            for i, item in enumerate(_as_items(raw.get(field))):
                if not isinstance(item, Mapping):
                    item = {"value": item}
                if not load_notes:
                    item = {k: v for k, v in item.items() if k != settings.NOTE_CONTENT}
                rows.append({**item, **child, "position": i})
            children[table] += rows or [_tombstone(child)]
    out = {endpoint.resource: rows_to_arrow(parents, endpoint.columns, keys=[settings.KEY], constants=common)}
    for table, columns in endpoint.lists.values():
        columns = {k: v for k, v in columns.items() if load_notes or k != settings.NOTE_CONTENT}
        spec = {**settings.CHILD_BASE, **columns, **settings.COMMON, settings.TOMBSTONE: BOOL}
        out[table] = rows_to_arrow(children[table], spec, keys=settings.CHILD_KEY, constants=common)
    return out


def page_tables(page: Sequence[Mapping[str, Any]], endpoint: Endpoint, account_name: str,
                load_notes: bool = False) -> Iterator[Any]:
    for table, data in shape_page(page, endpoint, account_name, load_notes).items():
        yield data if table == endpoint.resource else dlt.mark.with_table_name(data, table)


def with_child_table_hints(resource: Any, endpoint: Endpoint) -> Any:
    """Child tables merge on (engagement_id, position), replacing all rows of a re-read engagement."""
    for table, _ in endpoint.lists.values():
        resource.apply_hints(
            table_name=table,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            primary_key=settings.CHILD_KEY,
            merge_key=settings.KEY,
            columns={settings.TOMBSTONE: {"data_type": "bool", "hard_delete": True}},
            create_table_variant=True,
        )
    return resource
