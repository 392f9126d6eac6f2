"""One resource failing does not stop the other resources of its source.

An endpoint can go away (Zoom retired the legacy call-log endpoints: 404/410) or the app can
lack the scope of one endpoint (401/403, or Zoom's 400 code 4711) while the rest of the source
works. A resource function wrapped by `ResourceFailures.contain` stops on such an answer; the
failure is kept (resource, the vendor's status, code and message, the setting that turns the
resource off) and the other resources go on loading. The resources of the failed one's group
(a list and the transformer fetching its details) stop too, and their dlt resource state is put
back as it was when this run started: cursors, change memories and sync tokens never move past
what was not loaded, so the next run reads it again. Any other error (quota, retries exhausted,
an unusable record, refused credentials) still fails the whole source.

`pipelines/runner.py` hands a `ResourceFailures` to every source that takes a `failures`
argument, and turns what it holds into the source's outcome (failed, exit code 1).
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import dlt

from sources.common.config import env_var
from sources.common.http import ZOOM_MISSING_SCOPE_CODE, ApiError, AuthError, QuotaExhausted

log = logging.getLogger(__name__)

# answers that mean "this endpoint is not available to us", not "the API is failing"
CONTAINED_STATUSES = frozenset({401, 403, 404, 410})
MISSING_SCOPE_CODES = frozenset({ZOOM_MISSING_SCOPE_CODE})  # Zoom: "... does not contain scopes" (400/401/403)


def contained(error: ApiError) -> bool:
    """True for a failure of one endpoint (gone, forbidden, out of scope) rather than of the source."""
    if isinstance(error, QuotaExhausted) or (isinstance(error, AuthError) and error.endpoint == "token"):
        return False  # a quota or refused credentials stop every resource alike
    return error.status in CONTAINED_STATUSES or str(error.code) in MISSING_SCOPE_CODES


@dataclass
class ResourceFailure:
    resource: str
    error: ApiError
    hint: str

    def __str__(self) -> str:
        e = self.error
        facts = ", ".join(f for f in (f"HTTP {e.status}" if e.status is not None else "",
                                      f"code {e.code}" if e.code not in (None, "") else "") if f)
        where = " ".join(p for p in (e.method, e.endpoint) if p)
        return f"resource {self.resource} failed: {where} answered {facts}: {e.message} -- {self.hint}"


class ResourceFailures:
    """The contained failures of one run of a source (see the module doc)."""

    def __init__(self, source: str):
        self.source = source
        self.failures: list[ResourceFailure] = []
        self._saved: dict[tuple[str, ...], dict[str, Any]] = {}  # group -> {resource: state at start}
        self._failed: set[tuple[str, ...]] = set()

    def __bool__(self) -> bool:
        return bool(self.failures)

    def __iter__(self) -> Iterator[ResourceFailure]:
        return iter(self.failures)

    def describe(self) -> str:
        return "; ".join(str(f) for f in self.failures)

    def hint(self, resource: str, error: ApiError | None = None) -> str:
        key = f"sources.{self.source}.resources"
        scope = ""
        if error is not None and str(error.code) in MISSING_SCOPE_CODES:
            scope = "add the missing scope named above to the Zoom app, or "
        return (f"nothing of it was loaded and its cursor did not move; {scope}if the account no longer has it, "
                f"remove '{resource}' from [sources.{self.source}] resources in .dlt/config.toml "
                f"(env var {env_var(key)})")

    def contain(self, fn: Callable[..., Iterator[Any]], resource: str,
                group: Sequence[str] = ()) -> Callable[..., Iterator[Any]]:
        """`fn` (a resource or transformer generator function, dlt sees its signature) stopping on
        a contained failure. `group`: the resources that stop with it and whose state is put back
        (`resource` itself by default); every member's function is wrapped with the same group."""
        members = tuple(group) or (resource,)

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Iterator[Any]:
            if members in self._failed:
                return
            if members not in self._saved:  # the first member to start: the state before this run
                self._saved[members] = {name: copy.deepcopy(dict(dlt.current.resource_state(name)))
                                        for name in members}
            try:
                for item in fn(*args, **kwargs):
                    yield item
                    if members in self._failed:  # another member failed meanwhile
                        return
            except ApiError as error:
                if not contained(error):
                    raise
                self._fail(members, resource, error)

        return guarded

    def new_part(self) -> None:
        """The next part of a long run (pipelines.runner): a failing group puts back the state as
        of the start of that part; a group that failed before stays stopped."""
        self._saved.clear()

    def _fail(self, members: tuple[str, ...], resource: str, error: ApiError) -> None:
        self._failed.add(members)
        failure = ResourceFailure(resource, error, self.hint(resource, error))
        self.failures.append(failure)
        log.warning("%s: %s", self.source, failure)
        for name in members:
            _restore(dlt.current.resource_state(name), self._saved[members][name])


def _restore(state: MutableMapping[str, Any], saved: dict[str, Any]) -> None:
    """Put `state` back to `saved` in place: dlt's incremental keeps references to the nested dicts."""
    for key in [k for k in state if k not in saved]:
        del state[key]
    for key, value in saved.items():
        if isinstance(value, dict) and isinstance(state.get(key), dict):
            _restore(state[key], value)
        else:
            state[key] = copy.deepcopy(value)
