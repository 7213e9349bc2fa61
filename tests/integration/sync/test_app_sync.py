"""The app's sync screen against the real dossier server on loopback (uvicorn, real HTTP).

Enrolment through the screen's form, a local change, "Sync now", the status line; a change the
server holds back with its reason in words; a professional linked to their dossier account by
the participant form sees the case on their own tablet.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from models import queries
from models.domain import Consent, ParticipantRole
from models.store import CaseStore
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker, make_professional
from tests.support.factories import TODAY, a_case_file
from ui.background_sync import BackgroundSync
from ui.viewmodels import plan as pl
from ui.viewmodels import sync_screen as ss
from ui.viewmodels.sync_screen import SyncScreenViewModel, reason_sentence
from ui.viewmodels.sync_status import status_line

pytestmark = pytest.mark.usefixtures("english")


def now() -> datetime:
    return datetime.now(UTC)


def enrolled_screen(
    store: CaseStore, world: World, url: str, who: Professional
) -> SyncScreenViewModel:
    vm = SyncScreenViewModel(store, now=now)
    vm.load()
    assert not vm.enrolled
    vm.form.url, vm.form.code = url, world.code(who.org)
    vm.form.email, vm.form.password = who.email, who.password
    assert vm.enrol(), vm.errors
    assert vm.enrolled and vm.account_id_text == str(who.account_id)
    return vm


def test_enrol_change_sync_now_and_see_synced(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    vm = enrolled_screen(store, world, live_url, professional)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=now())
    vm.load()
    assert vm.status.waiting == 9
    assert status_line(vm.status, now()).text.endswith("9 changes waiting")

    status = vm.sync_now()
    assert status.state is SyncState.SYNCED, status.message
    assert vm.result == "Synced." and vm.status.waiting == 0
    assert vm.last_sync_text.endswith("(just now)")
    assert status_line(vm.status, now()).text == "Synced just now"


def test_a_wrong_code_and_a_wrong_password_against_the_real_server(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    vm = SyncScreenViewModel(store, now=now)
    vm.load()
    vm.form.url, vm.form.code = live_url, "NIET-GELDIG"
    vm.form.email, vm.form.password = professional.email, professional.password
    assert not vm.enrol() and ss.CODE in vm.errors
    vm.form.code, vm.form.password = world.code(professional.org), "verkeerd wachtwoord"
    assert not vm.enrol() and ss.PASSWORD in vm.errors
    vm.form.password = professional.password  # the code is spent: only the login is repeated
    assert vm.enrol(), vm.errors


def test_the_background_sync_reaches_synced(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    enrolled_screen(store, world, live_url, professional)
    store.add_case_files([a_case_file()], today=TODAY, now=now())
    background = BackgroundSync(lambda: store, now=now)
    asyncio.run(background.tick())
    line = background.line()
    assert line is not None and line.text == "Synced just now"


def test_a_change_held_back_for_want_of_consent_shows_its_reason(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    vm = enrolled_screen(store, world, live_url, professional)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=now())
    assert vm.sync_now().state is SyncState.SYNCED
    # The resident withdraws consent: that reaches the server; later edits are held back.
    withdrawn = dataclasses.replace(f.case, consent=Consent(given=False, recorded_on=TODAY))
    store.update_case(withdrawn, today=TODAY, now=now())
    assert vm.sync_now().state is SyncState.SYNCED
    store.save_agreement(dataclasses.replace(f.agreements[0], note="Gebeld met de dochter."))
    status = vm.sync_now()
    assert status.state is SyncState.SYNCED
    (row,) = vm.held_back
    assert row.code == "no_consent" and row.reason == reason_sentence("no_consent")
    assert row.what.startswith("A change to the agreement")
    assert "1 change held back" in status_line(vm.status, now()).text

    # Consent again: "Try again" sends it.
    store.update_case(
        dataclasses.replace(f.case, consent=Consent(given=True, recorded_on=TODAY)),
        today=TODAY,
        now=now(),
    )
    vm.retry(row.mutation_id)
    assert vm.sync_now().state is SyncState.SYNCED
    assert vm.held_back == [] and vm.status.waiting == 0


def test_an_unknown_account_on_a_participant_is_held_back(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    store = new_store("tablet")
    vm = enrolled_screen(store, world, live_url, professional)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=now())
    assert vm.sync_now().state is SyncState.SYNCED
    plan = pl.PlanViewModel(store, f.case.id, today=lambda: TODAY)
    nobody = plan.add_person(
        role=ParticipantRole.PROFESSIONAL,
        name="Iemand Onbekend",
        account_id="00000000-0000-4000-8000-000000000000",
    )
    assert nobody is not None
    vm.sync_now()
    (row,) = vm.held_back
    assert row.code == "unknown_account"
    assert row.what == "A change to participant Iemand Onbekend in the case of " + (
        f.case.resident.name
    )


@pytest.mark.parametrize("ending", ["remove", "end access"])
def test_a_linked_colleague_gets_the_case_on_their_tablet_until_their_access_ends(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker, ending: str
) -> None:
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    mine, theirs = new_store("mine"), new_store("theirs")
    vm_mine = enrolled_screen(mine, world, live_url, professional)
    f = a_case_file()
    mine.add_case_files([f], today=TODAY, now=now())
    assert vm_mine.sync_now().state is SyncState.SYNCED
    # The colleague's tablet has synced past the case already, before it was linked.
    vm_theirs = enrolled_screen(theirs, world, live_url, colleague)
    assert vm_theirs.sync_now().state is SyncState.SYNCED
    assert queries.case_summaries(theirs, today=TODAY) == []

    plan = pl.PlanViewModel(mine, f.case.id, today=lambda: TODAY)
    assert plan.own_account_id == str(professional.account_id)
    linked = plan.add_person(
        role=ParticipantRole.PROFESSIONAL,
        name="Noor Jansen",
        relation="maatschappelijk werker",
        account_id=str(colleague.account_id).upper(),  # as read out from their sync screen
    )
    assert linked is not None and linked.account_id == str(colleague.account_id)
    assert vm_mine.sync_now().state is SyncState.SYNCED

    # Its next sync back-fills the case's earlier history (see server/sync_pull.py).
    assert vm_theirs.sync_now().state is SyncState.SYNCED
    assert [s.case_id for s in queries.case_summaries(theirs, today=TODAY)] == [f.case.id]
    assert vm_theirs.held_back == []
    got, sent = queries.case_file(theirs, f.case.id), queries.case_file(mine, f.case.id)
    assert {p.id for p in got.participants} == {p.id for p in sent.participants}
    assert {a.id for a in got.agreements} == {a.id for a in sent.agreements}

    # Removing the colleague, or only ending their dossier access, clears their account on the
    # participant: their access ends, and their tablet keeps only its active caseload (#5).
    if ending == "remove":
        assert plan.remove_person(linked.id)
    else:
        assert plan.can_end_access(linked)
        plan.end_access(linked.id)
        assert not plan.can_end_access(queries.case_file(mine, f.case.id).participants[-1])
    assert vm_mine.sync_now().state is SyncState.SYNCED
    assert vm_mine.status.waiting == 0 and vm_mine.held_back == []
    case = queries.case_file(theirs, f.case.id).case
    theirs.update_case(dataclasses.replace(case, question="Nog een vraag."), today=TODAY, now=now())
    status = vm_theirs.sync_now()
    # The case leaves their tablet whole, with the change they made meanwhile: the server would
    # refuse it (not_authorised), and it must not stay there held back for good.
    assert (status.state, status.cases_removed, status.changes_dropped) == (SyncState.SYNCED, 1, 1)
    assert vm_theirs.held_back == [] and vm_theirs.status.waiting == 0
    assert queries.case_summaries(theirs, today=TODAY) == []
    assert queries.case_summaries(mine, today=TODAY)[0].case_id == f.case.id
