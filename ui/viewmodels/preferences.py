"""Device preferences (language, auto-lock time), kept in the store's plaintext ``store_meta``.

Neither is personal data, and both are needed before the store is unlocked (the unlock screen's
language, the idle timer), so they stay plaintext beside the store id. Keys start with ``pref.``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.i18n import LANGUAGES
from models.store import META, CaseStore
from ui.viewmodels.session import MIN_IDLE_LOCK

LANGUAGE_KEY = "pref.language"
IDLE_LOCK_KEY = "pref.autolock_seconds"


def _get(store: CaseStore, key: str) -> str | None:
    with store.engine.connect() as conn:
        value: str | None = conn.execute(select(META.c.value).where(META.c.key == key)).scalar()
    return value


def _put(store: CaseStore, key: str, value: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sqlite_insert(META)
            .values(key=key, value=value)
            .on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )


def stored_language(store: CaseStore) -> str | None:
    value = _get(store, LANGUAGE_KEY)
    return value if value in LANGUAGES else None


def save_language(store: CaseStore, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    _put(store, LANGUAGE_KEY, language)


def stored_idle_lock(store: CaseStore) -> timedelta | None:
    value = _get(store, IDLE_LOCK_KEY)
    if value is None or not value.isdigit():
        return None
    return max(timedelta(seconds=int(value)), MIN_IDLE_LOCK)


def save_idle_lock(store: CaseStore, timeout: timedelta) -> None:
    _put(store, IDLE_LOCK_KEY, str(int(max(timeout, MIN_IDLE_LOCK).total_seconds())))
