"""The exceptions of the case-file layer (``models/``), one tree.

    KeukentafelError                 base: every error here has a user-facing ``message``
    ├── ValidationError              input breaks a rule; ``problems`` lists (field, message) pairs
    └── StoreError                   the encrypted local store
        ├── StoreNotFoundError       no store at that path (yet)
        ├── StoreExistsError         refusing to create a store over an existing one
        ├── LockedError              the store is locked; unlock first
        ├── WrongPassphraseError     unlock failed (wrong passphrase or PIN)
        ├── UnlockBackoffError       too many failed unlocks; ``retry_at`` says when to try again
        ├── KeyStoreUnavailableError the OS key store (keyring) cannot give the device secret
        ├── DamagedRecordError       a sealed value failed to open (tampered, moved, corrupt)
        ├── RecordNotFoundError      no record with that id
        └── StorageError             the device would not write the file (full, read-only, failing)

Messages are for the person at the screen: plain words, in the current language (``models.i18n``),
and never contain personal data (names, free text). Record ids are fine: they are random UUIDs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.i18n import _


class KeukentafelError(Exception):
    """Base of every error raised by ``models``. ``str(error)`` is the user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing to fix: ``field`` names the input (``"resident.name"``), ``message`` what to do."""

    field: str
    message: str


class ValidationError(KeukentafelError):
    """Input that breaks a rule. Nothing has been saved when this is raised."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        if not problems:
            raise ValueError("ValidationError needs at least one problem")
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        super().__init__(" ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls([FieldProblem(field, message)])

    def for_field(self, field: str) -> str | None:
        """The first message for ``field``, for showing next to that input."""
        return next((p.message for p in self.problems if p.field == field), None)


class StoreError(KeukentafelError):
    """Something about the encrypted local store."""


class StoreNotFoundError(StoreError):
    def __init__(self) -> None:
        super().__init__(_("There is no case file on this device yet. Set up the device first."))


class StoreExistsError(StoreError):
    def __init__(self) -> None:
        super().__init__(_("There is already a case file on this device. It was left untouched."))


class LockedError(StoreError):
    def __init__(self) -> None:
        super().__init__(_("The case file is locked. Unlock it first."))


class WrongPassphraseError(StoreError):
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        super().__init__(_("That passphrase or PIN is not right."))


class UnlockBackoffError(StoreError):
    def __init__(self, retry_at: datetime, failures: int) -> None:
        self.retry_at = retry_at
        self.failures = failures
        super().__init__(
            _("Too many wrong attempts. Try again after {time}.").format(
                time=retry_at.astimezone().strftime("%H:%M:%S")
            )
        )


class KeyStoreUnavailableError(StoreError):
    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(
            _(
                "The device key store cannot give the device secret, so the case file stays "
                "locked. Nothing was changed."
            )
        )


class DamagedRecordError(StoreError):
    """A sealed value did not open: tampered with, moved to another row or column, or corrupt."""

    def __init__(self, table: str, record_id: str, column: str) -> None:
        self.table = table
        self.record_id = record_id
        self.column = column
        super().__init__(
            _("Record {record} ({table}) is damaged and cannot be read.").format(
                record=record_id, table=table
            )
        )


class RecordNotFoundError(StoreError):
    def __init__(self, table: str, record_id: str) -> None:
        self.table = table
        self.record_id = record_id
        super().__init__(
            _("Record {record} ({table}) was not found.").format(record=record_id, table=table)
        )


class StorageProblem(StrEnum):
    FULL = "full"  # SQLITE_FULL: no room left on the device
    READ_ONLY = "read_only"  # SQLITE_READONLY: the file or folder may not be written
    FAILING = "failing"  # SQLITE_IOERR: the storage itself gave an error


class StorageError(StoreError):
    """The device would not write the store (``models.database`` turns SQLite's error into this).

    The transaction rolled back, so nothing of the change was saved and nothing is half-saved. The
    screens keep what was typed, so the same save can be tried again once there is room.
    """

    def __init__(self, problem: StorageProblem) -> None:
        self.problem = problem
        if problem is StorageProblem.FULL:
            advice = _(
                "This device is full. Make room, for example by deleting photos or apps you no "
                "longer use. Then try again."
            )
        elif problem is StorageProblem.READ_ONLY:
            advice = _(
                "This device does not allow the case file to be changed. Restart the app. If it "
                "happens again, ask your IT support."
            )
        else:
            advice = _(
                "The storage of this device gave an error. Restart the app. If it happens again, "
                "ask your IT support."
            )
        self.advice = advice  # what to do, for a screen whose title already says it failed
        failed = _("Saving did not work.")
        super().__init__(f"{failed} {advice}")
