"""What `callpipe audit` and `--plan` count for Zoom Phone (sources.common.counts).

Every enabled call family (call history by default; the legacy call logs by configuration):
its list by window, once per pass (call history: once per `recording_status`), its legs (one
detail request per call) and its per-user sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sources.common.args import resources_arg
from sources.common.counts import Counted, Detail, Sync, zoom_measure

from . import settings as s


def counted(options: Mapping[str, Any]) -> list[Counted]:
    """The lists of the enabled resources (`options`: the source's settings, as the run reads them)."""
    names = options.get("resources")
    wanted = (set(s.DEFAULT_RESOURCES) if names is None else
              resources_arg(s.PROVIDER, names, s.ALL_RESOURCES, s.RESOURCE_ALIASES))
    page_size = int(options.get("page_size") or s.MAX_PAGE_SIZE)
    out = []
    for calls, details, user_sync in s.FAMILIES:
        if calls.resource not in wanted:
            continue
        detail = (Detail(details.resource, details.table, details.parent_column, details.path, s.LIGHT)
                  if details.resource in wanted else None)
        sync = (Sync(user_sync.resource, user_sync.arrays[0].table, user_sync.path, s.MEDIUM, s.SYNC_COUNT,
                     "users", s.USERS_PATH, s.MEDIUM, s.USERS_PAGE_SIZE, user_sync.resource)
                if user_sync.resource in wanted and "users" in wanted else None)
        out.append(Counted(
            resource=calls.resource, table=calls.resource, time_column=calls.cursor, key=calls.key,
            endpoint=calls.path, label=s.HEAVY, page_size=page_size,
            passes=tuple(tuple(p.items()) for p in calls.passes),
            measure=zoom_measure(calls.path, s.HEAVY, page_size), detail=detail, sync=sync,
            repair_resources=(calls.resource,) + ((details.resource,) if detail else ()),
        ))
    return out
