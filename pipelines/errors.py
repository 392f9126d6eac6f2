"""Exit codes and one-line error descriptions for the CLI."""

from __future__ import annotations

from collections.abc import Iterator

from pipelines.lock import LockHeld
from pipelines.warehouse import WarehouseError
from sources.common.errors import ApiError, ConfigError, QuotaExhausted

EXIT_OK = 0
EXIT_FAILED = 1  # at least one source failed
EXIT_USAGE = 2  # invalid arguments or configuration: nothing was requested
EXIT_QUOTA = 3  # a source stopped on its daily quota / lock-out: resumable, rerun later
EXIT_BUSY = 4  # a source was skipped because another run of it holds the lock
EXIT_PARTIAL = 5  # a source stopped at --max-duration / --max-requests after loading what it read: resumable
EXIT_AUDIT_DIFFERS = 6  # `callpipe audit`: the warehouse differs from the API on some days
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT): resumable
EXIT_TERMINATED = 143  # SIGTERM (128 + 15), e.g. a scheduler's timeout or shutdown: resumable

EXIT_CODES = {
    EXIT_OK: "every source succeeded",
    EXIT_FAILED: "at least one source failed",
    EXIT_USAGE: "invalid arguments or configuration (nothing was requested)",
    EXIT_QUOTA: "a source stopped on its API quota (resumable: rerun after the time printed)",
    EXIT_BUSY: "a source is already being loaded by another process (run lock held)",
    EXIT_PARTIAL: "a source stopped at --max-duration / --max-requests after loading what it read "
                  "(resumable: the next run continues from there)",
    EXIT_AUDIT_DIFFERS: "audit: the warehouse differs from the API on some days (the table names them; "
                        "--repair loads them again)",
    EXIT_INTERRUPTED: "interrupted by Ctrl-C (resumable: the next run goes on from there)",
    EXIT_TERMINATED: "stopped by SIGTERM, e.g. a scheduler's timeout (resumable, like Ctrl-C)",
}

OK, FAILED, QUOTA, BUSY, PARTIAL = "ok", "failed", "quota", "busy", "partial"
INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM; also what a killed run is marked by the next one
OUTCOME_EXIT = {OK: EXIT_OK, FAILED: EXIT_FAILED, QUOTA: EXIT_QUOTA, BUSY: EXIT_BUSY, PARTIAL: EXIT_PARTIAL,
                INTERRUPTED: EXIT_INTERRUPTED}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so a run unwinds as on Ctrl-C: the run record is
    written and the lock released; the next run goes on from the last saved state."""


def interrupted_exit(exc: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
# when several sources end differently, the most serious code wins
_SEVERITY = [EXIT_TERMINATED, EXIT_INTERRUPTED, EXIT_USAGE, EXIT_FAILED, EXIT_AUDIT_DIFFERS, EXIT_BUSY, EXIT_QUOTA,
             EXIT_PARTIAL, EXIT_OK]


class UsageError(ConfigError):
    """Invalid command-line arguments; the message says what to type instead."""


def combine_exit_codes(codes: list[int]) -> int:
    for code in _SEVERITY:
        if code in codes:
            return code
    return EXIT_OK


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (dlt's PipelineStepFailed.exception, __cause__, ...)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        inner = getattr(cur, "exception", None)
        if isinstance(inner, BaseException):
            todo.append(inner)
        todo.append(cur.__cause__)
        if not cur.__suppress_context__:
            todo.append(cur.__context__)


def root_cause(exc: BaseException) -> BaseException:
    """The most meaningful exception: ours (API/config/lock) if any, else the innermost one."""
    found = list(chain(exc))
    for kind in (QuotaExhausted, LockHeld, ConfigError, ApiError, WarehouseError):
        for e in found:
            if isinstance(e, kind):
                return e
    # skip dlt's wrappers: prefer the deepest exception that is not from dlt
    for e in reversed(found):
        if not type(e).__module__.startswith("dlt."):
            return e
    return found[-1]


def classify(exc: BaseException) -> str:
    """The outcome of a source that raised `exc`: quota, busy or failed."""
    cause = root_cause(exc)
    if isinstance(cause, QuotaExhausted):
        return QUOTA
    if isinstance(cause, LockHeld):
        return BUSY
    return FAILED


def describe(exc: BaseException) -> str:
    """`Type: message (notes)` of the root cause on one line."""
    cause = root_cause(exc)
    text = " ".join(str(cause).split()) or "(no message)"
    if len(text) > 600:
        text = text[:600] + "..."
    notes = [" ".join(str(n).split()) for n in getattr(cause, "__notes__", []) or []]
    line = text if isinstance(cause, UsageError) else f"{type(cause).__name__}: {text}"
    if notes:
        line += " [" + "; ".join(notes) + "]"
    if "Could not set lock on file" in line:
        line += " -- the DuckDB file is open in another process: close it and rerun"
    return line
