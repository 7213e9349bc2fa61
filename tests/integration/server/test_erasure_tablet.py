"""A case erased on the dossier server (``python -m server erase-case``, AVG art. 17) leaves the
tablets at their next sync: two real app stores, the real server app on loopback, the command as
a real process, on SQLite and PostgreSQL (issue #5).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models import queries
from models.domain import Agreement, Participant, ParticipantRole
from models.store import CaseStore
from server.erasure import erase_case
from server.models.dossier import ChangeRow, DossierRecord
from server.settings import ARGON2_FLOOR_KIB
from sync import cycle
from sync.client import DossierClient
from sync.cycle import SyncState
from sync.protocol import PushRequest, PushResponse
from tests.integration.server.world import World
from tests.integration.sync.conftest import (  # the device-side fixtures, as in tests/.../sync
    Professional,
    StoreMaker,
    make_professional,
    new_store,
    org,
    professional,
)
from tests.integration.sync.test_two_devices import enrol, outbox_of
from tests.support.factories import TODAY, a_case_file
from tests.support.signatures import a_plan_case_file
from tests.support.store_scan import ids_of_case, rows_naming

__all__ = ["new_store", "org", "professional"]  # fixtures used by name

ROOT = Path(__file__).resolve().parents[3]


def _erase_with_the_command(database_url: str, case_id: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEUKENTAFEL_")}
    env.update(
        DATABASE_URL=database_url,
        KEUKENTAFEL_ARGON2_MEMORY_KIB=str(ARGON2_FLOOR_KIB),
        KEUKENTAFEL_ARGON2_TIME_COST="2",
        KEUKENTAFEL_ARGON2_PARALLELISM="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", "server", "erase-case", case_id, "--request", "verzoek-2026-17"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _shared_case(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> tuple[CaseStore, CaseStore, str, str]:
    """A brings a case to the server and links B's account to it; both hold it. B also has a
    case of its own on the server. Returns both stores, the shared case id and B's own."""
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    a, b = new_store("a"), new_store("b")
    enrol(a, world, live_url, professional)
    enrol(b, world, live_url, colleague)
    shared = a_plan_case_file(agreements=2)
    a.add_case_files([shared], today=TODAY, now=datetime.now(UTC))
    a.save_participant(
        Participant(
            case_id=shared.case.id,
            role=ParticipantRole.PROFESSIONAL,
            name="Noor Jansen",
            relation="maatschappelijk werker",
            account_id=str(colleague.account_id),
        )
    )
    assert cycle.run_cycle(a).state is SyncState.SYNCED
    own = a_case_file(name="Bram Kuipers")
    b.add_case_files([own], today=TODAY, now=datetime.now(UTC))
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert queries.case_file(b, shared.case.id).case.id == shared.case.id
    return a, b, shared.case.id, own.case.id


def _add_agreement(store: CaseStore, case_id: str) -> None:
    f = queries.case_file(store, case_id)
    store.save_agreement(
        Agreement(
            case_id=case_id,
            meeting_id=f.meetings[0].id,
            what="Samen naar de schuldhulp",
            owner_id=f.participants[0].id,
            due_date=TODAY,
        )
    )


def _server_holds(world: World, case: str) -> int:
    case_id = uuid.UUID(case)
    with Session(world.engine) as session:
        records = session.exec(
            select(DossierRecord.record_id).where(col(DossierRecord.case_id) == case_id)
        ).all()
        changes = session.exec(select(ChangeRow.seq).where(col(ChangeRow.case_id) == case_id)).all()
    return len(records) + len(changes)


def test_both_tablets_remove_an_erased_case_and_keep_their_others(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    a, b, shared, own = _shared_case(world, live_url, professional, new_store)
    # B, offline, adds an agreement to the shared case: it waits in B's outbox.
    _add_agreement(b, shared)
    waiting = outbox_of(b)
    assert len(waiting) == 1
    gone_a, gone_b = ids_of_case(a, shared), ids_of_case(b, shared)
    own_before = queries.case_file(b, own)
    assert _server_holds(world, shared) > 0

    line = _erase_with_the_command(world.settings.database_url, shared)
    assert line.startswith(f"case {shared} erased:")
    assert _server_holds(world, shared) == 0

    status = cycle.run_cycle(b)
    assert status.state is SyncState.SYNCED
    assert (status.cases_removed, status.changes_dropped) == (1, 1)
    assert rows_naming(b, gone_b) == {}  # nothing of it left on B, its waiting change included
    assert outbox_of(b) == []
    assert queries.case_file(b, own) == own_before
    assert shared not in {s.case_id for s in queries.case_summaries(b, today=TODAY)}

    status = cycle.run_cycle(a)  # the creator's tablet too
    assert (status.state, status.cases_removed) == (SyncState.SYNCED, 1)
    assert rows_naming(a, gone_a) == {}
    # And the next cycles bring nothing back.
    assert cycle.run_cycle(a).cases_removed == 0 and cycle.run_cycle(b).cases_removed == 0
    assert _server_holds(world, shared) == 0


class _ErasingBeforePush(DossierClient):
    """The erasure lands between the cycle's first pull and its push (a race the rule for a late
    push exists for); the answers of the pushes are kept."""

    erase: tuple[World, str] | None = None
    answers: list[PushResponse] = []  # noqa: RUF012  (one test, one list)

    def push(self, request: PushRequest, *, access_token: str) -> PushResponse:
        if self.erase is not None:
            world, case_id = self.erase
            type(self).erase = None
            with Session(world.engine) as session:
                erase_case(session, uuid.UUID(case_id))
                session.commit()
        answer = super().push(request, access_token=access_token)
        self.answers.append(answer)
        return answer


def test_a_change_pushed_after_the_erasure_is_refused_then_dropped(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    _a, b, shared, _own = _shared_case(world, live_url, professional, new_store)
    _add_agreement(b, shared)
    # B's change is held back with the reason, not applied: the server does not make the case
    # again; the same cycle's second pull then names the case and B lets go of it.
    _ErasingBeforePush.erase = (world, shared)
    _ErasingBeforePush.answers = []
    gone = ids_of_case(b, shared)
    status = cycle.run_cycle(b, client_factory=_ErasingBeforePush)
    reasons = [r.reason for answer in _ErasingBeforePush.answers for r in answer.results]
    assert reasons == ["case_erased"]
    assert (status.state, status.cases_removed, status.changes_dropped) == (
        SyncState.SYNCED,
        1,
        1,
    )
    assert rows_naming(b, gone) == {} and outbox_of(b) == []
    assert _server_holds(world, shared) == 0


@pytest.fixture(autouse=True)
def _no_leftover_race() -> None:
    _ErasingBeforePush.erase = None
