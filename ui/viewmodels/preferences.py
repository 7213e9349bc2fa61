"""Device preferences (language, auto-lock time), kept in the store's plaintext ``store_meta``.

Neither is personal data, and both are needed before the store is unlocked (the unlock screen's
language, the idle timer), so they stay plaintext beside the store id. Keys start with ``pref.``.
Read and written through the file alone (``models.store_file``): the app reads them at its start.
"""

from __future__ import annotations

from datetime import timedelta

from models.i18n import LANGUAGES
from models.store_file import StoreFile
from ui.viewmodels.session import MIN_IDLE_LOCK

LANGUAGE_KEY = "pref.language"
IDLE_LOCK_KEY = "pref.autolock_seconds"


def stored_language(file: StoreFile) -> str | None:
    value = file.meta(LANGUAGE_KEY)
    return value if value in LANGUAGES else None


def save_language(file: StoreFile, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    file.set_meta(LANGUAGE_KEY, language)


def stored_idle_lock(file: StoreFile) -> timedelta | None:
    value = file.meta(IDLE_LOCK_KEY)
    if value is None or not value.isdigit():
        return None
    return max(timedelta(seconds=int(value)), MIN_IDLE_LOCK)


def save_idle_lock(file: StoreFile, timeout: timedelta) -> None:
    file.set_meta(IDLE_LOCK_KEY, str(int(max(timeout, MIN_IDLE_LOCK).total_seconds())))
