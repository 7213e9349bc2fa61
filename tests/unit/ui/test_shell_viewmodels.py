"""View-models of the app shell: session and idle lock, first run, unlock, my cases, settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from models import queries
from models.deadlines import Deadline, DeadlineState
from models.domain import CaseStage
from models.profile import Profile, load_profile
from models.queries import CaseSummary
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring
from ui.viewmodels import first_run as fr
from ui.viewmodels.cases import (
    PAGE_SIZE,
    BadgeKind,
    CaseFilter,
    CasesViewModel,
    badges_for,
    row_for,
)
from ui.viewmodels.session import (
    DEFAULT_IDLE_LOCK,
    AppSession,
    IdleTimer,
    Screen,
    idle_lock_from_env,
)
from ui.viewmodels.settings import SettingsViewModel
from ui.viewmodels.unlock import UnlockViewModel, clock_time


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- session and idle lock ------------------------------------------------------------------


def test_idle_timer_counts_from_the_last_touch(clock: FakeClock) -> None:
    timer = IdleTimer(timedelta(minutes=5), clock)
    clock.advance(minutes=4)
    assert not timer.expired() and timer.remaining() == timedelta(minutes=1)
    timer.touch()
    clock.advance(minutes=4, seconds=59)
    assert not timer.expired()
    clock.advance(seconds=1)
    assert timer.expired() and timer.remaining() == timedelta(0)


def test_idle_lock_setting() -> None:
    assert idle_lock_from_env({}) == DEFAULT_IDLE_LOCK == timedelta(minutes=5)
    assert idle_lock_from_env({"KEUKENTAFEL_AUTOLOCK_SECONDS": "120"}) == timedelta(minutes=2)
    assert idle_lock_from_env({"KEUKENTAFEL_AUTOLOCK_SECONDS": "1"}) == timedelta(seconds=5)
    assert idle_lock_from_env({"KEUKENTAFEL_AUTOLOCK_SECONDS": "soon"}) == DEFAULT_IDLE_LOCK


def test_screens_follow_the_store(tmp_path: Path, store: CaseStore, clock: FakeClock) -> None:
    session = AppSession(tmp_path / "none.db", clock=clock)
    session.start()
    assert session.screen is Screen.FIRST_RUN
    session.go(Screen.SETTINGS)  # no way round the set-up
    assert session.screen is Screen.FIRST_RUN
    session.created(store)
    assert session.screen is Screen.CASES
    session.go(Screen.SETTINGS)
    assert session.screen is Screen.SETTINGS
    session.go(Screen.UNLOCK)  # not a destination: ignored
    assert session.screen is Screen.SETTINGS
    session.lock()
    assert store.is_locked and session.screen is Screen.UNLOCK
    store.unlock(PASSPHRASE, now=NOW)
    session.unlocked()
    assert session.screen is Screen.CASES


def test_an_existing_store_opens_locked(tmp_path: Path, store: CaseStore, clock: FakeClock) -> None:
    store.close()
    session = AppSession(store.path, clock=clock)
    session.start()
    assert session.screen is Screen.UNLOCK
    session.close()
    assert session.store is None


def test_the_session_unlocks_the_file_and_builds_the_store_on_it_later(
    store: CaseStore, clock: FakeClock
) -> None:
    """Unlock and My cases work on the file alone; the whole store comes when asked for, shares
    the key (no second unlock) and the lock."""
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    store.close()
    session = AppSession(store.path, clock=clock)
    session.start()
    assert session.file is not None and not session.store_loaded
    unlock = UnlockViewModel(session.file, clock)
    unlock.passphrase = PASSPHRASE
    assert unlock.unlock()
    session.unlocked()
    assert session.screen is Screen.CASES and not session.store_loaded
    built = session.store
    assert built is not None and session.store_loaded and session.store is built
    assert built.file is session.file and not built.is_locked
    assert queries.case_file(built, f.case.id).case == f.case
    session.lock()
    assert built.is_locked and session.screen is Screen.UNLOCK
    session.close()
    assert session.store is None and session.file is None
    assert session.screen is Screen.FIRST_RUN


def test_auto_lock_after_idle_time(store: CaseStore, clock: FakeClock, tmp_path: Path) -> None:
    session = AppSession(tmp_path / "x.db", clock=clock, idle_lock=timedelta(minutes=5))
    session.created(store)
    clock.advance(minutes=4)
    assert not session.lock_if_idle()
    session.touch()  # activity postpones the lock
    clock.advance(minutes=4)
    assert not session.lock_if_idle() and not store.is_locked
    clock.advance(minutes=1)
    assert session.lock_if_idle()
    assert store.is_locked and session.screen is Screen.UNLOCK
    assert not session.lock_if_idle()  # already locked: nothing to do


# -- first run ------------------------------------------------------------------------------


def first_run(tmp_path: Path, clock: FakeClock, *, key_store: bool) -> fr.FirstRunViewModel:
    vm = fr.FirstRunViewModel(
        tmp_path / "new" / "k.db",
        clock,
        key_store_available=key_store,
        kdf_params=floor_kdf_params(),
    )
    vm.name, vm.organisation_id, vm.role = "Sanne de Vries", "ggd", "wijkverpleegkundige"
    return vm


def test_without_key_store_warns_and_refuses_a_pin(tmp_path: Path, clock: FakeClock) -> None:
    vm = first_run(tmp_path, clock, key_store=False)
    assert vm.key_store_warning and "pincode" in vm.key_store_warning
    vm.passphrase = vm.passphrase_again = "1234"
    assert vm.create() is None
    assert vm.errors[fr.PASSPHRASE]
    assert not vm.path.exists()


def test_with_key_store_no_warning(tmp_path: Path, clock: FakeClock) -> None:
    vm = first_run(tmp_path, clock, key_store=True)
    assert vm.key_store_warning is None
    vm.passphrase = vm.passphrase_again = "1234"
    assert vm.validate()


def test_first_run_checks_every_field(tmp_path: Path, clock: FakeClock) -> None:
    vm = first_run(tmp_path, clock, key_store=False)
    vm.name = " "
    vm.passphrase, vm.passphrase_again = PASSPHRASE, PASSPHRASE + "x"
    assert not vm.validate()
    assert set(vm.errors) == {fr.NAME, fr.PASSPHRASE_AGAIN}


def test_first_run_creates_the_store_and_saves_the_profile(
    tmp_path: Path, clock: FakeClock, memory_keyring: MemoryKeyring
) -> None:
    vm = first_run(tmp_path, clock, key_store=False)
    vm.passphrase = vm.passphrase_again = PASSPHRASE
    store = vm.create()
    assert store is not None and not store.is_locked
    try:
        assert load_profile(store) == Profile("Sanne de Vries", "ggd", "wijkverpleegkundige")
        assert vm.passphrase == vm.passphrase_again == ""  # not kept in memory
        again = first_run(tmp_path, clock, key_store=False)
        again.passphrase = again.passphrase_again = PASSPHRASE
        assert again.create() is None and again.errors[fr.FORM]  # never over an existing store
    finally:
        store.close()


# -- unlock ---------------------------------------------------------------------------------


def test_unlock_wrong_then_back_off_then_right(store: CaseStore, clock: FakeClock) -> None:
    store.lock()
    vm = UnlockViewModel(store.file, clock)
    vm.refresh()
    assert vm.retry_message is None
    vm.passphrase = ""
    assert not vm.unlock() and vm.error
    for _ in range(4):  # three free tries; the fourth failure starts a 30 s wait
        vm.passphrase = "not the passphrase"
        assert not vm.unlock()
        assert vm.error == "Die wachtzin of pincode klopt niet."
    assert vm.waiting and vm.retry_at is not None
    assert (
        vm.retry_message
        == f"Te vaak een verkeerde wachtzin. Probeer het opnieuw om {clock_time(vm.retry_at)}."
    )
    vm.passphrase = PASSPHRASE  # right, but too early: refused without a try
    assert not vm.unlock() and store.is_locked
    clock.advance(seconds=31)
    assert not vm.waiting and vm.retry_message is None
    vm.passphrase = PASSPHRASE
    assert vm.unlock() and not store.is_locked
    assert vm.passphrase == "" and vm.failures == 0


def test_clock_time_is_amsterdam_wall_clock() -> None:
    assert clock_time(datetime.fromisoformat("2026-11-24T09:30:05+00:00")) == "10:30:05"


def test_unlock_names_a_missing_key_store(
    tmp_path: Path, memory_keyring: MemoryKeyring, clock: FakeClock
) -> None:
    store = CaseStore.create(tmp_path / "d.db", "1234", now=NOW, kdf_params=floor_kdf_params())
    store.lock()
    MemoryKeyring.entries.clear()  # the device secret is gone
    vm = UnlockViewModel(store.file, clock)
    vm.passphrase = "1234"
    try:
        assert not vm.unlock()
        assert vm.error and "sleutel" in vm.error.lower()
    finally:
        store.close()


# -- my cases -------------------------------------------------------------------------------


def summary(
    stage: CaseStage, meeting: Deadline, overdue: int = 0, name: str | None = "Ada"
) -> CaseSummary:
    return CaseSummary(
        case_id="c",
        resident_name=name,
        contact_date=TODAY,
        stage=stage,
        meeting=meeting,
        open_agreements=overdue,
        overdue_agreements=overdue,
        next_agreement=None,
        damaged=name is None,
    )


def test_badges() -> None:
    late = Deadline(TODAY, DeadlineState.OVERDUE, -3)
    soon = Deadline(TODAY, DeadlineState.DUE_SOON, 2)
    today = Deadline(TODAY, DeadlineState.DUE_SOON, 0)
    met = Deadline(TODAY, DeadlineState.MET, 1)
    assert [b.text for b in badges_for(summary(CaseStage.CONTACT, late))] == ["MDO 3 dagen te laat"]
    assert badges_for(summary(CaseStage.CONTACT, late))[0].kind is BadgeKind.DANGER
    assert [(b.text, b.kind) for b in badges_for(summary(CaseStage.CONTACT, soon))] == [
        ("MDO: nog 2 dagen", BadgeKind.WARNING)
    ]
    assert badges_for(summary(CaseStage.CONTACT, today))[0].text == "MDO: uiterlijk vandaag"
    assert [b.text for b in badges_for(summary(CaseStage.AGREEMENTS_RUNNING, met, 1))] == [
        "1 afspraak te laat"
    ]
    assert badges_for(summary(CaseStage.CLOSED, met)) == ()


def test_a_damaged_row_shows_without_a_name() -> None:
    row = row_for(summary(CaseStage.CONTACT, Deadline(TODAY, DeadlineState.ON_TRACK, 9), name=None))
    assert row.title == "(beschadigd dossier)" and row.damaged
    assert "Eerste contact" in row.subtitle and row.title in row.label


def test_cases_list_search_and_filters(store: CaseStore) -> None:
    files = [a_case_file(name=n) for n in ("Anna Jansen", "Bram de Boer", "Cor Jansma")]
    store.add_case_files(files, today=TODAY, now=NOW)
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    assert vm.total == 3 and len(vm.rows) == 3 and vm.count_text == "3 casussen"
    vm.set_search("  jans ")
    assert sorted(r.title for r in vm.rows) == ["Anna Jansen", "Cor Jansma"]
    vm.set_search("xyz")
    assert (
        vm.rows == []
        and vm.empty_message == "Geen casussen gevonden met deze zoekterm of dit filter."
    )
    vm.set_search("")
    vm.set_filter(CaseFilter.CLOSED)
    assert vm.rows == []
    assert vm.filter_label(CaseFilter.WAITING_FOR_MDO) == "Wacht op MDO"


def test_the_list_draws_a_page_at_a_time_and_search_sees_every_case(store: CaseStore) -> None:
    names = [f"Bewoner {n:03d}" for n in range(2 * PAGE_SIZE + 9)] + ["Zeldzame Naam"]
    store.add_case_files([a_case_file(name=n) for n in names], today=TODAY, now=NOW)
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    assert vm.count_text == f"{len(names)} casussen"  # the count is of every matching case
    assert len(vm.visible_rows) == PAGE_SIZE and vm.visible_rows == vm.rows[:PAGE_SIZE]
    assert vm.hidden == PAGE_SIZE + 10 and vm.more_text == f"Nog {PAGE_SIZE} casussen tonen"
    added = vm.show_more()  # the next page only: the list adds these after the ones it shows
    assert (
        added == vm.rows[PAGE_SIZE : 2 * PAGE_SIZE] and vm.visible_rows == vm.rows[: 2 * PAGE_SIZE]
    )
    assert vm.hidden == 10 and vm.more_text == "Nog 10 casussen tonen"
    assert vm.show_more() == vm.rows[2 * PAGE_SIZE :]
    assert vm.visible_rows == vm.rows and vm.hidden == 0 and vm.more_text is None
    assert vm.show_more() == [] and vm.visible_rows == vm.rows
    vm.set_search("zeldzame")  # found even when it was not drawn; the page starts again
    assert [r.title for r in vm.visible_rows] == ["Zeldzame Naam"] and vm.shown == PAGE_SIZE


def test_empty_store_says_so(store: CaseStore) -> None:
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    assert vm.rows == [] and vm.empty_message and "Nog geen casussen" in vm.empty_message


# -- settings -------------------------------------------------------------------------------


def test_settings_show_the_profile(store: CaseStore) -> None:
    from models.profile import save_profile

    save_profile(store, Profile("Sanne", "ggd", ""), now=NOW)
    vm = SettingsViewModel(store, idle_lock=timedelta(minutes=5))
    vm.load()
    assert (vm.name_text, vm.organisation_name, vm.role_text) == (
        "Sanne",
        "GGD Hart voor Brabant",
        "—",
    )
    assert vm.idle_lock_text == "5 minuten"
    assert SettingsViewModel(store, idle_lock=timedelta(seconds=90)).idle_lock_text == "90 seconden"
