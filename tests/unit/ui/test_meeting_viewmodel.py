"""Meeting mode, driven as the screen drives it, over a real store file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from models import queries
from models.deadlines import DeadlineState
from models.domain import CaseStage, ParticipantRole
from models.errors import StorageError
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, floor_kdf_params
from tests.support.memory_keyring import MemoryKeyring
from tests.support.storage import device_full
from ui.viewmodels.meeting import MeetingViewModel, Step


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[CaseStore]:
    s = CaseStore.create(tmp_path / "k.db", PASSPHRASE, now=NOW, kdf_params=floor_kdf_params())
    yield s
    s.close()


@pytest.fixture
def case_id(store: CaseStore) -> str:
    """A fresh contact: no participants, no meeting yet."""
    f = a_case_file(name="Fenna de Bruijn", contact=TODAY - timedelta(days=6), held_on=None)
    f.participants, f.meetings, f.agreements = [], [], []
    store.add_case_files([f], today=TODAY, now=NOW)
    return f.case.id


def reopen(store: CaseStore) -> CaseStore:
    """Close the app and open it again: a new store object on the same file."""
    path = store.path
    store.close()
    again = CaseStore.open(path)
    again.unlock(PASSPHRASE, now=NOW)
    return again


def test_starting_makes_a_held_meeting_with_the_resident_present(
    store: CaseStore, case_id: str
) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    assert vm.step is Step.PRESENT and vm.step_number == 1
    assert vm.title == "Wie zit er aan tafel?"
    assert vm.resident.name == "Fenna de Bruijn"
    assert vm.meeting.present == [vm.resident.id]
    assert vm.meeting_date == TODAY


def test_the_resident_must_be_at_the_table(store: CaseStore, case_id: str) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.set_present(vm.resident.id, False)
    assert not vm.next()
    assert "present" in vm.errors and vm.step is Step.PRESENT
    vm.set_present(vm.resident.id, True)
    assert vm.next() and vm.step is Step.WANTS


def test_a_meeting_interrupted_anywhere_resumes_with_nothing_lost(
    store: CaseStore, case_id: str
) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    daughter = vm.add_participant(
        name="Sanne de Bruijn", role=ParticipantRole.NETWORK, relation="dochter"
    )
    assert daughter is not None
    vm.next()
    i = vm.add_item(Step.WANTS)
    vm.set_item(Step.WANTS, i, "Ik wil weer zelf boodschappen doen")
    vm.next()
    vm.set_item(Step.STRENGTHS, vm.add_item(Step.STRENGTHS), "Mijn dochter komt elke week")
    vm.add_item(Step.STRENGTHS)  # an empty line just added: not saved, not an error
    assert vm.step is Step.STRENGTHS

    store = reopen(store)  # the app closed mid-sentence
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    assert vm.step is Step.STRENGTHS
    assert vm.meeting.wants == ["Ik wil weer zelf boodschappen doen"]
    assert vm.meeting.strengths == ["Mijn dochter komt elke week"]
    assert {p.name for p in vm.participants} == {"Fenna de Bruijn", "Sanne de Bruijn"}
    assert set(vm.meeting.present) == {vm.resident.id, daughter.id}
    store.close()


def test_agreements_default_to_the_resident_and_six_weeks(store: CaseStore, case_id: str) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.go_to(Step.AGREEMENTS)
    assert vm.add_agreement("   ") is None
    row = vm.add_agreement("Samen de post doorlopen")
    assert row is not None
    assert row.saved.owner_id == vm.resident.id
    assert row.saved.due_date == TODAY + timedelta(days=42)
    saved = queries.case_file(store, case_id).agreements
    assert [a.what for a in saved] == ["Samen de post doorlopen"]


def test_a_date_past_six_weeks_needs_a_reason_and_is_not_saved_without(
    store: CaseStore, case_id: str
) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.go_to(Step.AGREEMENTS)
    row = vm.add_agreement("Aanmelden bij de schuldhulp")
    assert row is not None
    late = TODAY + timedelta(days=60)
    vm.update_agreement(row.saved.id, due_date=late)
    assert "outside_norm_reason" in row.errors
    assert "zes weken" in row.errors["outside_norm_reason"]  # Dutch, next to the field
    assert row.shown.due_date == late and row.saved.due_date == TODAY + timedelta(days=42)
    assert not vm.next() and vm.step is Step.AGREEMENTS

    vm.update_agreement(row.saved.id, outside_norm_reason="Wachtlijst bij de schuldhulp")
    assert row.errors == {} and row.outside_norm
    assert "agreements" in vm.errors  # the screen's "fix these first" ...
    vm.forget_fixed_errors()
    assert "agreements" not in vm.errors  # ... goes once nothing is red
    assert queries.case_file(store, case_id).agreements[0].due_date == late
    assert vm.next() and vm.step is Step.WELLBEING


def test_a_date_over_a_year_ahead_is_refused_even_with_a_reason(
    store: CaseStore, case_id: str
) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.go_to(Step.AGREEMENTS)
    row = vm.add_agreement("Verhuizen naar een benedenwoning")
    assert row is not None
    assert vm.latest_due == TODAY + timedelta(days=365)
    typo = TODAY + timedelta(days=366 + 42)  # the year typed one too high
    vm.update_agreement(
        row.saved.id, due_date=typo, outside_norm_reason="Wachtlijst bij de woningcorporatie"
    )
    assert list(row.errors) == ["due_date"]
    assert "jaar" in row.errors["due_date"]  # Dutch, next to the date
    assert row.saved.due_date == TODAY + timedelta(days=42)
    assert queries.case_file(store, case_id).agreements[0].due_date == TODAY + timedelta(days=42)
    assert not vm.next() and vm.step is Step.AGREEMENTS

    vm.update_agreement(row.saved.id, due_date=vm.latest_due)
    assert row.errors == {}
    assert queries.case_file(store, case_id).agreements[0].due_date == vm.latest_due


def test_the_owner_can_be_anyone_at_the_table(store: CaseStore, case_id: str) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    nurse = vm.add_participant(
        name="Daan Verhoeven",
        role=ParticipantRole.PROFESSIONAL,
        relation="wijkverpleegkundige",
        organisation_id="pantein",
    )
    assert nurse is not None
    row = vm.add_agreement("Wondzorg twee keer per week")
    assert row is not None
    vm.update_agreement(row.saved.id, owner_id=nurse.id)
    assert vm.owner_name(row.saved) == "Daan Verhoeven"
    vm.update_agreement(row.saved.id, owner_id="someone-else")
    assert "owner_id" in row.errors and row.saved.owner_id == nurse.id


def test_new_participant_needs_a_name(store: CaseStore, case_id: str) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    assert vm.add_participant(name="  ", role=ParticipantRole.NETWORK) is None
    assert "new_participant.name" in vm.errors


def test_wellbeing_from_1_to_10(store: CaseStore, case_id: str) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.go_to(Step.WELLBEING)
    assert not vm.set_wellbeing(11)
    assert vm.errors["wellbeing"] == "Welbevinden is een getal van 1 tot en met 10."
    assert vm.set_wellbeing(7) and vm.wellbeing == 7
    assert vm.set_wellbeing(8) and vm.wellbeing == 8  # changed, not a second measurement
    store = reopen(store)
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    assert vm.wellbeing == 8
    store.close()


def test_full_meeting_then_my_cases_shows_the_next_deadline(store: CaseStore, case_id: str) -> None:
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.next()
    for step, text in (
        (Step.WANTS, "Ik wil minder alleen zijn"),
        (Step.STRENGTHS, "Ik kan goed koken"),
        (Step.NEEDS, "Ik heb een maatje nodig"),
    ):
        vm.set_item(step, vm.add_item(step), text)
        vm.next()
    first = vm.add_agreement("Een maatje zoeken via de vrijwilligerscentrale")
    second = vm.add_agreement("Samen koken op donderdag")
    assert first and second
    vm.update_agreement(second.saved.id, due_date=TODAY + timedelta(days=14))
    vm.next()
    vm.set_wellbeing(6)
    vm.next()
    assert vm.step is Step.READBACK
    assert [a.what for a in vm.open_agreements()] == [first.saved.what, second.saved.what]
    vm.finish()
    assert vm.finished

    summary = queries.case_summaries(store, today=TODAY)[0]
    assert summary.stage is CaseStage.AGREEMENTS_RUNNING
    assert summary.meeting.state is DeadlineState.MET
    assert summary.next_agreement is not None
    assert summary.next_agreement.due == TODAY + timedelta(days=14)

    # A finished meeting is not resumed: opening meeting mode again starts a new one.
    again = MeetingViewModel.open(store, case_id, today=TODAY)
    assert again.meeting.id != vm.meeting.id and again.step is Step.PRESENT


def test_moving_on_with_an_empty_line_just_added_saves_the_rest(
    store: CaseStore, case_id: str
) -> None:
    """The screen adds an empty line to type in; moving on or ticking someone must not fail."""
    vm = MeetingViewModel.open(store, case_id, today=TODAY)
    vm.go_to(Step.WANTS)
    vm.set_item(Step.WANTS, vm.add_item(Step.WANTS), "Weer zelf koken")
    vm.add_item(Step.WANTS)  # an empty line, not typed in yet
    assert vm.next() and vm.step is Step.STRENGTHS
    vm.set_item(Step.STRENGTHS, vm.add_item(Step.STRENGTHS), "x" * 501)  # too long: not saved
    assert "strengths[0]" in vm.errors
    vm.set_present(vm.resident.id, True)
    vm.back()
    stored = queries.case_file(store, case_id).meetings[0]
    assert stored.progress == Step.WANTS.value
    assert stored.wants == ["Weer zelf koken"] and stored.strengths == []


# Long lines (within the 500-character limit) that need new pages of the file to be saved.
LINE = "Ik wil weer zelf naar de markt op donderdag, met de rollator. "
LINES = [f"{n}. {LINE}" * 7 for n in range(9)]


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

    again = reopen(store)  # the app closed: open it again
    resumed = MeetingViewModel.open(again, case_id, today=TODAY)
    assert resumed.step is Step.STRENGTHS
    assert resumed.meeting.wants == [*typed[:last], typed[last] + "!"]
    again.close()
