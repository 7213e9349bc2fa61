"""The store's file opened with ``sqlite3`` alone: its keys, unlocking, and plaintext settings.

Why a second way into the same file: the app's first two screens (unlock, My cases) need only
this, and importing SQLAlchemy, SQLModel and the store's tables before them made the app's start
about a fifth slower (``bench/app_startup.py``, README "Start-up"). ``CaseStore``
(``models/store.py``) is built on a ``StoreFile``: the data key, the lock state and the back-off
after failed unlocks live here only, so there is one implementation of unlocking, and the app can
hand an unlocked file to a ``CaseStore`` later without deriving the key again.

- ``StoreFile.open(path)`` opens the file only when its schema is at the newest revision this code
  knows (the migration files' names; ``tests/integration/models/test_migrations.py`` holds them to
  Alembic's head). Otherwise it returns ``None`` and the caller takes ``CaseStore.open``, which
  migrates.
- The connection has the store's pragmas (``apply_pragmas``: WAL, ``synchronous=FULL``, ...), runs
  in autocommit (one statement is one transaction; ``change_passphrase`` takes an explicit one) and
  is guarded by a lock: the app unlocks and reads My cases off its UI thread.
- Times are stored as SQLAlchemy stores them in SQLite (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC), so
  both ways into the file read each other's writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from models.crypto import backoff, device_secret, kdf, keywrap
from models.crypto.sealing import DataKey, Sealer
from models.errors import (
    DamagedRecordError,
    LockedError,
    StorageError,
    StorageProblem,
    StoreNotFoundError,
    WrongPassphraseError,
)

log = logging.getLogger(__name__)

VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"
_ACCOUNT_ROW_ID = 1  # models.sync_state keeps one row in sync_account
TEAM_LEAD_ROLE = "team_lead"  # the server's Role.TEAM_LEAD (models.team_cache, ui session)


def apply_pragmas(conn: sqlite3.Connection) -> None:
    """The store's connection settings; SQLAlchemy's engine applies them too (models.database).

    - WAL journal with ``synchronous=FULL``: with NORMAL a commit may roll back after power loss,
      and a professional must never lose a meeting because the tablet's battery died.
    - ``foreign_keys=ON``: SQLite leaves them off unless asked, per connection.
    - Autocommit at the driver (``isolation_level=None``): Python's sqlite3 only opens a
      transaction before INSERT/UPDATE/DELETE, so reads and DDL would run outside it. Transactions
      are begun explicitly instead (SQLAlchemy's documented pysqlite recipe, models.database).
    """
    conn.isolation_level = None
    cursor = conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # 16 MiB page cache (default 2 MiB): the "my cases" query reads every case row, and re-reading
    # pages from the OS on each refresh made the list twice as slow at 10,000 cases.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


# SQLite's primary result codes (an extended code carries one in its low byte).
_STORAGE_PROBLEMS = {
    sqlite3.SQLITE_FULL: StorageProblem.FULL,
    sqlite3.SQLITE_READONLY: StorageProblem.READ_ONLY,
    sqlite3.SQLITE_IOERR: StorageProblem.FAILING,
}


def storage_error(error: BaseException) -> StorageError | None:
    """A write the device refused (storage full, read-only, an I/O error) as ``StorageError``,
    with a message for the person at the screen; ``None`` for any other error."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(error, sqlite3.Error) and isinstance(code, int):
        problem = _STORAGE_PROBLEMS.get(code & 0xFF)
        if problem is not None:
            return StorageError(problem)
    return None


@contextmanager
def _refused_as_storage_error() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        refused = storage_error(error)
        if refused is None:
            raise
        raise refused from None


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on an autocommit connection, holding the write lock from its start."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # an I/O error may have rolled it back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def newest_revision_file() -> str:
    """The newest revision from the file names alone: ``0011_outbox_autoincrement.py`` is "0011".

    Cheap enough for every start; ``tests/integration/models/test_migrations.py`` checks that it
    agrees with Alembic's head and that every file's revision id is its prefix.
    """
    prefixes = [p.name[:4] for p in VERSIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")]
    assert prefixes, "no migrations found"
    return max(prefixes)


def stored_revision(conn: sqlite3.Connection) -> str | None:
    """The revision the file's schema is at (``None`` for an empty file)."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if has_table is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _stored_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _time_to_store(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def read_failures(conn: sqlite3.Connection) -> tuple[int, datetime | None]:
    """The failed unlock attempts in a row, and when the last one was (for the back-off)."""
    row = conn.execute("SELECT failures, last_failure_at FROM unlock_state WHERE id = 1").fetchone()
    if row is None:
        return 0, None
    return int(row[0]), _stored_time(row[1])


def write_failures(conn: sqlite3.Connection, failures: int, at: datetime | None) -> None:
    with _refused_as_storage_error():
        conn.execute(
            "UPDATE unlock_state SET failures = ?, last_failure_at = ?",
            (failures, _time_to_store(at)),
        )


def requires_device_secret(conn: sqlite3.Connection) -> bool:
    """Whether the current key envelope needs the device secret from the OS key store."""
    row = conn.execute(
        "SELECT device_secret_required FROM key_envelopes WHERE is_current"
    ).fetchone()
    if row is None:
        raise DamagedRecordError("key_envelopes", "current", "is_current")
    return bool(row[0])


Envelope = tuple[str, bytes, str, bool, bool]  # key id, wrapped key, KDF params, secret?, current?


def read_envelopes(conn: sqlite3.Connection) -> list[Envelope]:
    """The wrapped data keys with what unwrapping them needs (never a key itself)."""
    rows = conn.execute(
        "SELECT key_id, wrapped_key, kdf_params, device_secret_required, is_current "
        "FROM key_envelopes ORDER BY key_id"
    ).fetchall()
    return [(key_id, wrapped, params, bool(s), bool(c)) for key_id, wrapped, params, s, c in rows]


def unwrap_keys(
    envelopes: list[Envelope], store_id: str, passphrase: str
) -> list[tuple[DataKey, bool]]:
    """Every data key with whether it is the current one; ``WrongPassphraseError``. Slow (the key
    derivation) and without I/O but the OS key store: run it outside the connection's lock."""
    secret: bytes | None = None
    if any(e[3] for e in envelopes):
        secret = device_secret.load_device_secret(store_id)
    keys: list[tuple[DataKey, bool]] = []
    keks: dict[tuple[str, bool], bytes] = {}
    for key_id, wrapped, kdf_params, secret_required, is_current in envelopes:
        cache_key = (kdf_params, secret_required)
        if cache_key not in keks:
            try:
                params = kdf.KdfParams.from_json(kdf_params)
            except ValueError:  # tampered or corrupt: refuse rather than derive weakly
                raise DamagedRecordError("key_envelopes", key_id, "kdf_params") from None
            used_secret = secret if secret_required else None
            keks[cache_key] = keywrap.combine(kdf.derive(passphrase, params), used_secret)
        keys.append((keywrap.unwrap(keks[cache_key], wrapped, store_id=store_id), is_current))
    return keys


def account_role(conn: sqlite3.Connection) -> str | None:
    """The enrolled account's role as the server gave it (plaintext); None when not enrolled."""
    row = conn.execute("SELECT role FROM sync_account WHERE id = ?", (_ACCOUNT_ROW_ID,)).fetchone()
    return None if row is None or row[0] is None else str(row[0])


@dataclass(frozen=True, slots=True)
class UnlockStatus:
    failures: int
    retry_at: datetime | None  # None: an attempt is allowed now


class StoreFile:
    """The store's file, its data key and lock state. Construct with ``open``."""

    def __init__(self, path: Path, conn: sqlite3.Connection, store_id: str) -> None:
        self.path = path
        self.store_id = store_id
        self._conn = conn
        self._guard = threading.RLock()
        self._sealer: Sealer | None = None

    def __repr__(self) -> str:
        state = "locked" if self.is_locked else "unlocked"
        return f"<StoreFile {self.store_id} {state}>"

    @classmethod
    def open(cls, path: Path) -> StoreFile | None:
        """The file, locked; ``None`` when its schema is not the newest (``CaseStore.open``
        migrates it). Raises ``StoreNotFoundError`` when there is no store at ``path``."""
        if not path.is_file():
            raise StoreNotFoundError()
        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            apply_pragmas(conn)
            if stored_revision(conn) != newest_revision_file():
                conn.close()
                return None
            row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
        except BaseException:
            conn.close()
            raise
        if row is None:
            conn.close()
            raise StoreNotFoundError()
        return cls(path, conn, str(row[0]))

    def close(self) -> None:
        self.lock()
        with self._guard:
            self._conn.close()

    # -- the key ------------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self._sealer is None

    @property
    def sealer(self) -> Sealer:
        sealer = self._sealer
        if sealer is None:
            raise LockedError()
        return sealer

    def adopt(self, sealer: Sealer) -> None:
        """Hold ``sealer`` as this file's key (a store just made knows its key without a KDF)."""
        self._sealer = sealer

    def unlock_status(self, *, now: datetime) -> UnlockStatus:
        with self._guard:
            failures, last = read_failures(self._conn)
        retry_at = backoff.unlock_allowed_at(failures, last)
        return UnlockStatus(failures, retry_at if retry_at and retry_at > now else None)

    def unlock(self, passphrase: str, *, now: datetime) -> None:
        """Unwrap the data key; a wrong passphrase counts towards the back-off, kept on disk.

        The key derivation runs outside the connection's lock: a screen that reads a preference
        meanwhile does not wait for it."""
        failures, envelopes = self._allowed_attempt(now)
        keys = self._unwrap_counted(envelopes, passphrase, failures, now)
        if failures:
            with self._guard:
                write_failures(self._conn, 0, None)
        current = next(k for k, is_current in keys if is_current)
        self._sealer = Sealer({k.key_id: k for k, _ in keys}, current=current.key_id)

    def lock(self) -> None:
        sealer, self._sealer = self._sealer, None
        if sealer is not None:
            sealer.wipe()

    @property
    def passphrase_only(self) -> bool:
        """True when only the passphrase protects the key (no OS key store): warn the user."""
        with self._guard:
            return not requires_device_secret(self._conn)

    def change_passphrase(self, old: str, new: str, *, now: datetime) -> None:
        """Re-wrap every data key under ``new``. Counts as an unlock attempt with ``old``."""
        failures, envelopes = self._allowed_attempt(now)
        with self._guard:
            requires_secret = requires_device_secret(self._conn)
        keywrap.check_passphrase(new, has_device_secret=requires_secret)
        keys = self._unwrap_counted(envelopes, old, failures, now)
        secret = device_secret.load_device_secret(self.store_id) if requires_secret else None
        params = kdf.default_params()
        kek = keywrap.combine(kdf.derive(new, params), secret)
        rewrapped = [
            (keywrap.wrap(kek, key, store_id=self.store_id), params.to_json(), key.key_id.hex())
            for key, _ in keys
        ]
        with self._guard, _refused_as_storage_error(), _transaction(self._conn):
            self._conn.executemany(
                "UPDATE key_envelopes SET wrapped_key = ?, kdf_params = ? WHERE key_id = ?",
                rewrapped,
            )
            write_failures(self._conn, 0, None)

    def _allowed_attempt(self, now: datetime) -> tuple[int, list[Envelope]]:
        """The failures so far and the key envelopes; ``UnlockBackoffError`` while backing off."""
        with self._guard:
            failures, last = read_failures(self._conn)
            backoff.check_unlock_allowed(failures, last, now)
            return failures, read_envelopes(self._conn)

    def _unwrap_counted(
        self, envelopes: list[Envelope], passphrase: str, failures: int, now: datetime
    ) -> list[tuple[DataKey, bool]]:
        """The keys, derived outside the lock; a wrong passphrase is one more failure, on disk."""
        try:
            return unwrap_keys(envelopes, self.store_id, passphrase)
        except WrongPassphraseError:
            with self._guard:
                write_failures(self._conn, failures + 1, now)
            log.info("unlock refused (failure %d)", failures + 1)
            raise WrongPassphraseError(failures + 1) from None

    # -- reads that need no SQLAlchemy ----------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[tuple[sqlite3.Connection, Sealer]]:
        """The connection (held for this thread) and the sealer; raises ``LockedError``."""
        sealer = self.sealer
        with self._guard:
            yield self._conn, sealer

    @contextmanager
    def snapshot(self) -> Iterator[tuple[sqlite3.Connection, Sealer]]:
        """Like ``reading``, inside one read transaction: several queries see one state of the
        store (a report of two parts). Cheaper than a SQLAlchemy connection's pool check-out,
        begin and reset, which cost a report over thousands of rows about half a millisecond."""
        with self.reading() as (conn, sealer):
            conn.execute("BEGIN")
            try:
                yield conn, sealer
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")  # nothing was written: the same as a rollback

    def meta(self, key: str) -> str | None:
        """A plaintext fact about the store (``store_meta``), readable while locked."""
        with self._guard:
            row = self._conn.execute(
                "SELECT value FROM store_meta WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._guard, _refused_as_storage_error():
            self._conn.execute(
                "INSERT INTO store_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def account_role(self) -> str | None:
        """The enrolled account's role (``account_role``), readable while locked."""
        with self._guard:
            return account_role(self._conn)
