"""The screens say they are busy while they work: "Unlocking…" and "Opening the cases…" (#3).

The work is slow on purpose (key derivation) or for large stores (reading every case), and runs
off the UI loop; each test looks at the screen *while* that work runs, from inside it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from models.i18n import _
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params
from tests.support.flet_controls import texts_under
from tests.support.memory_keyring import MemoryKeyring
from ui.viewmodels.cases import CasesViewModel
from ui.viewmodels.unlock import UnlockViewModel
from ui.views import unlock as unlock_view
from ui.views.cases import CasesView
from ui.views.unlock import UnlockView


def _shown(control: Any) -> bool:
    return bool(control.visible)


@pytest.fixture
def locked(tmp_path: Path, memory_keyring: MemoryKeyring) -> CaseStore:
    path = tmp_path / "k.db"
    CaseStore.create(path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params()).close()
    return CaseStore.open(path)


class UnlockScreen:
    """The unlock view with its page updates counted and the screen seen during the unlock."""

    def __init__(self, store: CaseStore) -> None:
        self.vm = UnlockViewModel(store.file, clock=lambda: NOW)
        self.unlocked = 0
        self.progress_while_opening: bool | None = None
        self.view = UnlockView(self.vm, width=None, on_unlocked=self._on_unlocked)
        self.view.control.update = self._updated  # type: ignore[method-assign]  # no page here
        self.updates: list[bool] = []  # progress shown at each page update
        self.during: dict[str, object] = {}
        real_unlock = self.vm.unlock

        def unlock_and_look() -> bool:
            self.during = {
                "progress": _shown(self.view.progress),
                "texts": texts_under(self.view.progress),
                "button disabled": self.view.button.disabled,
                "field disabled": self.view.passphrase.disabled,
                "updates": list(self.updates),
            }
            return real_unlock()

        self.vm.unlock = unlock_and_look  # type: ignore[method-assign]

    async def _on_unlocked(self) -> None:
        self.unlocked += 1
        # The app reads My cases now, with "Unlocking…" still on screen, then draws it whole.
        self.progress_while_opening = _shown(self.view.progress)

    def _updated(self) -> None:
        self.updates.append(_shown(self.view.progress))

    def submit(self, passphrase: str) -> None:
        self.view.passphrase.value = passphrase
        asyncio.run(self.view._unlock())


def test_unlocking_shows_its_progress_until_it_is_done(locked: CaseStore) -> None:
    screen = UnlockScreen(locked)
    try:
        assert not _shown(screen.view.progress)  # not before
        screen.submit(PASSPHRASE)
        assert screen.during == {
            "progress": True,
            "texts": [_("Unlocking…")],
            "button disabled": True,
            "field disabled": True,
            "updates": [True],  # sent to the browser before the slow work started
        }
        assert screen.unlocked == 1 and not locked.is_locked
        assert screen.progress_while_opening is True and not screen.vm.busy
    finally:
        locked.close()


def test_a_wrong_passphrase_hides_the_progress_again(locked: CaseStore) -> None:
    screen = UnlockScreen(locked)
    try:
        screen.submit("not the passphrase at all")
        assert screen.during["progress"] is True
        assert screen.unlocked == 0 and locked.is_locked and screen.progress_while_opening is None
        assert screen.updates == [True, False]  # shown, then the message without the ring
        assert not _shown(screen.view.progress) and _shown(screen.view.error)
        assert not screen.view.button.disabled and not screen.view.passphrase.disabled
    finally:
        locked.close()


def test_a_quick_unlock_shows_no_spinning_ring(locked: CaseStore) -> None:
    screen = UnlockScreen(locked)
    spinner_seen: list[bool] = []
    screen.view.control.update = lambda: spinner_seen.append(  # type: ignore[method-assign]
        _shown(screen.view.spinner)
    )
    try:
        screen.submit(PASSPHRASE)  # the test store's key derivation takes milliseconds
        assert screen.unlocked == 1
        assert spinner_seen == [False] and not _shown(screen.view.spinner)
    finally:
        locked.close()


@pytest.mark.parametrize("passphrase", [PASSPHRASE, "not the passphrase at all"])
def test_a_slow_unlock_shows_the_spinning_ring_after_the_delay(
    locked: CaseStore, monkeypatch: pytest.MonkeyPatch, passphrase: str
) -> None:
    monkeypatch.setattr(unlock_view, "SPINNER_DELAY_SECONDS", 0.05)
    screen = UnlockScreen(locked)
    spinner_seen: list[bool] = []
    screen.view.control.update = lambda: spinner_seen.append(  # type: ignore[method-assign]
        _shown(screen.view.spinner)
    )
    quick_unlock = screen.vm.unlock

    def slow_unlock() -> bool:
        time.sleep(0.4)  # a slow device: well past the delay
        return quick_unlock()

    screen.vm.unlock = slow_unlock  # type: ignore[method-assign]
    try:
        screen.submit(passphrase)
        assert screen.during["progress"] is True
        # First "Unlocking…" alone, then the ring added while it still runs.
        assert spinner_seen[:2] == [False, True]
        if passphrase == PASSPHRASE:
            assert screen.unlocked == 1 and screen.progress_while_opening is True
        else:  # refused: the message, without text or ring of progress
            assert spinner_seen[2:] == [False] and not _shown(screen.view.spinner)
            assert not _shown(screen.view.progress) and _shown(screen.view.error)
    finally:
        locked.close()


def test_a_second_tap_while_unlocking_does_nothing(locked: CaseStore) -> None:
    screen = UnlockScreen(locked)
    try:
        screen.vm.busy = True
        screen.submit(PASSPHRASE)
        assert screen.during == {} and screen.updates == [] and locked.is_locked
    finally:
        locked.close()


def test_my_cases_shows_opening_the_cases_while_it_reads(store: CaseStore) -> None:
    store.add_case_files([a_case_file(name=f"Bewoner {n}") for n in range(3)], today=TODAY, now=NOW)
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    view = CasesView(vm, on_activity=lambda: None)
    updates: list[bool] = []
    view.control.update = lambda: updates.append(_shown(view.loading))  # type: ignore[method-assign]
    seen: dict[str, object] = {}
    real_load = vm.load

    def load_and_look() -> None:
        seen["loading"] = _shown(view.loading)
        seen["texts"] = texts_under(view.loading)
        seen["updates"] = list(updates)
        real_load()

    vm.load = load_and_look  # type: ignore[method-assign]
    assert not _shown(view.loading)
    asyncio.run(view.load_in_background())
    assert seen == {"loading": True, "texts": [_("Opening the cases…")], "updates": [True]}
    assert updates == [True, False] and not _shown(view.loading)
    assert view.count.value == "3 casussen"


def test_opening_the_cases_hides_the_progress_even_when_reading_fails(store: CaseStore) -> None:
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    view = CasesView(vm, on_activity=lambda: None)
    view.control.update = lambda: None  # type: ignore[method-assign]

    def fail() -> None:
        raise RuntimeError("disk gone")

    vm.load = fail  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        asyncio.run(view.load_in_background())
    assert not _shown(view.loading)
