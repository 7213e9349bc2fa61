"""Participants on the plan screen: linking a professional to a dossier account, and removing."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from models import outbox, queries, sync_state
from models.domain import ParticipantRole
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from ui.viewmodels import plan as pl
from ui.viewmodels.participants import account_id_from_text, participant_from_form

pytestmark = pytest.mark.usefixtures("english")

ACCOUNT = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


@pytest.mark.parametrize(
    "typed",
    [
        ACCOUNT,
        ACCOUNT.upper(),
        " " + ACCOUNT + " ",
        "{" + ACCOUNT + "}",
        ACCOUNT.replace("-", ""),
        ACCOUNT[:18] + " " + ACCOUNT[18:],
    ],
)
def test_an_account_id_as_people_paste_it(typed: str) -> None:
    assert account_id_from_text(typed) == (ACCOUNT, None)


def test_no_account_id_is_fine_and_a_wrong_one_is_explained() -> None:
    assert account_id_from_text("  ") == (None, None)
    value, problem = account_id_from_text("daan@example.org")
    assert value is None and problem is not None
    assert problem.field == "account_id" and "Settings" in problem.message


def test_only_professionals_carry_an_account() -> None:
    person, problems = participant_from_form(
        "c", role=ParticipantRole.NETWORK, name="Sanne", account_id=ACCOUNT
    )
    assert person.account_id is None and problems == ()
    pro, problems = participant_from_form(
        "c", role=ParticipantRole.PROFESSIONAL, name="Daan", account_id=ACCOUNT.upper()
    )
    assert pro.account_id == ACCOUNT and problems == ()


def fresh_case(store: CaseStore) -> str:
    f = a_case_file(held_on=None)
    f.participants, f.meetings, f.agreements = [], [], []
    store.add_case_files([f], today=TODAY, now=NOW)
    return f.case.id


def test_a_professional_is_linked_to_their_dossier_account(store: CaseStore) -> None:
    case_id = fresh_case(store)
    vm = pl.PlanViewModel(store, case_id, today=lambda: TODAY)
    assert vm.own_account_id is None
    wrong = vm.add_person(role=ParticipantRole.PROFESSIONAL, name="Daan", account_id="12345")
    assert wrong is None and "professional.account_id" in vm.errors
    nurse = vm.add_person(role=ParticipantRole.PROFESSIONAL, name="Daan", account_id=ACCOUNT)
    assert nurse is not None and vm.errors == {}
    assert vm.describe(nurse) == "Daan — Professional, linked to the dossier"
    saved = next(p for p in queries.case_file(store, case_id).participants if p.name == "Daan")
    assert saved.account_id == ACCOUNT


def test_that_is_me_offers_this_devices_account(store: CaseStore) -> None:
    mine = str(uuid.uuid4())
    account = sync_state.SyncAccount(
        server_url="https://dossier.example.nl",
        device_id=str(uuid.uuid4()),
        account_id=mine,
        email="ik@example.org",
        device_secret="s",
        refresh_token="r",
    )
    with store.writing() as (conn, sealer):
        sync_state.save_account(conn, sealer, account, now=NOW)
    vm = pl.PlanViewModel(store, fresh_case(store), today=lambda: TODAY)
    assert vm.own_account_id == mine


def test_remove_a_participant_after_confirming(store: CaseStore) -> None:
    case_id = fresh_case(store)
    vm = pl.PlanViewModel(store, case_id, today=lambda: TODAY)
    resident = vm.participants[0]
    neighbour = vm.add_person(role=ParticipantRole.NETWORK, name="Kees Smit", relation="buurman")
    assert neighbour is not None
    assert not vm.can_remove(resident) and vm.can_remove(neighbour)
    assert vm.confirm_text(neighbour) == "Remove Kees Smit from this case? Nothing else is removed."
    assert vm.remove_person(neighbour.id)
    assert [p.name for p in vm.participants] == [resident.name]
    kept = queries.case_file(store, case_id).participants  # kept, marked: see remove_participant
    assert [(p.id, p.removed_on) for p in kept] == [(resident.id, None), (neighbour.id, TODAY)]


def test_removing_someone_the_case_needs_is_refused_with_the_reason(store: CaseStore) -> None:
    f = a_case_file(held_on=None)
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = pl.PlanViewModel(store, f.case.id, today=lambda: TODAY)
    daughter = f.participants[1]  # owns an agreement
    assert not vm.remove_person(daughter.id)
    assert vm.remove_error is not None and "agreements are in their name" in vm.remove_error
    assert daughter.id in {p.id for p in vm.participants}


def test_dossier_access_ends_even_for_someone_the_case_file_keeps(store: CaseStore) -> None:
    f = a_case_file()  # the nurse was at the table of the held MDO: cannot be removed
    nurse = f.participants[2]
    f.participants[2] = dataclasses.replace(nurse, account_id=ACCOUNT)
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = pl.PlanViewModel(store, f.case.id, today=lambda: TODAY)
    linked = next(p for p in vm.participants if p.id == nurse.id)
    assert vm.can_end_access(linked) and not vm.remove_person(nurse.id)
    assert vm.end_access_text(linked).startswith("Daan Verhoeven will no longer see this case")
    with store.reading() as (conn, sealer):
        before = len(outbox.items(conn, sealer))
    vm.end_access(nurse.id)
    kept = next(p for p in queries.case_file(store, f.case.id).participants if p.id == nurse.id)
    assert (kept.account_id, kept.removed_on, kept.name) == (None, None, "Daan Verhoeven")
    assert "linked to the dossier" not in vm.describe(kept) and not vm.can_end_access(kept)
    with store.reading() as (conn, sealer):
        [queued] = outbox.items(conn, sealer)[before:]
    assert (queued.record_id, queued.op, queued.fields) == (
        nurse.id,
        "upsert",
        {"account_id": None},
    )
