"""Two app stores and the real dossier server on loopback: the device side of sync, end to end.

Each device is a real encrypted ``CaseStore`` with its own enrolment; they talk to the server over
real HTTP through ``sync.client``, and ``sync.cycle`` drives the engine. On SQLite and PostgreSQL.

Where the server runs:

- The core convergence test (offline edits on both devices, sync, both converge) runs against a
  real ``python -m server`` process (tests/support/server_process.py, fixture ``server_process``),
  which is stopped while the devices work offline and started again for the sync.
- The other tests serve the same app with uvicorn in a thread of pytest (fixture ``live_url``):
  what they check does not depend on the process, and a server process costs several seconds per
  test and database to start on a loaded machine. Killing the server process mid-push is in
  test_server_killed.py, a signed plan meeting a pulled change in test_signed_plan_sync.py.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from models import queries, sync_state
from models.domain import Case, CaseFile, Consent
from models.outbox import items as outbox_items
from models.store import CaseStore
from server.models.dossier import ChangeRow, DossierRecord
from sync import cycle
from sync.client import DossierClient
from sync.cycle import SyncState
from sync.errors import DeviceRevokedError
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file
from tests.support.server_process import ServerProcess


def enrol(store: CaseStore, world: World, url: str, who: Professional) -> None:
    cycle.enrol_device(
        store, url, world.code(who.org), email=who.email, password=who.password, label="tablet"
    )


def outbox_of(store: CaseStore) -> list[str]:
    with store.reading() as (conn, sealer):
        return [i.mutation_id for i in outbox_items(conn, sealer)]


def comparable(f: CaseFile) -> CaseFile:
    """A case file without what is this device's own (the meeting screen's step)."""
    meetings = [dataclasses.replace(m, progress="") for m in f.meetings]
    key = lambda r: r.id  # noqa: E731
    return CaseFile(
        case=f.case,
        participants=sorted(f.participants, key=key),
        meetings=sorted(meetings, key=key),
        agreements=sorted(f.agreements, key=key),
        measurements=sorted(f.measurements, key=key),
    )


def test_offline_edits_on_two_devices_converge_and_a_conflict_is_resolvable(
    world: World, server_process: ServerProcess, professional: Professional, new_store: StoreMaker
) -> None:
    a, b = new_store("a"), new_store("b")
    enrol(a, world, server_process.url, professional)
    enrol(b, world, server_process.url, professional)
    # Device B's clock runs a day behind: pulling goes by server seq, so it must not matter.
    day_behind = lambda: datetime.now(UTC) - timedelta(days=1)  # noqa: E731
    b.clock = day_behind

    f = a_case_file()
    a.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    assert cycle.run_cycle(a).state is SyncState.SYNCED
    assert outbox_of(a) == []
    status_b = cycle.run_cycle(b, now=day_behind)
    assert status_b.state is SyncState.SYNCED and status_b.waiting == 0
    assert comparable(queries.case_file(b, f.case.id)) == comparable(f)
    assert outbox_of(b) == []  # what came from the server is not queued back to it

    # Offline (the server is down): different fields of one agreement, the same of the other.
    server_process.stop()
    one, other = f.agreements
    a.save_agreement(dataclasses.replace(one, what="Samen de post doorlopen, elke maandag."))
    b.save_agreement(dataclasses.replace(one, note="Dochter helpt mee."))
    a.save_agreement(dataclasses.replace(other, what="Versie van tablet A"))
    b.save_agreement(dataclasses.replace(other, what="Versie van tablet B"))
    assert cycle.run_cycle(a).state is SyncState.OFFLINE
    assert cycle.run_cycle(b, now=day_behind).state is SyncState.OFFLINE
    assert cycle.local_status(a).waiting == 2
    assert cycle.local_status(b).waiting == 2
    server_process.start()  # back, on the same database and port

    assert cycle.run_cycle(a).state is SyncState.SYNCED
    status_b = cycle.run_cycle(b, now=day_behind)
    assert status_b.state is SyncState.SYNCED
    assert status_b.conflicts == 1
    status_a = cycle.run_cycle(a)
    assert status_a.conflicts == 0 and status_a.waiting == 0

    # The disjoint edits merged on both devices.
    for store in (a, b):
        merged = next(x for x in queries.case_file(store, f.case.id).agreements if x.id == one.id)
        assert merged.what == "Samen de post doorlopen, elke maandag."
        assert merged.note == "Dochter helpt mee."

    # The same-field edit waits for B's user, kept and persisted (survives a restart).
    path = b.path
    b.close()
    b = CaseStore.open(path)
    b.unlock(PASSPHRASE, now=NOW)
    b.clock = day_behind
    [conflict] = cycle.open_conflicts(b)
    assert (conflict.field, conflict.mine, conflict.theirs) == (
        "what",
        "Versie van tablet B",
        "Versie van tablet A",
    )
    local = next(x for x in queries.case_file(b, f.case.id).agreements if x.id == other.id)
    assert local.what == "Versie van tablet B"  # never silently overwritten

    cycle.resolve_conflict(b, conflict, keep_mine=True)
    status_b = cycle.run_cycle(b, now=day_behind)
    assert (status_b.state, status_b.conflicts, status_b.waiting) == (SyncState.SYNCED, 0, 0)
    assert cycle.run_cycle(a).state is SyncState.SYNCED

    file_a, file_b = queries.case_file(a, f.case.id), queries.case_file(b, f.case.id)
    assert comparable(file_a) == comparable(file_b)
    resolved = next(x for x in file_a.agreements if x.id == other.id)
    assert resolved.what == "Versie van tablet B"
    assert outbox_of(a) == [] and outbox_of(b) == []
    b.close()

    # Every acknowledged save is on the server exactly once.
    with Session(world.engine) as session:
        ids = session.exec(select(ChangeRow.mutation_id)).all()
    assert len(ids) == len(set(ids))


def test_taking_the_other_value_writes_it_locally_and_sends_nothing(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    a, b = new_store("a"), new_store("b")
    enrol(a, world, live_url, professional)
    enrol(b, world, live_url, professional)
    f = a_case_file()
    a.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    cycle.run_cycle(a)
    cycle.run_cycle(b)
    agreement = f.agreements[0]
    a.save_agreement(dataclasses.replace(agreement, what="Van A"))
    b.save_agreement(dataclasses.replace(agreement, what="Van B"))
    cycle.run_cycle(a)
    assert cycle.run_cycle(b).conflicts == 1
    [conflict] = cycle.open_conflicts(b)
    cycle.resolve_conflict(b, conflict, keep_mine=False)
    assert outbox_of(b) == []
    assert queries.case_file(b, f.case.id).agreements[0].what == "Van A"
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert comparable(queries.case_file(a, f.case.id)) == comparable(
        queries.case_file(b, f.case.id)
    )


def test_a_case_without_consent_never_reaches_the_server(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    a = new_store("a")
    enrol(a, world, live_url, professional)
    f = a_case_file()
    f.case.consent = None
    a.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    queued = len(outbox_of(a))

    status = cycle.run_cycle(a)
    assert status.state is SyncState.SYNCED
    assert (status.waiting, status.kept_on_device) == (0, queued)
    with Session(world.engine) as session:
        assert session.exec(select(DossierRecord)).all() == []
        assert session.exec(select(ChangeRow)).all() == []

    # The resident agrees: now the whole case goes, including what was queued before.
    case: Case = dataclasses.replace(f.case, consent=Consent(given=True, recorded_on=TODAY))
    a.update_case(case, today=TODAY, now=datetime.now(UTC))
    status = cycle.run_cycle(a)
    assert (status.state, status.waiting, status.kept_on_device) == (SyncState.SYNCED, 0, 0)
    assert status.held_back == ()
    with Session(world.engine) as session:
        records = {r.record_id for r in session.exec(select(DossierRecord)).all()}
    assert uuid.UUID(f.case.id) in records and uuid.UUID(f.agreements[0].id) in records


def test_a_revoked_device_wipes_its_store_and_says_why(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    import keyring

    a = new_store("a")
    enrol(a, world, live_url, professional)
    a.add_case_files([a_case_file()], today=TODAY, now=datetime.now(UTC))
    assert cycle.run_cycle(a).state is SyncState.SYNCED
    with a.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    assert account is not None
    assert keyring.get_password("keukentafel", a.store_id) is not None

    revoked = world.client.post(
        f"/devices/{account.device_id}/revoke", headers=professional.org.admin.headers
    )
    assert revoked.status_code == 200, revoked.text

    status = cycle.run_cycle(a)
    assert status.state is SyncState.WIPED
    assert status.message == DeviceRevokedError().message  # tells the user why
    assert not a.path.exists()
    assert not a.path.with_name(a.path.name + "-wal").exists()
    assert keyring.get_password("keukentafel", a.store_id) is None
    assert a.is_locked


class LoseFirstPushResponse(httpx.HTTPTransport):
    """The server gets the push and commits it; the answer never reaches the device."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path == "/sync/push" and self.lost == 0:
            response.read()
            response.close()
            self.lost += 1
            raise httpx.ReadError("connection reset", request=request)
        return response


def test_a_lost_push_response_is_resent_and_acknowledged_once(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    a = new_store("a")
    enrol(a, world, live_url, professional)
    f = a_case_file()
    a.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    queued = outbox_of(a)
    transport = LoseFirstPushResponse()

    def client(url: str) -> DossierClient:
        return DossierClient(url, transport=transport)

    status = cycle.run_cycle(a, client_factory=client)
    assert status.state is SyncState.OFFLINE
    assert transport.lost == 1
    assert outbox_of(a) == queued  # nothing acknowledged, so nothing left the outbox
    with Session(world.engine) as session:
        applied = session.exec(select(ChangeRow.mutation_id)).all()
    assert sorted(str(m) for m in applied) == sorted(queued)  # the server did apply it

    status = cycle.run_cycle(a, client_factory=client)
    assert status.state is SyncState.SYNCED
    assert outbox_of(a) == []
    with Session(world.engine) as session:
        again = session.exec(select(ChangeRow.mutation_id)).all()
    assert sorted(again) == sorted(applied)  # acknowledged as duplicates, applied once


def test_offline_keeps_everything_and_says_so(
    world: World, professional: Professional, live_url: str, new_store: StoreMaker
) -> None:
    a = new_store("a")
    enrol(a, world, live_url, professional)
    a.add_case_files([a_case_file()], today=TODAY, now=datetime.now(UTC))
    queued = outbox_of(a)
    with a.writing() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
        assert account is not None
        moved = dataclasses.replace(account, server_url="http://127.0.0.1:9")  # nobody listens
        sync_state.save_account(conn, sealer, moved, now=datetime.now(UTC))
    status = cycle.run_cycle(a)
    assert status.state is SyncState.OFFLINE
    assert status.waiting == len(queued)
    assert outbox_of(a) == queued


@pytest.mark.parametrize(
    "url", ["http://dossier.example.org", "ftp://127.0.0.1", "http://10.0.0.5:8000", "nonsense"]
)
def test_plain_http_is_refused_except_to_loopback(url: str) -> None:
    from sync.errors import InsecureServerError

    with pytest.raises(InsecureServerError):
        DossierClient(url)
    for fine in ("https://dossier.example.org", "http://127.0.0.1:8000", "http://localhost:1"):
        DossierClient(fine).close()
