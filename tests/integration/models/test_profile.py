"""The device user's profile: sealed on disk, bound to its row, validated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, update

from models.errors import DamagedRecordError, LockedError, ValidationError
from models.profile import PROFILE, Profile, load_profile, save_profile
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, canary


def test_a_new_store_has_no_profile(store: CaseStore) -> None:
    assert load_profile(store) is None


def test_profile_round_trips_and_is_sealed_on_disk(store: CaseStore, store_path: Path) -> None:
    name = canary("profile-name")
    profile = Profile(name=name, organisation_id="ggd", role="wijkverpleegkundige")
    save_profile(store, profile, now=NOW)
    assert load_profile(store) == profile
    store.close()
    assert name.encode() not in store_path.read_bytes()
    reopened = CaseStore.open(store_path)
    reopened.unlock(PASSPHRASE, now=NOW)
    try:
        assert load_profile(reopened) == profile
        save_profile(reopened, replace(profile, role=""), now=NOW)  # saving again updates
        assert load_profile(reopened) == replace(profile, role="")
    finally:
        reopened.close()


def test_profile_needs_a_name(store: CaseStore) -> None:
    with pytest.raises(ValidationError) as caught:
        save_profile(store, Profile(name="  "), now=NOW)
    assert caught.value.for_field("profile.name")
    with pytest.raises(ValidationError) as caught:
        save_profile(store, Profile(name="Ada", role="x" * 201), now=NOW)
    assert caught.value.for_field("profile.role")


def test_profile_needs_an_unlocked_store(store: CaseStore) -> None:
    store.lock()
    with pytest.raises(LockedError):
        save_profile(store, Profile(name="Ada"), now=NOW)
    with pytest.raises(LockedError):
        load_profile(store)


def test_a_moved_ciphertext_does_not_open(store: CaseStore) -> None:
    save_profile(store, Profile(name="Ada", role="buurtwerker"), now=NOW)
    with store.engine.begin() as conn:
        role = conn.execute(select(PROFILE.c.role)).scalar_one()
        conn.execute(update(PROFILE).values(name=role))
    with pytest.raises(DamagedRecordError):
        load_profile(store)
