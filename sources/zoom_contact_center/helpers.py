"""Voice-call specifics: filter queries (id lists split by 20), shaping into the child tables."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dlt
import pyarrow as pa

from sources.common.args import list_arg
from sources.common.shaping import BOOL, clean_text, flatten, rows_to_arrow

from . import settings

Query = list[tuple[str, Any]]


def filter_queries(**filters: Any) -> list[Query]:
    """Query parameters for the set filters: one query per combination of id chunks.

    The API takes at most 20 queue ids and 20 user ids per request, so longer lists
    become several requests whose results are unioned (and deduplicated) by the caller.
    A deprecated filter name (queue_ids) is sent under its current name (cc_queue_ids).
    """
    filters = dict(filters)
    for old, new in settings.DEPRECATED_FILTERS.items():
        ids = list_arg("zoom_contact_center", old, filters.pop(old, None))
        if ids:
            filters[new] = list_arg("zoom_contact_center", new, filters.get(new)) + ids
    base: Query = []
    for name in settings.SCALAR_FILTERS:
        value = clean_text(filters.get(name))
        if value:
            base.append((name, value))
    for name in settings.LIST_FILTERS:
        base += [(name, v) for v in list_arg("zoom_contact_center", name, filters.get(name))]
    chunked = []
    for name in settings.ID_FILTERS:
        ids = list_arg("zoom_contact_center", name, filters.get(name))
        step = settings.MAX_IDS_PER_REQUEST
        chunks = [ids[i: i + step] for i in range(0, len(ids), step)]
        chunked.append([[(name, ",".join(chunk))] for chunk in chunks] or [[]])
    return [base + [p for part in combo for p in part] for combo in itertools.product(*chunked)]


def engagement_key(row: Mapping[str, Any]) -> str:
    return str(row[settings.KEY]).strip()


def _as_items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _queue(item: Mapping[str, Any]) -> dict[str, Any]:
    """A queue with its current id name: an answer carrying only the deprecated queue_id still fills cc_queue_id."""
    row = dict(item)
    for old, new in settings.DEPRECATED_FIELDS.items():
        value = row.pop(old, None)
        if row.get(new) in (None, ""):
            row[new] = value
    return row


def _leg(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A detail-view leg as a row: queue/flow fields lifted to plain columns (LEG_OBJECTS), agents apart."""
    row = {k: v for k, v in raw.items() if k != "agents" and k not in settings.LEG_OBJECTS}
    for name, fields in settings.LEG_OBJECTS.items():
        nested = raw.get(name)
        if not isinstance(nested, Mapping):
            continue
        for key, value in flatten(nested).items():
            column = fields.get(key, f"{name}_{key}")
            if row.get(column) in (None, ""):
                row[column] = value
    return flatten(row)


def shape_page(page: Sequence[Mapping[str, Any]], account_name: str, detail: bool = False) -> dict[str, pa.Table]:
    """One page of voice calls -> an Arrow table per table name (parent first).

    Child rows carry engagement_id, position (0-based array order) and the parent's
    start_time (the legs of the detail view carry their own times). An engagement whose
    array is empty gets one tombstone row in that child table: merged on engagement_id, it
    deletes the rows an older version left behind and is itself never stored.
    """
    common = {"source_provider": settings.PROVIDER, "source_account": account_name}
    tables = {**settings.CHILD_COLUMNS, **(settings.DETAIL_COLUMNS if detail else {})}
    parents: list[dict[str, Any]] = []
    children: dict[str, list[dict[str, Any]]] = {t: [] for t in tables}
    dropped = {*settings.OBJECT_LISTS, settings.RATES, settings.LEGS}
    for raw in page:
        key = engagement_key(raw)
        start = raw.get("start_time")
        lists = {name: [clean_text(v) for v in _as_items(raw.get(name))] for name in settings.SCALAR_LISTS}
        row = {k: v for k, v in raw.items() if k not in dropped and k not in lists}
        row = flatten(row)
        row.update({name: ",".join(v for v in values if v) or None for name, values in lists.items()})
        row["engagement_id"] = key
        parents.append(row)

        child = {"engagement_id": key, "start_time": start}
        for field, table in settings.OBJECT_LISTS.items():
            rows = [
                {**(flatten(_queue(item) if field == "queues" else item) if isinstance(item, Mapping)
                    else {"value": item}), **child, "position": i}
                for i, item in enumerate(_as_items(raw.get(field)))
            ]
            children[table] += rows or [_tombstone(child)]
        attributes = [
            {**child, "attribute": name, "position": i, "value": value}
            for name, values in lists.items()
            for i, value in enumerate(values)
        ]
        children[settings.ATTRIBUTES_TABLE] += attributes or [_tombstone(child, attribute="")]
        rates = [{**child, "position": i, "rate": rate} for i, rate in enumerate(_as_items(raw.get(settings.RATES)))]
        children[settings.RATES_TABLE] += rates or [_tombstone(child)]
        if detail:
            legs = [leg for leg in _as_items(raw.get(settings.LEGS)) if isinstance(leg, Mapping)]
            children[settings.LEGS_TABLE] += [
                {**_leg(leg), "engagement_id": key, "position": i} for i, leg in enumerate(legs)
            ] or [_tombstone(child)]
            children[settings.LEG_AGENTS_TABLE] += [
                {**flatten(agent), **child, "leg_position": i, "position": j}
                for i, leg in enumerate(legs)
                for j, agent in enumerate(_as_items(leg.get("agents")))
                if isinstance(agent, Mapping)
            ] or [_tombstone(child, leg_position=settings.TOMBSTONE_POSITION)]

    out = {"voice_calls": rows_to_arrow(parents, settings.VOICE_CALL_COLUMNS, keys=[settings.KEY],
                                        constants=common)}
    keys = {**settings.CHILD_KEYS, **settings.DETAIL_KEYS}
    for table, columns in tables.items():
        out[table] = rows_to_arrow(
            children[table], {**columns, settings.TOMBSTONE: BOOL}, keys=keys[table], constants=common,
        )
    return out


def _tombstone(child: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**child, **extra, "position": settings.TOMBSTONE_POSITION, settings.TOMBSTONE: True}


def page_tables(page: Sequence[Mapping[str, Any]], account_name: str, detail: bool = False) -> Iterator[Any]:
    """The Arrow tables of one page, the child tables marked with their table names."""
    for table, data in shape_page(page, account_name, detail).items():
        yield data if table == "voice_calls" else dlt.mark.with_table_name(data, table)


def with_child_table_hints(resource: Any, detail: bool = False) -> Any:
    """Child tables: merge on their key (engagement_id, position...), replacing all rows of an engagement."""
    tables = {**settings.CHILD_KEYS, **(settings.DETAIL_KEYS if detail else {})}
    for table, keys in tables.items():
        resource.apply_hints(
            table_name=table,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            primary_key=keys,
            merge_key=settings.KEY,
            columns={settings.TOMBSTONE: {"data_type": "bool", "hard_delete": True}},
            create_table_variant=True,
        )
    return resource
