"""Unlock: the passphrase, a wrong-passphrase message, and the back-off made visible."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.calendar import AMSTERDAM
from models.errors import (
    DamagedRecordError,
    KeyStoreUnavailableError,
    UnlockBackoffError,
    WrongPassphraseError,
)
from models.i18n import _
from models.store_file import StoreFile
from ui.viewmodels.session import Clock


def clock_time(moment: datetime) -> str:
    """HH:MM:SS on the wall clock of the people at the table (Amsterdam)."""
    return moment.astimezone(AMSTERDAM).strftime("%H:%M:%S")


def retry_text(retry_at: datetime) -> str:
    """What the back-off after wrong passphrases says (unlock and changing the passphrase)."""
    return _("Too many wrong attempts. Try again at {time}.").format(time=clock_time(retry_at))


@dataclass
class UnlockViewModel:
    file: StoreFile  # the store's file: unlocking needs no more (models.store_file)
    clock: Clock
    passphrase: str = ""
    error: str | None = None
    retry_at: datetime | None = None
    busy: bool = False
    failures: int = field(default=0)

    def refresh(self) -> None:
        """Read the persisted back-off: after a restart the wait still shows."""
        status = self.file.unlock_status(now=self.clock())
        self.retry_at = status.retry_at
        self.failures = status.failures

    @property
    def waiting(self) -> bool:
        return self.retry_at is not None and self.retry_at > self.clock()

    @property
    def retry_message(self) -> str | None:
        if not self.waiting or self.retry_at is None:
            return None
        return retry_text(self.retry_at)

    def unlock(self) -> bool:
        """Try the passphrase. Slow (key derivation): run it off the UI loop. True when unlocked."""
        self.error = None
        passphrase, self.passphrase = self.passphrase, ""
        if not passphrase:
            self.error = _("Type your passphrase or PIN.")
            return False
        try:
            self.file.unlock(passphrase, now=self.clock())
        except WrongPassphraseError as error:
            self.error = error.message
        except UnlockBackoffError:
            pass  # shown by retry_message
        except (KeyStoreUnavailableError, DamagedRecordError) as error:
            self.error = error.message
        else:
            self.retry_at = None
            self.failures = 0
            return True
        self.refresh()
        return False
