"""Back-fill for a new member, on real app stores against the live dossier server (issue #5).

Tablet B has synced past tablet A's case already (it had no access then). A links B's account to
the case as a professional participant; B's next sync must bring the complete case, its earlier
history included, without a change that could not be applied (see server/sync_pull.py).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

import pytest

from models import queries
from models.domain import ParticipantRole
from sync import cycle
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker, make_professional
from tests.integration.sync.test_two_devices import comparable, enrol, outbox_of
from tests.support.factories import TODAY, a_case_file
from ui.viewmodels import plan as pl


@pytest.mark.parametrize("page", [cycle.PULL_PAGE, 2], ids=["one-page", "small-pages"])
def test_a_colleague_linked_later_gets_the_complete_case(
    world: World,
    live_url: str,
    professional: Professional,
    new_store: StoreMaker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    page: int,
) -> None:
    monkeypatch.setattr(cycle, "PULL_PAGE", page)
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    a, b = new_store("a"), new_store("b")
    enrol(a, world, live_url, professional)
    enrol(b, world, live_url, colleague)

    # A's case, with some history on the server.
    f = a_case_file()
    a.add_case_files([f], today=TODAY, now=datetime.now(UTC))
    assert cycle.run_cycle(a).state is SyncState.SYNCED
    one = f.agreements[0]
    a.save_agreement(dataclasses.replace(one, what="Samen de post doorlopen, elke maandag."))
    assert cycle.run_cycle(a).state is SyncState.SYNCED

    # B has a case of its own and syncs past all of A's changes, seeing none of them.
    own = a_case_file()
    b.add_case_files([own], today=TODAY, now=datetime.now(UTC))
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert [s.case_id for s in queries.case_summaries(b, today=TODAY)] == [own.case.id]

    # A links B's account to the case.
    plan = pl.PlanViewModel(a, f.case.id, today=lambda: TODAY)
    linked = plan.add_person(
        role=ParticipantRole.PROFESSIONAL,
        name="Noor Jansen",
        relation="maatschappelijk werker",
        account_id=str(colleague.account_id),
    )
    assert linked is not None
    assert cycle.run_cycle(a).state is SyncState.SYNCED

    with caplog.at_level(logging.WARNING, logger="sync.cycle"):
        status = cycle.run_cycle(b)
    assert (status.state, status.conflicts, status.waiting) == (SyncState.SYNCED, 0, 0)
    assert status.held_back == ()
    assert "could not be applied" not in caplog.text
    assert {s.case_id for s in queries.case_summaries(b, today=TODAY)} == {
        own.case.id,
        f.case.id,
    }
    assert comparable(queries.case_file(b, f.case.id)) == comparable(
        queries.case_file(a, f.case.id)
    )
    assert outbox_of(b) == []  # what came from the server is not queued back to it

    # Another sync brings nothing twice and still agrees.
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert comparable(queries.case_file(b, f.case.id)) == comparable(
        queries.case_file(a, f.case.id)
    )
    assert outbox_of(b) == []
