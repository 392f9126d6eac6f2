"""Run lock: one run/backfill per pipeline and warehouse at a time.

`fcntl.flock` on a lock file: the OS releases it when the holder dies (even on
`kill -9`), so a lock can never go stale. The file also carries who holds it (pid,
start time, command) for the refusal message; a non-empty file found by a new holder
means the previous run did not finish cleanly (killed), which the new run reports.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any


class LockHeld(Exception):
    """Another process runs this pipeline right now."""

    def __init__(self, name: str, holder: dict[str, Any]):
        self.name = name
        self.holder = holder
        pid = holder.get("pid", "?")
        started = holder.get("started_at", "?")
        command = holder.get("command")
        what = f" ({command})" if command else ""
        super().__init__(
            f"{name} is already running{what}: pid {pid}, started {started}. "
            "Wait for it to finish (or stop that process) and run again"
        )


class RunLock:
    def __init__(self, path: str | os.PathLike, name: str):
        self.path = Path(path)
        self.name = name
        self._fd: int | None = None
        self.stale: dict[str, Any] | None = None  # holder record left by a run that died
        self.info: dict[str, Any] = {}

    @staticmethod
    def _read(fd: int) -> dict[str, Any]:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = b""
        while chunk := os.read(fd, 65536):
            raw += chunk
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
            return data if isinstance(data, dict) else {"raw": raw.decode(errors="replace")}
        except ValueError:
            return {"raw": raw.decode(errors="replace")[:200]}

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock now (None if free). Does not take it."""
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._read(fd) or {"pid": "?"}
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def acquire(self, **info: Any) -> RunLock:
        """Take the lock or raise LockHeld. `info` (command, run_id...) is stored for others to see."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._read(fd)
            os.close(fd)
            raise LockHeld(self.name, holder) from None
        previous = self._read(fd)
        if previous and previous.get("pid") != os.getpid():
            self.stale = previous
        self.info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **info,
        }
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(self.info).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)  # empty file = the last holder finished cleanly
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RunLock:
        if not self.held:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
