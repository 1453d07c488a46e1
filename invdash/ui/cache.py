"""Every Streamlit cache of the dashboard, and its short-lived database connections.

DuckDB lets one process write a file at a time, and inside one process a read-only and a
read-write connection to the same file cannot coexist. So the dashboard keeps no connection open
for long: ``read_connection`` gives one block of reads a cursor of a read-only connection that
reads close together share (``_ReadPool``: closed half a second after the last read and before
any write), and ``write_connection`` opens the file read-write for one transaction (decisions,
alert states, uploads). Both wait briefly for another writer and then raise ``StoreBusyError``
("busy, retry").

Caching goes through one helper, ``_memo``: a ``st.cache_data`` entry keyed by a *scope* (what the
result depends on), the core function's qualified name and its (hashable) arguments. The core
function itself is passed unhashed, so views cache any core call without writing a decorated
twin of it. The scopes:

- ``cached_read(read, *args, **options)``: ``read(conn, *args, **options)`` once per database
  state (file path and modification time): any write, a decision included, makes the next
  call read again.
- ``cached_on_data(read, *args)``: once per *data version* (sales, products, stock counts and open
  orders); decisions and alert states do not change it, so expensive derived results
  (calibration on past forecasts, explanations) survive a review session.
- ``cached_on_file(read, path, **options)``: ``read(path, **options)`` once per uploaded file (the
  path is content-addressed by ``upload_views.save_upload``).
- ``cached_model(build, *args)``: a fitted model (``st.cache_resource``, shared by sessions and
  never mutated) per data version.

No core function is decorated, and no other module of ``invdash`` imports ``st.cache_*``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from invdash import store
from invdash.config import Settings, load_settings

__all__ = [
    "settings",
    "db_key",
    "data_key",
    "read_connection",
    "write_connection",
    "clear_all",
    "cached_read",
    "cached_on_data",
    "cached_on_file",
    "cached_model",
]

T = TypeVar("T")


def settings() -> Settings:
    """Current settings (read per call so tests can monkeypatch ``INVDASH_DB``)."""
    return load_settings()


def db_key() -> str:
    """A cache key for the current database state: the file path and its modification time."""
    path = settings().db_path
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    wal = path.with_name(path.name + ".wal")
    wal_mtime = wal.stat().st_mtime_ns if wal.exists() else 0
    return f"{path.resolve()}@{mtime}:{wal_mtime}"


class _ReadersWriter:
    """Many readers or one writer at a time, in this process (the server's sessions are its
    threads). DuckDB refuses a read-write connection to a file while a read-only one to it is
    open in the same process, and the other way round; without this lock a planner's save waits
    for a moment when none of the other sessions is reading and fails after
    ``store._BUSY_WAIT_S`` (``StoreBusyError``) when 8 sessions read all the time. A waiting
    writer goes first: new readers wait for it, so saves are not starved. A thread that holds
    the lock enters again without waiting (no deadlock on a nested block)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._mine = threading.local()
        self.pool = _ReadPool(self._cond)

    def _held(self) -> bool:
        return getattr(self._mine, "depth", 0) > 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        if self._held():  # a nested block of this thread: it holds the lock already
            yield
            return
        self._mine.depth = 1
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            self._mine.depth = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self.pool.idle()
                self._cond.notify_all()

    def readers(self) -> int:
        """How many reads run (call under the condition)."""
        return self._readers

    @contextmanager
    def writing(self) -> Iterator[None]:
        if self._held():
            yield
            return
        self._mine.depth = 1
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not self._writing and not self._readers)
            self._writers_waiting -= 1
            self._writing = True
            self.pool.close()  # no reader runs: DuckDB refuses read-write beside read-only
        try:
            yield
        finally:
            self._mine.depth = 0
            with self._cond:
                self._writing = False
                self._cond.notify_all()


def _stamp(path: Path) -> tuple:
    """What says the file is still the one a pooled connection opened (a replaced, rewritten or
    deleted file differs; DuckDB itself cannot write it while the connection is open)."""
    found = []
    for part in (path, path.with_name(path.name + ".wal")):
        try:
            info = part.stat()
        except OSError:
            found.append(None)
        else:
            found.append((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(found)


class _ReadPool:
    """One read-only connection to the database file, shared by the reads of every session
    (each on its own ``cursor()``) while they come close together.

    At 100,000 SKUs opening the 4 GB file and running a first query on it cost 0.1-0.3 s a read
    under load, and a page makes 3 to 9 reads; a connection kept open also keeps DuckDB's
    buffers, so the reads after the first are faster too. It is closed ``IDLE_S`` after the
    last read (so another process, the CLI, can write the file: it waits up to 10 s), at once
    when it has been open ``MAX_OPEN_S`` and no read runs, and before any write of this process
    (``_ReadersWriter.writing``). A file replaced or rewritten behind it (``_stamp``) is
    opened anew. All its state is guarded by the readers-writer lock's condition."""

    IDLE_S = 0.5
    MAX_OPEN_S = 5.0

    def __init__(self, cond: threading.Condition) -> None:
        self._cond = cond
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._key: tuple = ()
        self._opened_s = self._idle_since_s = 0.0
        self._closer: threading.Thread | None = None

    def cursor(
        self, path: Path, readers: Callable[[], int]
    ) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """``(connection, pooled)`` for one read of ``path`` (``readers()``: the reads running,
        this one included): a cursor of the pooled connection (``pooled``), or a connection of
        its own when the pool holds another file that other reads still use; the caller closes
        either."""
        key = (str(path.resolve()), _stamp(path))
        with self._cond:
            if self._conn is not None and self._key != key:
                if readers() > 1:
                    return store.connect_read_only(path), False
                self.close()
            if self._conn is None:
                self._conn = store.connect_read_only(path)
                self._key, self._opened_s = key, time.monotonic()
            return self._conn.cursor(), True

    def idle(self) -> None:
        """The last running read ended (under the condition): close soon, or now if old."""
        now = time.monotonic()
        self._idle_since_s = now
        if self._conn is None:
            return
        if now - self._opened_s >= self.MAX_OPEN_S:
            self.close()
        elif self._closer is None:
            self._closer = threading.Thread(target=self._close_when_idle, daemon=True)
            self._closer.start()

    def close(self) -> None:
        """Close the pooled connection (under the condition, with no read running)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _close_when_idle(self) -> None:
        while True:
            time.sleep(self.IDLE_S / 2)
            with self._cond:
                idle_s = time.monotonic() - self._idle_since_s
                if self._conn is None or (not _LOCK.readers() and idle_s >= self.IDLE_S):
                    self.close()
                    self._closer = None
                    return


_LOCK = _ReadersWriter()


@contextmanager
def read_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the configured database for one block of reads (a cursor of
    the pooled connection, ``_ReadPool``)."""
    with _LOCK.reading():
        conn, _ = _LOCK.pool.cursor(settings().db_path, _LOCK.readers)
        try:
            yield conn
        finally:
            conn.close()


@contextmanager
def write_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one write; cached frames are dropped afterwards."""
    with _LOCK.writing():
        conn = store.connect(settings().db_path)
        try:
            yield conn
        finally:
            conn.close()
    st.cache_data.clear()


def clear_all() -> None:
    """Drop every cached frame and resource (after a data change)."""
    st.cache_data.clear()
    st.cache_resource.clear()


def _name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


@st.cache_data(ttl=900, max_entries=512, show_spinner=False)
def _memo(scope: str, name: str, args: tuple, _call: Callable[[], Any]) -> Any:  # noqa: ARG001
    return _call()


def _spinner(text: str | None) -> Any:
    # st.spinner shows only after a short delay, so a cache hit does not flash it.
    return st.spinner(text) if text else nullcontext()


def _read_with_connection(
    read: Callable[..., T], args: tuple, options: Mapping[str, Any]
) -> Callable[[], T]:
    def call() -> T:
        with read_connection() as conn:
            return read(conn, *args, **options)

    return call


def _key(args: tuple, options: Mapping[str, Any]) -> tuple:
    return (*args, *sorted(options.items()))


def cached_read(
    read: Callable[..., T], *args: Any, spinner: str | None = None, **options: Any
) -> T:
    """``read(conn, *args, **options)`` on a read-only connection, once per database state."""
    with _spinner(spinner):
        call = _read_with_connection(read, args, options)
        return _memo(db_key(), _name(read), _key(args, options), call)


def data_key() -> str:
    """The database path and its data version (``store.data_version``, cached per state)."""
    return f"{settings().db_path.resolve()}|{cached_read(store.data_version)}"


def cached_on_data(
    read: Callable[..., T], *args: Any, unhashed: Mapping[str, Any] | None = None,
    spinner: str | None = None,
) -> T:
    """``read(conn, *args, **unhashed)`` once per data version and ``args``: decisions and alert
    states keep it. ``unhashed`` passes objects (a forecast run) that ``args`` already identify
    (by run id), so they are not hashed on every call."""
    with _spinner(spinner):
        call = _read_with_connection(read, args, dict(unhashed or {}))
        return _memo(data_key(), _name(read), args, call)


def cached_on_file(
    read: Callable[..., T], path: Path, *, spinner: str | None = None, **options: Any
) -> T:
    """``read(path, **options)`` once per (content-addressed) uploaded file and ``options``."""
    key = tuple(sorted(options.items()))
    with _spinner(spinner):
        return _memo(str(path), _name(read), key, lambda: read(Path(path), **options))


@st.cache_resource(ttl=3600, max_entries=8, show_spinner=False)
def _model(scope: str, name: str, args: tuple, _call: Callable[[], Any]) -> Any:  # noqa: ARG001
    return _call()


def cached_model(
    build: Callable[..., T], *args: Any, unhashed: Mapping[str, Any] | None = None,
    spinner: str | None = None,
) -> T:
    """``build(conn, *args, **unhashed)`` (a fitted model) once per data version and ``args``,
    shared by sessions; ``unhashed`` as in ``cached_on_data``."""
    with _spinner(spinner):
        call = _read_with_connection(build, args, dict(unhashed or {}))
        return _model(data_key(), _name(build), args, call)
