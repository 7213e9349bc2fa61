"""Settings: changing the passphrase or PIN, and correcting an organisation's name (issue 3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import flet as ft
import keyring
import pytest
from keyring.backends import fail

from models import queries, signing
from models.crypto.backoff import FREE_ATTEMPTS
from models.errors import WrongPassphraseError
from models.profile import Profile, load_profile, save_profile
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, a_case_file, floor_kdf_params
from ui.viewmodels import first_run as fr
from ui.viewmodels.settings import CURRENT_PASSPHRASE, SettingsViewModel
from ui.views.common import TOUCH
from ui.views.settings import SettingsView

NEW = "een heel andere wachtzin"


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vm(store: CaseStore, clock: FakeClock) -> SettingsViewModel:
    model = SettingsViewModel(store, idle_lock=timedelta(minutes=5), clock=clock)
    model.load()
    return model


@pytest.fixture
def passphrase_only_store(tmp_path: Path) -> Iterator[CaseStore]:
    """A store on a device without an OS key store: only the passphrase protects it."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        s = CaseStore.create(tmp_path / "p.db", PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
        yield s
        s.close()
    finally:
        keyring.set_keyring(previous)


def fill(vm: SettingsViewModel, current: str, new: str, again: str | None = None) -> None:
    vm.current_passphrase, vm.new_passphrase = current, new
    vm.new_passphrase_again = new if again is None else again


def unlocks_with(store: CaseStore, passphrase: str) -> bool:
    store.lock()
    try:
        store.unlock(passphrase, now=NOW)
    except WrongPassphraseError:
        return False
    return True


# -- changing the passphrase ----------------------------------------------------------------


def test_a_changed_passphrase_unlocks_and_the_old_one_no_longer_does(
    vm: SettingsViewModel, store: CaseStore
) -> None:
    case_file = a_case_file()
    store.add_case_files([case_file], today=NOW.date(), now=NOW)
    fill(vm, PASSPHRASE, NEW)
    assert vm.change_passphrase()
    assert vm.passphrase_errors == {}
    assert vm.passphrase_message == ("Uw wachtzin is gewijzigd. Ontgrendel voortaan met de nieuwe.")
    # nothing typed stays in memory, and the open case file stays usable
    assert (vm.current_passphrase, vm.new_passphrase, vm.new_passphrase_again) == ("", "", "")
    assert not store.is_locked
    assert not unlocks_with(store, PASSPHRASE)
    assert unlocks_with(store, NEW)
    assert queries.case_file(store, case_file.case.id) == case_file


def test_with_a_device_secret_a_pin_is_allowed(vm: SettingsViewModel, store: CaseStore) -> None:
    assert vm.has_device_secret
    assert (
        vm.new_passphrase_help
        == "Een pincode van 4 tot 12 cijfers, of een wachtzin van minstens 8 tekens."
    )
    fill(vm, PASSPHRASE, "4821")
    assert vm.change_passphrase(), vm.passphrase_errors
    assert unlocks_with(store, "4821")


def test_without_a_device_secret_the_first_run_rules_refuse_a_pin(
    passphrase_only_store: CaseStore, clock: FakeClock
) -> None:
    vm = SettingsViewModel(passphrase_only_store, idle_lock=timedelta(minutes=5), clock=clock)
    assert not vm.has_device_secret
    assert vm.new_passphrase_help == fr.passphrase_help(has_device_secret=False)
    fill(vm, PASSPHRASE, "48214821")
    assert not vm.change_passphrase()
    # the same words the first-run screen shows for the same choice
    assert vm.passphrase_errors == fr.new_passphrase_errors(
        "48214821", "48214821", has_device_secret=False
    )
    assert "pincode is hier niet veilig" in vm.passphrase_errors[fr.PASSPHRASE]
    fill(vm, PASSPHRASE, "kort")
    assert not vm.change_passphrase()
    assert unlocks_with(passphrase_only_store, PASSPHRASE)
    fill(vm, PASSPHRASE, "")  # nothing typed: asked for, not told a PIN is unsafe
    assert not vm.change_passphrase()
    assert vm.passphrase_errors[fr.PASSPHRASE] == "Kies een wachtzin of pincode."
    fill(vm, PASSPHRASE, "twaalf tekens of meer")
    assert vm.change_passphrase(), vm.passphrase_errors
    assert unlocks_with(passphrase_only_store, "twaalf tekens of meer")


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "words"),
    [
        ("", NEW, NEW, CURRENT_PASSPHRASE, "Typ uw huidige wachtzin"),
        (PASSPHRASE, "abc", "abc", fr.PASSPHRASE, "pincode van 4 tot 12 cijfers"),
        (PASSPHRASE, NEW, NEW + "!", fr.PASSPHRASE_AGAIN, "niet hetzelfde"),
        (PASSPHRASE, PASSPHRASE, PASSPHRASE, fr.PASSPHRASE, "dezelfde als de huidige"),
    ],
    ids=["no-current", "too-short", "not-the-same-twice", "unchanged"],
)
def test_a_form_that_breaks_a_rule_changes_nothing_and_costs_no_attempt(
    vm: SettingsViewModel,
    store: CaseStore,
    current: str,
    new: str,
    again: str,
    field: str,
    words: str,
) -> None:
    fill(vm, current, new, again)
    assert not vm.validate_passphrase_change()
    assert words in vm.passphrase_errors[field]
    assert not vm.change_passphrase()
    assert words in vm.passphrase_errors[field] and vm.passphrase_message is None
    assert vm.current_passphrase == vm.new_passphrase == ""
    assert store.unlock_status(now=NOW).failures == 0
    assert unlocks_with(store, PASSPHRASE)


def test_a_wrong_current_passphrase_is_refused_and_counts_as_a_failed_unlock(
    vm: SettingsViewModel, store: CaseStore
) -> None:
    fill(vm, "niet de goede wachtzin", NEW)
    assert not vm.change_passphrase()
    assert vm.passphrase_errors == {
        CURRENT_PASSPHRASE: "Uw huidige wachtzin of pincode klopt niet. Er is niets gewijzigd."
    }
    assert vm.passphrase_message is None and vm.new_passphrase == ""
    assert store.unlock_status(now=NOW).failures == 1
    assert unlocks_with(store, PASSPHRASE) and not unlocks_with(store, NEW)


def test_guessing_the_current_passphrase_meets_the_unlock_back_off(
    vm: SettingsViewModel, store: CaseStore, clock: FakeClock
) -> None:
    for _attempt in range(FREE_ATTEMPTS):
        fill(vm, "niet de goede wachtzin", NEW)
        assert not vm.change_passphrase()
        assert fr.FORM not in vm.passphrase_errors  # the first tries are free
    fill(vm, "niet de goede wachtzin", NEW)
    assert not vm.change_passphrase()
    assert vm.passphrase_errors[fr.FORM].startswith(
        "Te vaak een verkeerde wachtzin. Probeer het opnieuw om"
    )
    # while the wait lasts even the right passphrase is refused, and nothing changes
    clock.now += timedelta(seconds=10)
    fill(vm, PASSPHRASE, NEW)
    assert not vm.change_passphrase()
    assert "Probeer het opnieuw om" in vm.passphrase_errors[fr.FORM]
    assert store.unlock_status(now=clock.now).retry_at is not None
    # after the wait, the right one works and the count starts again
    clock.now += timedelta(seconds=30)
    fill(vm, PASSPHRASE, NEW)
    assert vm.change_passphrase(), vm.passphrase_errors
    assert store.unlock_status(now=clock.now).failures == 0
    assert unlocks_with(store, NEW)


def test_a_new_try_clears_the_last_outcome(vm: SettingsViewModel) -> None:
    fill(vm, PASSPHRASE, NEW)
    assert vm.change_passphrase() and vm.passphrase_message
    fill(vm, NEW, "x")
    assert not vm.validate_passphrase_change()
    assert vm.passphrase_message is None


# -- organisations: correcting a name ---------------------------------------------------------


def test_renaming_keeps_the_id_the_place_and_the_switch(
    vm: SettingsViewModel, store: CaseStore
) -> None:
    save_profile(store, Profile("Sanne de Vries", "ggd", ""), now=NOW)
    vm.load()
    before = [(o.id, o.name, o.active) for o in vm.organisations]
    vm.set_active("ggd", False)
    assert vm.rename_organisation("ggd", "  GGD   Hart voor Brabant  (Oss) ")
    assert vm.rename_error is None
    after = [(o.id, o.name, o.active) for o in store.organisations(include_inactive=True)]
    assert [o[0] for o in after] == [o[0] for o in before]  # same ids, same order
    assert ("ggd", "GGD Hart voor Brabant (Oss)", False) in after
    assert [(o.id, o.name) for o in vm.organisations] == [(o[0], o[1]) for o in after]
    assert vm.organisation_name == "GGD Hart voor Brabant (Oss)"  # the profile follows the id
    assert sum(o.name == "GGD Hart voor Brabant" for o in vm.organisations) == 0


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("   ", "Vul de naam van de organisatie in"),
        ("x" * 201, "hoogstens 200 tekens"),
        ("ggd hart voor brabant", "staat al in de lijst"),
    ],
    ids=["empty", "too-long", "duplicate"],
)
def test_a_rename_that_breaks_a_rule_changes_nothing(
    vm: SettingsViewModel, store: CaseStore, name: str, words: str
) -> None:
    other = next(o for o in vm.organisations if o.id != "ggd")
    before = store.organisations(include_inactive=True)
    assert not vm.rename_organisation(other.id, name)
    assert vm.rename_error and words in vm.rename_error
    assert store.organisations(include_inactive=True) == before


def test_a_rename_may_keep_or_only_recase_its_own_name(
    vm: SettingsViewModel, store: CaseStore
) -> None:
    ggd = next(o for o in vm.organisations if o.id == "ggd")
    assert vm.rename_organisation("ggd", ggd.name)  # unchanged: fine, not a duplicate of itself
    assert vm.rename_organisation("ggd", ggd.name.upper())
    assert next(o for o in store.organisations() if o.id == "ggd").name == ggd.name.upper()
    assert vm.rename_organisation("ggd", "x" * 200) and vm.rename_error is None


def test_a_failed_rename_leaves_the_add_form_alone(vm: SettingsViewModel) -> None:
    assert not vm.rename_organisation("ggd", "")
    assert vm.rename_error and vm.organisation_error is None


# -- the view: named, 48 px controls; rename in place ---------------------------------------


def _walk(control: object) -> Iterator[object]:
    yield control
    for name in ("content", "controls"):
        child = getattr(control, name, None)
        if isinstance(child, list):
            for c in child:
                yield from _walk(c)
        elif isinstance(child, ft.Control):
            yield from _walk(child)
    suffix = getattr(control, "suffix_icon", None)
    if isinstance(suffix, ft.Control):
        yield from _walk(suffix)


def test_the_settings_view_names_every_new_control(vm: SettingsViewModel) -> None:
    view = SettingsView(vm)
    controls = list(_walk(view.control))
    labels = {c.label for c in controls if isinstance(c, ft.TextField)}
    assert {
        "Huidige wachtzin of pincode",
        "Nieuwe wachtzin of pincode",
        "Herhaal de nieuwe wachtzin of pincode",
    } <= labels
    buttons = [c for c in controls if isinstance(c, ft.IconButton)]
    names = {b.icon.semantics_label for b in buttons if isinstance(b.icon, ft.Icon)}
    assert "Naam wijzigen van GGD Hart voor Brabant" in names
    assert "Wachtzin tonen" in names
    assert all(b.width == b.height == TOUCH for b in buttons)
    assert all(c.height == TOUCH for c in controls if isinstance(c, (ft.OutlinedButton, ft.Switch)))

    view._start_rename("ggd")
    assert view.rename_field is not None and view.rename_field.value == "GGD Hart voor Brabant"
    view.rename_field.value = ""
    view._rename("ggd")
    assert view.rename_field.error == "Vul de naam van de organisatie in."
    view.rename_field.value = "GGD Brabant-Zuidoost"
    view._rename("ggd")
    assert view.editing is None and view.rename_field is None
    switches = [c for c in _walk(view.control) if isinstance(c, ft.Switch)]
    assert "GGD Brabant-Zuidoost" in {s.label for s in switches}


def test_the_details_of_who_uses_the_device_can_be_changed_and_witness_new_signatures(
    vm: SettingsViewModel, store: CaseStore
) -> None:
    assert vm.profile is None and vm.name_text == "—"  # e.g. a first run cut short
    assert vm.save_details("  ", "ggd", "x" * 201) == {
        "profile.name": "Vul uw naam in.",
        "profile.role": "Een functie mag hoogstens 200 tekens lang zijn.",
    }
    assert load_profile(store) is None  # nothing half-saved
    assert vm.save_details(" Sanne  de Vries ", "ggd", "wijkcoach") == {}
    assert load_profile(store) == Profile("Sanne de Vries", "ggd", "wijkcoach")
    assert (vm.name_text, vm.organisation_name) == ("Sanne de Vries", "GGD Hart voor Brabant")
    assert vm.save_details("Sanne de Vries", "no-such-organisation", "") == {}
    assert load_profile(store) == Profile("Sanne de Vries", None, "")
    witness = signing.device_witness(store)
    assert witness is not None and witness.name == "Sanne de Vries"


def test_the_details_form_in_the_settings_view(vm: SettingsViewModel, store: CaseStore) -> None:
    view = SettingsView(vm)
    view._start_details()
    assert view.name_field is not None and view.role_field is not None
    assert view.organisation_field is not None
    view.name_field.value = ""
    view._save_details()
    assert view.name_field.error == "Vul uw naam in." and view.editing_details
    view.name_field.value = "Daan Verhoeven"
    view.organisation_field.value = "ggd"
    view.role_field.value = "wijkverpleegkundige"
    view._save_details()
    assert not view.editing_details and view.name_field is None
    assert load_profile(store) == Profile("Daan Verhoeven", "ggd", "wijkverpleegkundige")
    texts = [c.value for c in _walk(view.control) if isinstance(c, ft.Text)]
    assert "Daan Verhoeven" in texts and "wijkverpleegkundige" in texts
