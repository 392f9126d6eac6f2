"""Where the data goes: one warehouse (DuckDB file or Postgres database), one dataset per source.

`Warehouse` bundles the destination kind and location, the dataset (schema) names and the
local dlt working directory, and gives everyone the same three things:

- `pipeline(source)`: the dlt pipeline of a source (`callpipe_<source>`), loading into that
  source's dataset with the right loader file format (parquet for DuckDB, csv/COPY for Postgres);
- `query(sql, params)` / `execute(sql, params)`: plain SQL against the warehouse
  (`?` placeholders on both destinations), used by the analytics views and `status`;
- `lock(source)` and `db_lock()`: the run lock of a pipeline and, for DuckDB, the one-writer lock.

The Postgres DSN is a secret: it is never part of `describe()`, `repr()` or an error message
(`redact()` removes passwords from any text).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dlt

from pipelines.lock import AdvisoryLock, RunLock
from sources.common.config import DEFAULT_ACCOUNT, env_var
from sources.common.errors import ConfigError, redact_secrets

DUCKDB = "duckdb"
POSTGRES = "postgres"
DESTINATIONS = (DUCKDB, POSTGRES)
SOURCE_NAMES = ("zoom_phone", "zoom_contact_center", "zoho_voice")
DEFAULT_DUCKDB_PATH = "warehouse.duckdb"
DEFAULT_PIPELINES_DIR = ".callpipe/pipelines"
DEFAULT_ANALYTICS_DATASET = "analytics"
DEFAULT_RUNS_DATASET = "callpipe"
PIPELINE_PREFIX = "callpipe_"
LOADER_FILE_FORMAT = {DUCKDB: "parquet", POSTGRES: "csv"}
POSTGRES_ENV = "DESTINATION__POSTGRES__CREDENTIALS"
# dlt's staging datasets (each load lands there, then is merged into the dataset): named to sort
# after every dataset an analyst browses (dlt's default `<dataset>_staging` sat beside them)
STAGING_LAYOUT = "zz_staging_%s"
# dlt settings callpipe relies on, whatever directory it runs from (a .dlt/config.toml elsewhere may
# not have them): every row carries its `_dlt_load_id` (the run counts and the docs rely on it)
REQUIRED_DLT_SETTINGS = {"NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true"}

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@", re.I)
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.I)


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove passwords of connection strings and the given secret values from `text`."""
    if not text:
        return text
    text = redact_secrets(text, secrets)
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _KV_PASSWORD.sub(r"\1***", text)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


DEFAULT_DUCKDB_MEMORY_LIMIT = "256MB"


class WarehouseError(Exception):
    """The warehouse is not reachable / usable (busy DuckDB file, refused connection...)."""


@dataclass
class Warehouse:
    """A destination + dataset names + local dlt working directory.

    kind: "duckdb" or "postgres"
    location: DuckDB file path (absolute) or the Postgres DSN (secret: never printed)
    datasets: source name -> dataset (schema) name
    analytics_dataset: schema of the analyst views
    runs_dataset: schema of the run record table `runs`
    pipelines_dir: dlt working directories live in `pipelines_dir/<warehouse key>/<pipeline name>`,
        so two warehouses never share local state (dlt restores it from the destination anyway).
    """

    kind: str
    location: str = field(repr=False)
    datasets: dict[str, str] = field(default_factory=lambda: {s: s for s in SOURCE_NAMES})
    analytics_dataset: str = DEFAULT_ANALYTICS_DATASET
    runs_dataset: str = DEFAULT_RUNS_DATASET
    pipelines_dir: Path = Path(DEFAULT_PIPELINES_DIR)

    def __post_init__(self) -> None:
        if self.kind not in DESTINATIONS:
            raise ValueError(f"unknown destination {self.kind!r}: use one of {', '.join(DESTINATIONS)}")
        if self.kind == DUCKDB:
            self.location = str(Path(self.location).expanduser().resolve())
        else:
            check_dsn(self.location)
        for name in [*self.datasets.values(), self.analytics_dataset, self.runs_dataset]:
            if not _IDENT.match(name):
                raise ValueError(f"dataset name {name!r} is not a plain SQL identifier (letters, digits, _)")
        self.pipelines_dir = Path(self.pipelines_dir).expanduser().resolve()

    # ------------------------------------------------------------------ construction
    @classmethod
    def duckdb(cls, path: str | os.PathLike = DEFAULT_DUCKDB_PATH, **kw: Any) -> Warehouse:
        return cls(DUCKDB, str(path), **kw)

    @classmethod
    def postgres(cls, dsn: str, **kw: Any) -> Warehouse:
        return cls(POSTGRES, dsn, **kw)

    # ------------------------------------------------------------------ naming
    @property
    def loader_file_format(self) -> str:
        return LOADER_FILE_FORMAT[self.kind]

    def dataset(self, source: str) -> str:
        return self.datasets.get(source, source)

    @staticmethod
    def pipeline_name(source: str, account: str | None = None) -> str:
        """`callpipe_<source>`; a named account's `callpipe_<source>__<account>` (pipelines.accounts)."""
        return PIPELINE_PREFIX + source + ("" if account in (None, DEFAULT_ACCOUNT) else f"__{account}")

    def describe(self) -> str:
        """Human description without secrets: `duckdb /path/file.duckdb` or `postgres user@host:5432/db`."""
        if self.kind == DUCKDB:
            return f"duckdb {self.location}"
        parts = urlsplit(self.location)
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"postgres {user}{parts.hostname}{port}{parts.path}"

    @property
    def key(self) -> str:
        """Stable short name of this warehouse (no secrets) for the local working directory."""
        ident = self.location if self.kind == DUCKDB else self.describe()
        digest = hashlib.sha1(ident.encode()).hexdigest()[:10]
        stem = Path(self.location).stem if self.kind == DUCKDB else (urlsplit(self.location).path.strip("/") or "db")
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:40]
        return f"{self.kind}-{stem}-{digest}"

    @property
    def work_dir(self) -> Path:
        return self.pipelines_dir / self.key

    def redact(self, text: str) -> str:
        if self.kind != POSTGRES:
            return redact(text)
        return redact(text, [self.location, urlsplit(self.location).password or ""])

    # ------------------------------------------------------------------ dlt
    def destination(self):
        if self.kind == DUCKDB:
            from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

            # DuckDB's engine otherwise takes up to 80% of RAM while it merges a big load
            # (bench: 2.2 GB at 1M calls); above the cap it spills to <file>.tmp on disk
            limit = check_memory_limit()
            return dlt.destinations.duckdb(DuckDbCredentials(self.location, global_config={"memory_limit": limit}),
                                           staging_dataset_name_layout=STAGING_LAYOUT)
        return dlt.destinations.postgres(self.location, staging_dataset_name_layout=STAGING_LAYOUT)

    def staging_dataset(self, source: str) -> str:
        """Where dlt stages a load of `source` before merging it (see STAGING_LAYOUT)."""
        return STAGING_LAYOUT % self.dataset(source)

    def pipeline(self, source: str, progress: Any = None, account: str | None = None) -> dlt.Pipeline:
        """The dlt pipeline of `source` (`callpipe_<source>`, per account: `pipeline_name`) into
        its dataset in this warehouse: every account of a source shares the dataset and tables.

        Load with `loader_file_format=warehouse.loader_file_format` (parquet / csv).
        """
        self.work_dir.mkdir(parents=True, exist_ok=True)
        os.environ.update(REQUIRED_DLT_SETTINGS)
        kw = {"progress": progress} if progress is not None else {}
        return dlt.pipeline(
            pipeline_name=self.pipeline_name(source, account),
            destination=self.destination(),
            dataset_name=self.dataset(source),
            pipelines_dir=str(self.work_dir),
            **kw,
        )

    # ------------------------------------------------------------------ locks
    def lock(self, source: str, account: str | None = None) -> RunLock | AdvisoryLock:
        """Run lock of `source`'s pipeline (one per account), taken where the data is (refuses a
        second concurrent run of it into this warehouse, whatever its working directory): a lock
        file beside the DuckDB file, or a Postgres advisory lock keyed by the dataset (and account)."""
        name = self.pipeline_name(source, account)
        if self.kind == POSTGRES:
            key = self.dataset(source) + ("" if account in (None, DEFAULT_ACCOUNT) else f"/{account}")
            return AdvisoryLock(self.location, key, name=name)
        return RunLock(self.lock_dir / f"{name}.lock", name=name)

    @property
    def lock_dir(self) -> Path:
        """DuckDB: the directory of lock files beside the file (`warehouse.duckdb.locks/`)."""
        return Path(self.location + ".locks")

    @contextlib.contextmanager
    def db_lock(self, timeout: float = 1800.0, on_wait=None) -> Iterator[None]:
        """DuckDB takes one writer process at a time: serialize our own processes' DB phases.

        Blocks (up to `timeout` s) instead of refusing: the holder only keeps it while loading.
        Postgres: a session advisory lock of the database plays the same part, so the loads of
        two accounts of a source (same tables, same staging tables) never run at the same time,
        whatever process they run in; their extracts still do.
        """
        if self.kind != DUCKDB:
            with self._pg_writer_lock(timeout, on_wait):
                yield
            return
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_dir / "writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            waited = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not waited and on_wait is not None:
                        on_wait()
                    waited = True
                    if time.monotonic() > deadline:
                        raise WarehouseError(
                            f"DuckDB file {self.location} stayed busy for {timeout:.0f}s "
                            "(another callpipe process is loading into it): try again when it is done"
                        ) from None
                    time.sleep(0.2)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    @contextlib.contextmanager
    def _pg_writer_lock(self, timeout: float, on_wait=None) -> Iterator[None]:
        import psycopg2

        key = int.from_bytes(hashlib.sha1(b"callpipe:writer").digest()[:4], "big") & 0x7FFFFFFF
        try:
            conn = psycopg2.connect(self.location, connect_timeout=10, application_name="callpipe writer")
        except psycopg2.Error as exc:
            raise WarehouseError(f"cannot connect to {self.describe()}: {self.redact(str(exc).strip())}") from None
        conn.autocommit = True
        try:
            deadline = time.monotonic() + timeout
            waited = False
            with conn.cursor() as cur:
                while True:
                    cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [AdvisoryLock.NAMESPACE, key])
                    if cur.fetchone()[0]:
                        break
                    if not waited and on_wait is not None:
                        on_wait()
                    waited = True
                    if time.monotonic() > deadline:
                        raise WarehouseError(f"{self.describe()} stayed busy for {timeout:.0f}s (another callpipe "
                                             "process is loading into it): try again when it is done")
                    time.sleep(0.2)
            yield
        finally:
            conn.close()  # closing the session releases the lock

    # ------------------------------------------------------------------ SQL
    @contextlib.contextmanager
    def session(self) -> Iterator[Warehouse]:
        """Reuse one connection for every query/execute inside the block (faster for many queries)."""
        if getattr(self, "_session", None) is not None:
            yield self
            return
        with self._open() as conn:
            self._session = conn
            try:
                yield self
            finally:
                self._session = None

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        """A DB-API connection (duckdb or psycopg2), committed and closed on exit."""
        session = getattr(self, "_session", None)
        if session is not None:
            yield session
            if self.kind == POSTGRES:
                session.commit()
            return
        with self._open() as conn:
            yield conn

    @contextlib.contextmanager
    def _open(self) -> Iterator[Any]:
        if self.kind == DUCKDB:
            import duckdb

            try:
                conn = duckdb.connect(self.location)
            except duckdb.IOException as exc:
                raise WarehouseError(duckdb_busy_message(self.location, exc)) from exc
            try:
                yield conn
            finally:
                conn.close()
        else:
            import psycopg2

            try:
                conn = psycopg2.connect(self.location, connect_timeout=10)
            except psycopg2.Error as exc:
                raise WarehouseError(
                    f"cannot connect to {self.describe()}: {self.redact(str(exc).strip())}"
                ) from None
            try:
                yield conn
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                conn.close()

    def _adapt(self, sql: str, params: Sequence[Any] | None) -> str:
        if self.kind == POSTGRES and params:
            return sql.replace("%", "%%").replace("?", "%s")
        return sql

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run one statement and return its rows (`?` placeholders)."""
        with self.connect() as conn:
            cur = conn.cursor()
            cur.execute(self._adapt(sql, params), params or None)
            rows = cur.fetchall() if cur.description else []
            return [tuple(r) for r in rows]

    def query_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        with self.connect() as conn:
            cur = conn.cursor()
            cur.execute(self._adapt(sql, params), params or None)
            if not cur.description:
                return []
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def execute(self, sql: str | Sequence[str], params: Sequence[Any] | None = None) -> None:
        """Run one statement, or a list of statements in one transaction."""
        statements = [sql] if isinstance(sql, str) else list(sql)
        with self.connect() as conn:
            cur = conn.cursor()
            if self.kind == DUCKDB and len(statements) > 1:
                cur.execute("BEGIN TRANSACTION")
            for stmt in statements:
                cur.execute(self._adapt(stmt, params), params or None)
            if self.kind == DUCKDB and len(statements) > 1:
                cur.execute("COMMIT")

    def qualified(self, dataset: str, table: str) -> str:
        return f"{quote_ident(dataset)}.{quote_ident(table)}"

    def tables(self, dataset: str) -> list[str]:
        """Tables (not views) that exist in `dataset`, sorted."""
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_type = 'BASE TABLE' ORDER BY table_name",
            [dataset],
        )
        return [r[0] for r in rows]

    def columns(self, dataset: str, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [dataset, table],
        )
        return [r[0] for r in rows]

    def row_counts(self, dataset: str, include_internal: bool = False, account: str | None = None) -> dict[str, int]:
        """{table: rows} of the data tables in `dataset` (dlt's `_dlt_*` tables left out by default);
        with `account`, only its rows (`source_account`) in the tables that carry it."""
        names = [t for t in self.tables(dataset) if include_internal or not t.startswith("_dlt")]
        if not names:
            return {}
        keyed = self.tables_with_column(dataset, "source_account") if account is not None else set()
        where = f" WHERE source_account = {sql_text(account)}" if account is not None else ""
        union = " UNION ALL ".join(
            f"SELECT '{t}', count(*) FROM {self.qualified(dataset, t)}{where if t in keyed else ''}" for t in names
        )
        return {name: int(count) for name, count in self.query(union)}

    def tables_with_column(self, dataset: str, column: str) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.columns WHERE table_schema = ? "
                          "AND column_name = ?", [dataset, column])
        return {r[0] for r in rows}


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


# (the usual user:password@ example would itself be masked as a password by redact())
DSN_EXAMPLE = "postgresql://USER@HOST:5432/DATABASE, with the password after the user as USER:PASSWORD@HOST"


def check_dsn(dsn: str) -> None:
    """A Postgres DSN dlt and psycopg2 can use: postgresql://user:password@host[:port]/database.

    The error never shows the DSN, nor any part of it: it holds a password.
    """
    problem = None
    try:
        parts = urlsplit(str(dsn).strip())
        if parts.scheme not in ("postgresql", "postgres"):
            problem = "it does not start with postgresql://"
        elif not parts.hostname:
            problem = "it names no host"
        elif not parts.path.strip("/"):
            problem = "it names no database"
        else:
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        problem = "its port is not a number" if problem is None else problem
    if problem:
        raise ValueError(
            f"the Postgres DSN cannot be read ({problem}; not shown, it holds a password): set "
            f"{POSTGRES_ENV} or credentials under [destination.postgres] in .dlt/secrets.toml to a URL "
            f"like {DSN_EXAMPLE}"
        )


def duckdb_busy_message(path: str, exc: BaseException) -> str:
    text = str(exc)
    pid = re.search(r"PID (\d+)", text)
    holder = f" by process {pid.group(1)}" if pid else ""
    if "lock" in text.lower():
        return (f"DuckDB file {path} is open{holder} (a DuckDB file takes one writer): "
                "close that session or wait for the run to finish, then retry")
    return f"cannot open DuckDB file {path}: {text.strip().splitlines()[0] if text.strip() else type(exc).__name__}"


def config_value(key: str, default: Any = None) -> Any:
    """A `[pipeline]`-style setting from dlt config (config.toml or env, e.g. PIPELINE__DUCKDB_PATH)."""
    value = dlt.config.get(key)
    return default if value is None or value == "" else value


def warehouse_from_config(
    destination: str | None = None,
    duckdb_path: str | None = None,
    pipelines_dir: str | None = None,
    datasets: Mapping[str, str] | None = None,
    analytics_dataset: str | None = None,
) -> Warehouse:
    """Build the warehouse from CLI values, falling back to `[pipeline]` config, then defaults.

    Raises ConfigError (sources.common.errors) naming the key, its env var and a good value.
    """
    kind = str(destination or config_value("pipeline.destination", DUCKDB)).lower()
    if kind not in DESTINATIONS:
        raise config_error("pipeline.destination", f"unknown destination {kind!r}", "duckdb or postgres",
                           "--destination")
    names = {s: s for s in SOURCE_NAMES}
    names.update(_datasets_from_config())
    names.update(datasets or {})
    analytics = analytics_dataset or config_value("pipeline.analytics_dataset", DEFAULT_ANALYTICS_DATASET)
    runs = config_value("pipeline.runs_dataset", DEFAULT_RUNS_DATASET)
    for key, name, option, example in [
            *((f"pipeline.datasets.{s}", n, "--dataset", s) for s, n in names.items()),
            ("pipeline.analytics_dataset", analytics, "--analytics-dataset", DEFAULT_ANALYTICS_DATASET),
            ("pipeline.runs_dataset", runs, None, DEFAULT_RUNS_DATASET)]:
        if not _IDENT.match(str(name)):
            raise config_error(key, f"dataset name {name!r} is not a plain SQL identifier (letters, digits, _)",
                               example, option)
    kw: dict[str, Any] = dict(datasets=names, analytics_dataset=analytics, runs_dataset=runs,
                              pipelines_dir=Path(pipelines_dir or config_value("pipeline.pipelines_dir",
                                                                               DEFAULT_PIPELINES_DIR)))
    if kind == DUCKDB:
        check_memory_limit()
        return Warehouse.duckdb(duckdb_path or config_value("pipeline.duckdb_path", DEFAULT_DUCKDB_PATH), **kw)
    dsn = dlt.secrets.get("destination.postgres.credentials")
    if isinstance(dsn, Mapping):  # credentials given as a table of fields
        dsn = "postgresql://{username}:{password}@{host}:{port}/{database}".format(
            port=dsn.get("port", 5432), **{k: dsn.get(k, "") for k in ("username", "password", "host", "database")}
        )
    if not dsn:
        raise ConfigError(
            "Postgres credentials missing: set [destination.postgres] credentials in .dlt/secrets.toml "
            f"or the env var {POSTGRES_ENV}=postgresql://user:password@host:5432/database"
        )
    try:
        return Warehouse.postgres(str(dsn), **kw)
    except ValueError as exc:  # check_dsn: says what is wrong without showing the DSN
        raise ConfigError(str(exc)) from None


def config_error(key: str, problem: str, example: str, option: str | None = None) -> ConfigError:
    """ConfigError for a `[pipeline]` key: what is wrong, where to set it (CLI option, config.toml
    key, env var) and an example of a good value."""
    section, _, name = key.rpartition(".")
    where = f"{option} or " if option else ""
    return ConfigError(f"{problem}: set {where}{name} under [{section}] in .dlt/config.toml or the env var "
                       f"{env_var(key)}, e.g. {example}")


def _datasets_from_config() -> dict[str, str]:
    """[pipeline.datasets] as a table (each key also as PIPELINE__DATASETS__<SOURCE>), or
    PIPELINE__DATASETS as JSON or source=dataset,... (then it is the whole table)."""
    example = 'zoom_phone = "calls_zoom" under [pipeline.datasets], or zoom_phone=calls_zoom'
    configured = config_value("pipeline.datasets", {}) or {}
    table = isinstance(configured, Mapping)
    if isinstance(configured, str):
        text = configured.strip()
        try:
            configured = json.loads(text) if text.startswith("{") else dict(
                (part.split("=", 1)[0].strip(), part.split("=", 1)[1].strip()) for part in text.split(",") if part.strip())
        except (ValueError, IndexError):
            configured = None
    if not isinstance(configured, Mapping):
        raise config_error("pipeline.datasets", "[pipeline.datasets] cannot be read as source = dataset pairs",
                           example, "--dataset SOURCE=DATASET")
    names = {str(k): str(v) for k, v in configured.items()}
    for source in SOURCE_NAMES if table else ():
        one = config_value(f"pipeline.datasets.{source}")
        if isinstance(one, str) and one.strip():
            names[source] = one.strip()
    unknown = sorted(set(names) - set(SOURCE_NAMES))
    if unknown:
        raise config_error("pipeline.datasets", f"[pipeline.datasets] names unknown sources {unknown} "
                           f"(sources: {', '.join(SOURCE_NAMES)})", example, "--dataset SOURCE=DATASET")
    return names


def check_memory_limit() -> str:
    """[pipeline] duckdb_memory_limit as DuckDB reads it (asked to DuckDB itself, in memory)."""
    import duckdb

    limit = str(config_value("pipeline.duckdb_memory_limit", DEFAULT_DUCKDB_MEMORY_LIMIT))
    try:
        duckdb.connect(":memory:", config={"memory_limit": limit}).close()
    except duckdb.Error:
        raise config_error("pipeline.duckdb_memory_limit", f"DuckDB cannot read the memory limit {limit!r}",
                           "256MB or 2GB") from None
    return limit


def check_writable(wh: Warehouse) -> None:
    """Refuse (ConfigError) a DuckDB file or pipelines directory this process cannot write, before
    anything is requested or written: a run would fail on every source, after its requests."""
    if wh.kind == DUCKDB:
        path = Path(wh.location)
        if (path.exists() and not (path.is_file() and os.access(path, os.W_OK))) or not _can_create_in(path.parent):
            raise config_error("pipeline.duckdb_path", f"the DuckDB file {path} cannot be written here",
                               "--duckdb-path /srv/callpipe/warehouse.duckdb (a file in a directory you can write)",
                               "--duckdb-path")
    if not _can_create_in(wh.pipelines_dir):
        raise config_error("pipeline.pipelines_dir", f"the pipelines directory {wh.pipelines_dir} cannot be written",
                           ".callpipe/pipelines (a directory you can write)", "--pipelines-dir")


def _can_create_in(directory: Path) -> bool:
    """True when `directory` is (or, created, would be) a directory this process can write into:
    its nearest existing ancestor takes a temporary file (permissions, read-only mounts...)."""
    place = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if place is None or not place.is_dir():
        return False
    try:
        with tempfile.TemporaryFile(dir=place):
            return True
    except OSError:
        return False
