"""The sync screen's view-model on a real store; the server is an httpx mock transport.

The live-server journeys (enrol, sync, held back) are in tests/integration/sync/test_app_sync.py.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from models import outbox, queries, sync_state
from models.changes import Entity as ModelEntity
from models.domain import Agreement
from models.store import CaseStore
from server import sync_push
from sync import cycle
from sync.client import DossierClient
from sync.cycle import SyncState
from sync.engine import Conflict
from sync.protocol import Entity
from tests.support.factories import NOW, TODAY, a_case_file
from ui.viewmodels import sync_screen as ss
from ui.viewmodels.sync_screen import REASONS, SyncScreenViewModel, reason_sentence

pytestmark = pytest.mark.usefixtures("english")

DEVICE = uuid.UUID(int=7)
ACCOUNT = uuid.UUID(int=8)


class FakeServer:
    """Answers enrol and login like the dossier server; counts what it was asked."""

    def __init__(self, *, code: str = "ABCD-1234", password: str = "juist wachtwoord") -> None:
        self.code = code
        self.password = password
        self.enrolments = 0
        self.logins = 0
        self.offline = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.offline:
            raise httpx.ConnectError("down", request=request)
        body: dict[str, Any] = __import__("json").loads(request.content or b"{}")
        if request.url.path == "/devices/enrol":
            if body["code"] != self.code:
                return httpx.Response(401, json={"code": "invalid_enrolment_code"})
            self.enrolments += 1
            self.code = "used"
            return httpx.Response(201, json={"device_id": str(DEVICE), "device_secret": "s3cret"})
        if request.url.path == "/auth/token":
            self.logins += 1
            if body["password"] != self.password:
                return httpx.Response(401, json={"code": "invalid_credentials"})
            return httpx.Response(
                200,
                json={
                    "access_token": "a",
                    "refresh_token": "r",
                    "expires_in": 600,
                    "account_id": str(ACCOUNT),
                    "role": "team_lead",
                },
            )
        return httpx.Response(404, json={"code": "not_found"})

    def factory(self) -> Callable[[str], DossierClient]:
        return lambda url: DossierClient(url, transport=httpx.MockTransport(self.handle))


def screen(store: CaseStore, server: FakeServer | None = None) -> SyncScreenViewModel:
    server = server or FakeServer()
    vm = SyncScreenViewModel(store, now=lambda: NOW, client_factory=server.factory())
    vm.load()
    return vm


def fill(vm: SyncScreenViewModel, **values: str) -> None:
    form = {
        "url": "https://dossier.example.nl",
        "code": "ABCD-1234",
        "email": "wijkverpleegkundige@example.org",
        "password": "juist wachtwoord",
    } | values
    for key, value in form.items():
        setattr(vm.form, key, value)


# -- enrolment ----------------------------------------------------------------------------------


def test_a_new_device_is_not_linked_and_enrols(store: CaseStore) -> None:
    vm = screen(store)
    assert not vm.enrolled and vm.status.state is SyncState.NOT_ENROLLED
    fill(vm)
    assert vm.enrol()
    assert vm.enrolled and vm.result == "This device is now linked to the dossier server."
    assert vm.account_id_text == str(ACCOUNT) and vm.server_text == "https://dossier.example.nl"
    assert vm.form.password == ""  # never kept
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    assert account is not None and account.device_id == str(DEVICE)
    assert account.role == "team_lead"  # the team screen appears for a team lead


def test_empty_fields_are_named(store: CaseStore) -> None:
    vm = screen(store)
    fill(vm, url="https://", code=" ", email="geen-adres", password="")
    assert not vm.enrol()
    assert set(vm.errors) == {ss.URL, ss.CODE, ss.EMAIL, ss.PASSWORD}


def test_plain_http_to_another_computer_is_refused(store: CaseStore) -> None:
    server = FakeServer()
    vm = screen(store, server)
    fill(vm, url="http://dossier.example.nl")
    assert not vm.enrol()
    assert "https" in vm.errors[ss.URL] and server.enrolments == 0


def test_a_wrong_code_is_said_at_the_code(store: CaseStore) -> None:
    vm = screen(store)
    fill(vm, code="WRONG")
    assert not vm.enrol()
    assert "unknown, already used or expired" in vm.errors[ss.CODE]
    assert not vm.enrolled


def test_offline_says_check_the_address_and_connection(store: CaseStore) -> None:
    server = FakeServer()
    server.offline = True
    vm = screen(store, server)
    fill(vm)
    assert not vm.enrol()
    assert "cannot be reached" in vm.errors[ss.FORM]


def test_a_wrong_password_does_not_spend_a_second_code(store: CaseStore) -> None:
    server = FakeServer()
    vm = screen(store, server)
    fill(vm, password="verkeerd")
    assert not vm.enrol()
    assert "not accepted" in vm.errors[ss.PASSWORD]
    assert "do not need to type it again" in vm.errors[ss.PASSWORD]
    assert not vm.enrolled and vm.form.password == ""
    fill(vm, code="", password="juist wachtwoord")  # the code is used up on the server
    assert vm.enrol(), vm.errors
    assert server.enrolments == 1 and server.logins == 2


# -- status, held back, conflicts -------------------------------------------------------------


def enrolled(store: CaseStore) -> SyncScreenViewModel:
    vm = screen(store)
    fill(vm)
    assert vm.enrol()
    return vm


def test_status_facts(store: CaseStore) -> None:
    vm = enrolled(store)
    assert vm.last_sync_text == "Not synced yet"
    assert vm.waiting_text == "Nothing waiting to be sent."
    store.add_case_files([a_case_file()], today=TODAY, now=NOW)
    without_consent = a_case_file(name="Bram Kuipers")
    without_consent.case.consent = None
    store.add_case_files([without_consent], today=TODAY, now=NOW)
    with store.writing() as (conn, _sealer):
        sync_state.set_last_synced_at(conn, NOW.replace(hour=8))
    vm.load()
    assert vm.waiting_text == "9 changes wait to be sent."
    assert vm.kept_text == ("9 changes stay on this device: their cases have no consent to share.")
    assert vm.last_sync_text.endswith("(1 hour ago)")


@pytest.mark.parametrize(
    "code",
    [
        "no_consent",
        "not_authorised",
        "unknown_account",
        "case_mismatch",
        "invalid_case_record",
        "invalid_consent",
        "invalid_text",
        "mutation_id_reused",
        "invalid_record",
    ],
)
def test_every_reason_has_its_own_sentence(code: str) -> None:
    sentence = reason_sentence(code)
    assert code not in sentence and len(sentence) > 40


def test_every_reason_the_server_refuses_with_has_a_sentence() -> None:
    """The codes are read from the push's source, so a new refusal cannot go without words."""
    source = inspect.getsource(sync_push)
    codes = set(re.findall(r'return "([a-z_]+)"', source))
    codes |= set(re.findall(r'_rejected\(batch, m, "([a-z_]+)"', source))
    assert {"invalid_text", "no_consent", "mutation_id_reused"} <= codes
    assert codes <= set(REASONS)


def test_an_unknown_reason_still_says_something() -> None:
    assert reason_sentence("quota") == (
        "The dossier server refused this change (quota). It stays on this device."
    )


def test_held_back_changes_are_listed_in_words_and_can_be_retried(store: CaseStore) -> None:
    vm = enrolled(store)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    with store.writing() as (conn, sealer):
        items = outbox.items(conn, sealer)
        agreement = next(i for i in items if i.entity.value == "agreement")
        outbox.mark(conn, agreement.mutation_id, state="held_back", reason="not_authorised")
    vm.load()
    assert len(vm.held_back) == 1
    row = vm.held_back[0]
    assert row.what.startswith("A change to the agreement “")
    assert "in the case of Fenna de Bruijn-Özdemir" in row.what
    assert row.reason == reason_sentence("not_authorised")
    vm.retry(row.mutation_id)
    assert vm.held_back == [] and vm.status.waiting == 9
    assert vm.result == "The change will be sent again with the next sync."


def test_a_refused_signature_is_named_as_the_signed_plan(store: CaseStore) -> None:
    vm = enrolled(store)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    with store.writing() as (conn, sealer):
        signature = outbox.append(
            conn,
            sealer,
            entity=ModelEntity.PLAN_SIGNATURE,
            record_id=str(uuid.uuid4()),
            case_id=f.case.id,
            fields={},
            now=NOW,
        )
        outbox.mark(conn, signature, state="held_back", reason="frozen")
    vm.load()
    [row] = vm.held_back
    assert row.what == "A change to the signed plan in the case of Fenna de Bruijn-Özdemir"
    assert row.reason == reason_sentence("frozen") != reason_sentence("unknown_signing_key")


def conflict_on(store: CaseStore, *, mine: str, theirs: str) -> tuple[str, str]:
    """An agreement edited here whose ``what`` the server has another value for."""
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    with store.writing() as (conn, _sealer):
        conn.execute(outbox.OUTBOX.delete())  # as if everything was sent and acknowledged
        outbox.set_base(conn, ModelEntity.AGREEMENT, f.agreements[0].id, 5)  # as pulled
    agreement = f.agreements[0]
    store.save_agreement(dataclasses.replace(agreement, what=mine))
    with store.writing() as (conn, sealer):
        (item,) = outbox.items(conn, sealer)
        outbox.mark(conn, item.mutation_id, state="conflict", reason="conflict")
        c = Conflict(
            entity=Entity.AGREEMENT,
            record_id=uuid.UUID(agreement.id),
            case_id=uuid.UUID(f.case.id),
            field="what",
            mine=mine,
            theirs=theirs,
            server_seq=9,
            mutation_id=uuid.UUID(item.mutation_id),
        )
        cycle._save_conflicts(conn, sealer, [c])
    return f.case.id, agreement.id


def test_a_conflict_is_asked_in_plain_words(store: CaseStore) -> None:
    vm = enrolled(store)
    conflict_on(store, mine="Elke maandag de post.", theirs="Elke dinsdag de post.")
    vm.load()
    (row,) = vm.conflicts
    assert row.question == (
        "You and another professional both changed the text of the agreement "
        "“Elke maandag de post.” in the case of Fenna de Bruijn-Özdemir. Which one stands?"
    )
    assert (row.mine, row.theirs) == ("Elke maandag de post.", "Elke dinsdag de post.")


def agreement_of(store: CaseStore, case_id: str, agreement_id: str) -> Agreement:
    return next(a for a in queries.case_file(store, case_id).agreements if a.id == agreement_id)


def test_theirs_stands(store: CaseStore) -> None:
    vm = enrolled(store)
    case_id, agreement_id = conflict_on(store, mine="Maandag", theirs="Dinsdag")
    vm.load()
    vm.choose(vm.conflicts[0], keep_mine=False)
    assert vm.conflicts == [] and vm.result == "The other version stands."
    agreement = agreement_of(store, case_id, agreement_id)
    assert agreement.what == "Dinsdag"
    assert vm.status.waiting == 0


def test_mine_stands_and_waits_to_be_sent(store: CaseStore) -> None:
    vm = enrolled(store)
    case_id, agreement_id = conflict_on(store, mine="Maandag", theirs="Dinsdag")
    vm.load()
    vm.choose(vm.conflicts[0], keep_mine=True)
    assert vm.conflicts == [] and vm.status.waiting == 1
    agreement = agreement_of(store, case_id, agreement_id)
    assert agreement.what == "Maandag"


def test_values_are_shown_as_people_read_them(store: CaseStore) -> None:
    vm = enrolled(store)
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    case_file = queries.case_file(store, f.case.id)
    daughter = f.participants[1]
    assert vm._value("owner_id", daughter.id, case_file) == "Sanne de Bruijn"
    assert vm._value("due_date", "2026-12-01", case_file) == "01-12-2026"
    assert vm._value("consent_given", True, case_file) == "yes"
    assert vm._value("note", "", case_file) == "(empty)"
    assert vm._value("needs", ["Hulp", "Vervoer"], case_file) == "Hulp; Vervoer"
    assert vm._value("organisation_id", "pantein", case_file) != "pantein"
    # Someone taken off the case (on another tablet) is shown marked, as on the case screen.
    case_file.participants[1] = dataclasses.replace(daughter, removed_on=TODAY)
    assert (
        vm._value("owner_id", daughter.id, case_file) == "Sanne de Bruijn (no longer taking part)"
    )
    assert vm._value("present", [f.participants[0].id, daughter.id], case_file) == (
        f"{f.participants[0].name}, Sanne de Bruijn (no longer taking part)"
    )


def test_sync_now_offline_keeps_everything(store: CaseStore) -> None:
    server = FakeServer()
    vm = screen(store, server)
    fill(vm)
    assert vm.enrol()
    store.add_case_files([a_case_file()], today=TODAY, now=NOW)
    server.offline = True
    status = vm.sync_now()
    assert status.state is SyncState.OFFLINE
    assert vm.status.waiting == 9 and vm.problem_text is not None
    assert "cannot be reached" in (vm.problem_text or "") and vm.result is None


def test_the_session_reaches_the_sync_screen_only_unlocked(store: CaseStore) -> None:
    from ui.viewmodels.session import AppSession, Screen

    session = AppSession(store.path, clock=lambda: NOW)
    session.store = store
    session.open_case("c")
    session.go(Screen.SYNC)
    assert session.screen is Screen.SYNC and session.case_id is None
    store.lock()
    assert str(session.screen) == "unlock"  # never past the lock
