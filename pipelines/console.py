"""What the CLI prints: step lines and a live counter on stderr, summaries on stdout."""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any, TextIO

from dlt.common.runtime.collector_base import Collector


class Console:
    """stdout: results (summary lines, tables); stderr: progress, notes, errors.

    Step lines ("[12:00:01] zoom_phone: extract") are always printed so a cron log shows
    where a run spent its time; the live row counter only on a terminal.
    """

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None, *,
                 verbose: bool = False, live: bool | None = None, redact=None):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.verbose = verbose
        self.live = self.err.isatty() if live is None else live
        self._redact = redact or (lambda s: s)

    def _write(self, stream: TextIO, text: str) -> None:
        stream.write(self._redact(text) + "\n")
        stream.flush()

    def print(self, text: str = "") -> None:
        self._write(self.out, text)

    def step(self, source: str, text: str) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        self._write(self.err, f"[{stamp}] {source}: {text}")

    def note(self, text: str) -> None:
        self._write(self.err, text)

    def error(self, text: str) -> None:
        self._write(self.err, "error: " + text)

    def collector(self, source: str) -> Collector:
        return LiveCounter(source, self.err) if self.live else _Null()


class _Null(Collector):
    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        pass

    def _start(self, step: str) -> None:
        pass

    def _stop(self) -> None:
        pass


class LiveCounter(Collector):
    """One self-overwriting stderr line per dlt step: `zoom_phone extract: call_logs 1200 | ... 4.1s`."""

    def __init__(self, source: str, stream: TextIO, period: float = 0.5):
        self.source = source
        self.stream = stream
        self.period = period
        self.step = ""
        self.counters: dict[str, list[Any]] = {}
        self._t0 = self._last = 0.0

    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        key = f"{name}[{label}]" if label else name
        entry = self.counters.setdefault(key, [0, total])
        entry[0] += inc
        if inc_total:
            entry[1] = (entry[1] or 0) + inc_total
        now = time.monotonic()
        if now - self._last >= self.period:
            self._last = now
            self._render()

    def _render(self, end: str = "") -> None:
        parts = []
        for key, (count, total) in list(self.counters.items())[:8]:
            parts.append(f"{key} {count}/{total}" if total else f"{key} {count}")
        line = f"  {self.source} {self.step}: " + " | ".join(parts) + f"  {time.monotonic() - self._t0:.1f}s"
        self.stream.write("\r\033[K" + line[:200] + end)
        self.stream.flush()

    def _start(self, step: str) -> None:
        self.step = (step.split() or [""])[0].lower()  # "Normalize zoom_phone in 1795..." -> "normalize"
        self.counters = {}
        self._t0 = time.monotonic()
        self._last = 0.0

    def _stop(self) -> None:
        if self.counters:
            self._render()
        self.stream.write("\r\033[K")
        self.stream.flush()
