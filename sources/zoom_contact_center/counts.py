"""What `callpipe audit` and `--plan` count for Zoom Contact Center (sources.common.counts):
voice calls by window, with the run's filters (id lists longer than 20 are several requests,
as in the run) on the endpoint the run reads (the account-scoped one for view_type = detail);
the CX Analytics engagement dataset by window (in UTC, as the run reads it). The engagement log
is not counted (the enabled resources only; the log is off by default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sources.common.args import resources_arg
from sources.common.config import setting
from sources.common.counts import Counted, zoom_measure

from . import settings as s
from .helpers import filter_queries


def counted(options: Mapping[str, Any]) -> list[Counted]:
    """The lists of the enabled resources (`options`: the source's settings, as the run reads them)."""
    names = options.get("resources")
    wanted = (set(s.DEFAULT_RESOURCES) if names is None else
              resources_arg(s.PROVIDER, names, s.ALL_RESOURCES, s.TABLE_ALIASES))
    page_size = int(options.get("page_size") or s.MAX_PAGE_SIZE)
    out = voice_calls(options, page_size) if "voice_calls" in wanted else []
    if "engagements" in wanted:
        out.append(Counted(
            resource="engagements", table="engagements", time_column="start_time", key=s.KEY,
            endpoint=s.DATASET_PATH, label=s.LABEL, page_size=page_size, passes=((("timezone", s.TIMEZONE),),),
            measure=zoom_measure(s.DATASET_PATH, s.LABEL, page_size), repair_resources=("engagements",),
        ))
    return out


def voice_calls(options: Mapping[str, Any], page_size: int) -> list[Counted]:
    queries = filter_queries(**{name: options.get(name) for name in (
        "direction", "types", "distribution", "cc_queue_ids", "queue_ids", "user_ids", "number_types",
        "country_iso_codes")})
    path = s.VOICE_CALLS_PATH
    if (options.get("view_type") or "summary").strip().lower() == "detail":
        account = options.get("detail_account_id") or setting("sources.zoom.account_id", secret=True,
                                                               what="Zoom account id")
        path = s.ACCOUNT_VOICE_CALLS_PATH.format(account_id=str(account).strip())
        queries = [[*query, ("view_type", "detail")] for query in queries]
    note = ("the filters need several requests per window (more than 20 ids): their totals are added, "
            "an engagement matching two of them counts twice") if len(queries) > 1 else ""
    return [Counted(
        resource="voice_calls", table="voice_calls", time_column="start_time", key=s.KEY, endpoint=path,
        label=s.LABEL, page_size=page_size, passes=tuple(tuple(q) for q in queries),
        measure=zoom_measure(path, s.LABEL, page_size), note=note, repair_resources=("voice_calls",),
    )]
