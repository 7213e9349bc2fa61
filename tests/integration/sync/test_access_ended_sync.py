"""A colleague's access to a case ends on tablet A; after both sync, tablet B holds nothing of
that case any more, and its other cases are untouched (issue #5: "the tablet keeps only the
active caseload"). Two real app stores, the real server app on loopback, SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from models import plan_pdf, queries, signing
from models.domain import Agreement, Participant, ParticipantRole
from models.store import CaseStore
from sync import cycle
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker, make_professional
from tests.integration.sync.test_two_devices import enrol, outbox_of
from tests.support.factories import NOW, TODAY, a_case_file
from tests.support.signatures import a_plan_case_file, signature_png
from tests.support.store_scan import ids_of_case, rows_naming


def _outbox_cases(store: CaseStore) -> list[str]:
    from models.outbox import items

    with store.reading() as (conn, sealer):
        return [i.case_id for i in items(conn, sealer)]


@pytest.mark.parametrize("how", ["removed from the case", "end dossier access"])
def test_b_keeps_nothing_of_a_case_it_lost_and_keeps_its_other_cases(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker, how: str
) -> None:
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    a, b = new_store("a"), new_store("b")
    enrol(a, world, live_url, professional)
    enrol(b, world, live_url, colleague)

    # A brings a case to the server and links the colleague (B's account) to it.
    shared = a_plan_case_file(agreements=2)
    linked = Participant(
        case_id=shared.case.id,
        role=ParticipantRole.PROFESSIONAL,
        name="Noor Jansen",
        relation="maatschappelijk werker",
        account_id=str(colleague.account_id),
    )
    a.add_case_files([shared], today=TODAY, now=datetime.now(UTC))
    a.save_participant(linked)
    assert cycle.run_cycle(a).state is SyncState.SYNCED
    # B has a case of its own on the server, and one waiting for the resident's consent.
    own, private = a_case_file(name="Bram Kuipers"), a_case_file(name="Ilse Verbeek")
    private.case.consent = dataclasses.replace(private.case.consent, given=False)
    b.add_case_files([own, private], today=TODAY, now=datetime.now(UTC))
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert queries.case_file(b, shared.case.id).case.id == shared.case.id

    # On B, offline: the plan is signed at the table (kept PDF too; the version and signatures are
    # queued as evidence), an agreement is added to the shared case and one to B's own case; none
    # of these reached the server yet.
    meeting = shared.meetings[0]
    ordered = sorted(shared.participants, key=lambda p: p.role is not ParticipantRole.RESIDENT)
    for i, p in enumerate(ordered):
        signing.sign_plan(
            b,
            shared.case.id,
            meeting.id,
            signer_id=p.id,
            image=signature_png(i),
            now=NOW + timedelta(minutes=i),
        )
    signed = signing.signed_plan(b, meeting.id)
    signing.save_plan_pdf(b, signed, plan_pdf.build_plan_pdf(signed, language="nl"))
    b.save_agreement(
        Agreement(
            case_id=shared.case.id,
            meeting_id=meeting.id,
            what="Samen naar de schuldhulp",
            owner_id=ordered[0].id,
            due_date=TODAY + timedelta(days=10),
        )
    )
    b.save_agreement(
        Agreement(
            case_id=own.case.id,
            meeting_id=own.meetings[0].id,
            what="Buurtkamer bezoeken",
            owner_id=own.participants[0].id,
            due_date=TODAY + timedelta(days=10),
        )
    )
    waiting_shared = _outbox_cases(b).count(shared.case.id)
    assert waiting_shared == 1 + 1 + len(ordered)  # the agreement, the version, each signature
    gone_ids = ids_of_case(b, shared.case.id)
    own_before = queries.case_file(b, own.case.id)
    private_before = queries.case_file(b, private.case.id)
    queued = list(zip(outbox_of(b), _outbox_cases(b), strict=True))
    waiting_private = [m for m, c in queued if c == private.case.id]

    # A ends B's access, and syncs.
    if how == "removed from the case":
        a.remove_participant(linked.id, today=TODAY)
    else:
        a.save_participant(dataclasses.replace(linked, account_id=None))
    assert cycle.run_cycle(a).state is SyncState.SYNCED

    status = cycle.run_cycle(b)
    assert status.state is SyncState.SYNCED
    assert (status.cases_removed, status.changes_dropped) == (1, waiting_shared)
    # No row of that case anywhere in B's store: records, plan versions, signatures and the
    # kept PDF, bases, outbox; and no open question about it.
    assert rows_naming(b, gone_ids) == {}
    assert shared.case.id not in _outbox_cases(b)
    assert [c for c in cycle.open_conflicts(b) if str(c.case_id) == shared.case.id] == []
    assert shared.case.id not in {s.case_id for s in queries.case_summaries(b, today=TODAY)}
    # B's other cases and their waiting changes are untouched; its own one reached the server.
    assert queries.case_file(b, own.case.id) == own_before
    assert queries.case_file(b, private.case.id) == private_before
    assert waiting_private and outbox_of(b) == waiting_private  # the own case's were sent

    # A keeps the case, and the next cycles remove nothing more.
    assert queries.case_file(a, shared.case.id).case.id == shared.case.id
    again = cycle.run_cycle(b)
    assert (again.state, again.cases_removed, again.changes_dropped) == (SyncState.SYNCED, 0, 0)
    assert cycle.run_cycle(a).cases_removed == 0
