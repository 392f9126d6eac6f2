"""The windowed incremental list, written once for every list resource.

Every call list (Zoom Phone call history / call logs, Contact Center voice calls, Zoho Voice
call logs) is read the same way: from the cursor's start (dlt's incremental, the lag applied)
to now or the backfill's end, moved into the API's look-back, cut into month windows, each
window read page by page (the source's `read_window`), each row once per window (a page token
restarted, a window re-read), and on a nightly run through the change filter
(`changes.nightly_filter`): re-read rows that did not change are dropped.

Progress boundaries. A run reads at most `Progress.days` past its start: a longer range (a
first load, a catch-up after days off) stops at that boundary, notes in the resource state
where it stopped (`resume_from`, committed with the load package and its cursor) and tells the
runner there is more (`Progress.more`). The runner loads that package and extracts again: the
next part starts at the boundary, and so does a rerun after a failure or a kill (the state of
the last loaded package). A backfill never writes resource state: its boundary lives in the
`Progress` object for the rest of the command only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dlt

from sources.common.changes import nightly_filter
from sources.common.clock import Clock
from sources.common.windows import DEFAULT_WINDOW_DAYS, clamp_lookback, month_windows, to_utc

Row = dict[str, Any]
Window = tuple[dt.datetime, dt.datetime]
RESUME_KEY = "resume_from"  # resource state: where the last part of a long range stopped
# each part after the first merges into the tables loaded before, which costs CPU: on `make bench`'s
# 100k-call six-month first load, two parts cost +20-30 % and seven +50 %. The default keeps a
# six-month first load (and any nightly run) one part, so bench is unchanged; accounts whose first
# load takes hours (rate limits, not CPU) set fewer days: `[pipeline] progress_days`
DEFAULT_PROGRESS_DAYS = 31.0


@dataclass
class Progress:
    """The progress boundaries of one command: each extract reads at most `days` of a list.

    `more`: the lists that stopped at a boundary in the last extract (the runner loads and goes
    on). Resources that read no windowed list (user syncs) run in the first part only.
    `backfill_resume`: {list: where it stopped} for a backfill, which keeps no state. `stop`: past
    a limit of the run, a list ends its part at the end of the window it is reading."""

    days: float | None = DEFAULT_PROGRESS_DAYS
    part: int = 1  # the part of the command being extracted
    more: set[str] = field(default_factory=set)
    backfill_resume: dict[str, dt.datetime] = field(default_factory=dict)
    # the run's limits (--max-duration, --max-requests): a reason to stop at the next window's end
    stop: Callable[[], str | None] | None = None

    def boundary(self, start: dt.datetime, end: dt.datetime, window_days: int) -> dt.datetime:
        """Where a part from `start` ends: `days` later, rounded up to whole windows when it is longer
        than one (a part boundary never cuts a window: no list request more than in one part)."""
        if not self.days:
            return end
        days = float(self.days)
        if days >= window_days:
            days = math.ceil(days / window_days) * window_days
        return min(end, start + dt.timedelta(days=days))


@dataclass(frozen=True)
class WindowRules:
    """How a provider's list is windowed: how far back it serves (None: no limit), how long before
    now its windows end (calls still arriving), how long a window is."""

    lookback_months: int | None = None
    settle: dt.timedelta = dt.timedelta(0)
    window_days: int = DEFAULT_WINDOW_DAYS


def windowed_pages(
    name: str,
    cursor: Any,  # dlt.sources.incremental
    clock: Clock,
    read_window: Callable[[Window], Iterator[list[Row]]],
    *,
    key: str,
    rules: WindowRules = WindowRules(),
    progress: Progress | None = None,
) -> Iterator[list[Row]]:
    """Pages of the new or changed rows (dicts) of list `name` over the cursor's range, window by
    window. `read_window(window)` yields the raw pages of one window; `key` is the rows' key."""
    now = to_utc(clock.now())
    start = to_utc(cursor.start_value)
    if rules.lookback_months:
        start = clamp_lookback(start, now, name, rules.lookback_months)
    end = now - rules.settle
    backfill = cursor.end_value is not None
    if backfill:
        end = min(end, to_utc(cursor.end_value))
    state = dlt.current.resource_state() if not backfill else {}
    resumed = progress.backfill_resume.get(name) if backfill and progress else state.get(RESUME_KEY)
    if resumed:
        start = max(start, to_utc(resumed))
    stop = progress.boundary(start, end, rules.window_days) if progress else end
    changes = nightly_filter(cursor, start, now)
    for window in month_windows(start, stop, rules.window_days):
        seen: set[str] = set()
        for page in read_window(window):
            fresh = []
            for row in page:
                row_key = str(row[key]).strip()
                if row_key in seen:
                    continue
                seen.add(row_key)
                if changes is None or changes.changed(row_key, row, row.get(cursor.cursor_path)):
                    fresh.append(row)
            if fresh:
                yield fresh
        if progress is not None and progress.stop is not None and window[1] < stop and progress.stop():
            stop = window[1]
            break
    more = stop < end
    if progress is not None and more:
        progress.more.add(name)
    if backfill:
        if progress is not None:
            progress.backfill_resume[name] = stop
    elif more:
        state[RESUME_KEY] = stop.isoformat()
    else:
        state.pop(RESUME_KEY, None)
