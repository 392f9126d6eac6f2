"""Run lock: one run/backfill per pipeline and warehouse at a time, taken where the data is,
so two runs with different working directories on one warehouse still take turns.

- DuckDB: `RunLock`, `fcntl.flock` on a lock file beside the DuckDB file. The OS releases it
  when the holder dies (even on `kill -9`), so a lock can never go stale. The file also carries
  who holds it (pid, start time, command) for the refusal message; a non-empty file found by a
  new holder means the previous run did not finish cleanly (killed), which the new run reports.
- Postgres: `AdvisoryLock`, a session advisory lock keyed by the dataset, held by a connection
  of its own for the whole run; the server releases it when that session ends (the process
  died). Its `application_name` says who holds it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
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


class _Lock:
    """What both locks share: held while a handle (a file descriptor, a session) is open."""

    _handle: Any = None

    def acquire(self, **info: Any) -> _Lock:
        raise NotImplementedError

    def _let_go(self, handle: Any) -> None:
        raise NotImplementedError

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._let_go(self._handle)
        finally:
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def __enter__(self) -> _Lock:
        if not self.held:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class RunLock(_Lock):
    def __init__(self, path: str | os.PathLike, name: str):
        self.path = Path(path)
        self.name = name
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
        self._handle = fd
        return self

    def _let_go(self, fd: int) -> None:
        try:
            os.ftruncate(fd, 0)  # empty file = the last holder finished cleanly
        finally:
            os.close(fd)  # closing drops the flock


class AdvisoryLock(_Lock):
    """The run lock of one dataset in a Postgres database (same interface as RunLock).

    `stale` stays None: a killed holder leaves nothing behind here; the runner finds its run
    record still `running` instead.
    """

    NAMESPACE = 0x0CA11  # first key of callpipe's two-key advisory locks

    def __init__(self, dsn: str, dataset: str, name: str):
        self.dsn = dsn
        self.name = name
        self.key = int.from_bytes(hashlib.sha1(f"callpipe:{dataset}".encode()).digest()[:4], "big") & 0x7FFFFFFF
        self.stale: dict[str, Any] | None = None
        self.info: dict[str, Any] = {}

    def _connect(self, label: str) -> Any:
        import psycopg2

        conn = psycopg2.connect(self.dsn, connect_timeout=10, application_name=label[:63])
        conn.autocommit = True
        return conn

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock now (None if free), from the holder session's application_name."""
        conn = self._connect("callpipe status")
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT a.application_name, a.backend_start, a.client_addr FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.classid = %s::oid AND l.objid = %s::oid AND l.objsubid = 2 "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    [self.NAMESPACE, self.key])
                row = cur.fetchone()
        finally:
            conn.close()
        if row is None:
            return None
        label, started, _ = row
        pid = re.search(r"pid (\d+)", label or "")
        command = re.match(r"callpipe (\w+)", label or "")
        host = re.search(r" on (\S+)", label or "")
        return {"pid": int(pid.group(1)) if pid else "?", "started_at": started.isoformat(timespec="seconds"),
                "command": command.group(1) if command else None, "host": host.group(1) if host else None}

    def acquire(self, **info: Any) -> AdvisoryLock:
        self.info = {"pid": os.getpid(), "host": socket.gethostname(),
                     "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **info}
        label = f"callpipe {info.get('command') or 'run'} pid {os.getpid()} on {socket.gethostname()}"
        conn = self._connect(label)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [self.NAMESPACE, self.key])
            taken = cur.fetchone()[0]
        if not taken:
            conn.close()
            raise LockHeld(self.name, self.holder() or {"pid": "?"})
        self._handle = conn
        return self

    def _let_go(self, conn: Any) -> None:
        conn.close()  # ending the session releases the lock
