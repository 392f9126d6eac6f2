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
    for fam in s.FAMILIES:
        if fam.table not in wanted:
            continue
        detail = (Detail(fam.detail_resource, fam.child_table, fam.parent_column, fam.detail_path, s.LIGHT)
                  if fam.detail_resource in wanted else None)
        sync = (Sync(fam.sync_resource, fam.sync_arrays[0].table, fam.sync_path, s.MEDIUM, s.SYNC_COUNT,
                     "users", s.USERS_PATH, s.MEDIUM, s.USERS_PAGE_SIZE, fam.sync_resource)
                if fam.sync_resource in wanted and "users" in wanted else None)
        out.append(Counted(
            resource=fam.table, table=fam.table, time_column=fam.cursor, key=fam.key, endpoint=fam.path,
            label=s.HEAVY, page_size=page_size, passes=tuple(tuple(p.items()) for p in fam.passes),
            measure=zoom_measure(fam.path, s.HEAVY, page_size), detail=detail, sync=sync,
            repair_resources=(fam.table,) + ((fam.detail_resource,) if detail else ()),
        ))
    return out
