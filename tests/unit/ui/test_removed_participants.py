"""Someone taken off a case: gone from the lists to pick from, still named where a record needs
them (another tablet may have given them an agreement before the two synced)."""

from __future__ import annotations

import dataclasses

import pytest

from models.domain import Participant, ParticipantRole
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from ui.viewmodels import plan as pl
from ui.viewmodels.case_detail import CaseViewModel
from ui.viewmodels.meeting import MeetingViewModel
from ui.viewmodels.participants import shown_name

pytestmark = pytest.mark.usefixtures("english")


def removed(person: Participant) -> Participant:
    """As a pulled change from another tablet leaves them (the store's guards are not asked)."""
    return dataclasses.replace(person, removed_on=TODAY, relation="", contact="")


def test_the_name_is_marked_only_for_someone_removed() -> None:
    person = Participant(case_id="c", role=ParticipantRole.NETWORK, name="Kees Smit")
    assert shown_name(person) == "Kees Smit"
    assert shown_name(removed(person)) == "Kees Smit (no longer taking part)"


def test_the_plan_lists_only_the_people_taking_part(store: CaseStore) -> None:
    f = a_case_file(held_on=None)
    f.agreements.clear()
    f.meetings[0].present = [f.participants[0].id]
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = pl.PlanViewModel(store, f.case.id, today=lambda: TODAY)
    daughter = f.participants[1]
    assert vm.remove_person(daughter.id)
    assert daughter.id not in {p.id for p in vm.participants}
    assert [p.removed_on for p in vm.case_file.participants if p.id == daughter.id] == [TODAY]
    # Adding someone after a removal still lands in the case file and on the screen.
    added = vm.add_person(role=ParticipantRole.NETWORK, name="Kees Smit")
    assert added is not None and added.id in {p.id for p in vm.participants}
    assert added in vm.case_file.participants


def test_a_removed_owner_stays_in_the_meeting_and_is_marked(store: CaseStore) -> None:
    f = a_case_file(held_on=None)  # planned: meeting mode starts it, with its agreements
    resident, daughter, nurse = f.participants
    f.meetings[0].present = [resident.id, nurse.id]  # the daughter only owns an agreement
    store.add_case_files([f], today=TODAY, now=NOW)
    spare = Participant(case_id=f.case.id, role=ParticipantRole.NETWORK, name="Kees Smit")
    store.save_participant(spare)
    store.save_participant(removed(daughter))  # owns the first agreement
    store.save_participant(removed(spare))  # named nowhere
    vm = MeetingViewModel.open(store, f.case.id, today=TODAY)
    ids = [p.id for p in vm.participants]
    assert daughter.id in ids and spare.id not in ids and nurse.id in ids
    first = vm.agreements[0].shown
    assert first.owner_id == daughter.id
    assert vm.owner_name(first) == "Sanne de Bruijn (no longer taking part)"
    assert vm.owner_name(vm.agreements[1].shown) == "Daan Verhoeven"
    # A new agreement cannot go to someone taken off the case; the existing one shows its owner.
    assert daughter.id not in {p.id for p in vm.owner_choices(None)}
    assert daughter.id not in {p.id for p in vm.owner_choices(nurse.id)}
    assert daughter.id in {p.id for p in vm.owner_choices(first.owner_id)}


def test_the_case_shows_the_people_taking_part_and_marks_a_removed_owner(
    store: CaseStore,
) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    _resident, daughter, nurse = f.participants
    store.save_participant(removed(daughter))
    vm = CaseViewModel(store, f.case.id, today=lambda: TODAY, now=lambda: NOW)
    people = vm.people()
    assert len(people) == 2 and not any(line.startswith("Sanne") for line in people)
    owners = {line.agreement.owner_id: line.owner for line in vm.agreement_lines()}
    assert owners == {
        daughter.id: "Sanne de Bruijn (no longer taking part)",
        nurse.id: "Daan Verhoeven",
    }
