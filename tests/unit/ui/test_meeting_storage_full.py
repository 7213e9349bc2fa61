"""Meeting mode on a device that runs out of room mid-meeting (a real SQLITE_FULL): the screen's
view-model keeps every word, stays on the step shown, and saves it all once there is room."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from models.errors import StorageError
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring
from tests.support.storage import device_full
from ui.viewmodels.meeting import MeetingViewModel, Step

# Long lines (within the 500-character limit) that need new pages of the file to be saved.
LINE = "Ik wil weer zelf naar de markt op donderdag, met de rollator. "
LINES = [f"{n}. {LINE}" * 7 for n in range(9)]


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[CaseStore]:
    s = CaseStore.create(tmp_path / "k.db", PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
    yield s
    s.close()


@pytest.fixture
def case_id(store: CaseStore) -> str:
    f = a_case_file(name="Fenna de Bruijn", contact=TODAY - timedelta(days=6), held_on=None)
    f.participants, f.meetings, f.agreements = [], [], []
    store.add_case_files([f], today=TODAY, now=NOW)
    return f.case.id


def test_a_full_device_mid_meeting_loses_no_word_and_no_step(
    store: CaseStore, case_id: str
) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.next()
    vm.set_item(Step.WANTS, vm.add_item(Step.WANTS), "Ik wil weer")

    with device_full(store):
        with pytest.raises(StorageError):  # a keystroke finds the device full
            for n, line in enumerate(LINES):
                vm.set_item(Step.WANTS, n, line)
                vm.add_item(Step.WANTS)
        typed = [t for t in vm.items(Step.WANTS) if t]
        assert typed == LINES[: len(typed)]  # still what the screen shows
        with pytest.raises(StorageError):
            vm.next()  # saves the step with the lines: no room either
        assert vm.step is Step.WANTS  # not moved on behind the screen's back

    # Room again: the next keystroke saves everything typed so far.
    last = len(typed) - 1
    vm.set_item(Step.WANTS, last, typed[last] + "!")
    assert vm.next() and vm.step is Step.STRENGTHS

    path = store.path
    store.close()  # the app closed: open it again
    again = CaseStore.open(path)
    again.unlock(PASSPHRASE, now=NOW)
    resumed = MeetingViewModel.open(again, case_id, today=TODAY)
    assert resumed.step is Step.STRENGTHS
    assert resumed.meeting.wants == [*typed[:last], typed[last] + "!"]
    again.close()
