"""The team-lead read model brought in step per push batch (``projection.project_batch``) ends
exactly where pushing the same mutations one by one ends, on SQLite and PostgreSQL.

One scenario is played twice in one database with its own record ids: once as a few large
batches, once one mutation per push. The batches hold several changes to the same records, a
resident renamed after its case was written, a meeting moved after its agreements, an owner
renamed, an owner taken off the case in the same batch and in a later one, malformed values, a
part changed before and after its case's deletion in the same batch, the case deleted and created
again in one batch, and a case coming back in a later push. After every phase the five report
tables, with the ids mapped back to their names, are the same.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, select
from sqlmodel import Session

from server.models.reports import (
    ReportAgreement,
    ReportCase,
    ReportMeasurement,
    ReportMeeting,
    ReportParticipant,
)
from sync.protocol import Entity, Mutation, Op, PushRequest
from tests.integration.server.world import Login, World

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TABLES = (ReportCase, ReportParticipant, ReportMeeting, ReportAgreement, ReportMeasurement)
NAMES = ("R", "C", "P1", "P2", "P3", "P4", "P5", "M1", "M2", "A1", "A2", "A3", "X1", "X2")

Step = tuple[Entity, str, Op, dict[str, Any]]


def phases(account: str) -> list[list[Step]]:
    up, gone = Op.UPSERT, Op.DELETE
    resident, case, participant = Entity.RESIDENT, Entity.CASE, Entity.PARTICIPANT
    meeting, agreement, measurement = Entity.MEETING, Entity.AGREEMENT, Entity.MEASUREMENT
    return [
        [  # a case file, the case before its resident, agreements before their meeting's move
            (case, "C", up, {"resident_id": "@R", "contact_date": "2026-09-01",
                             "consent_given": True, "organisation_id": "ggd", "question": "Post"}),
            (resident, "R", up, {"name": "Bewoner een"}),
            (participant, "P1", up, {"role": "professional", "name": "Pro",
                                     "organisation_id": "ggd", "account_id": account}),
            (participant, "P2", up, {"role": "network", "name": "Buurman"}),
            (agreement, "A1", up, {"meeting_id": "@M1", "owner_id": "@P2", "what": "Post",
                                   "status": "done", "done_on": "2026-10-01",
                                   "due_date": "2026-09-30"}),
            (meeting, "M1", up, {"held_on": "2026-09-20"}),
            (agreement, "A2", up, {"meeting_id": "@M1", "owner_id": "@P1", "what": "Bellen",
                                   "due_date": "2026-10-10"}),
            (measurement, "X1", up, {"moment": "contact", "taken_on": "2026-09-01",
                                     "wellbeing": 5, "positive_health": {"meaningfulness": 7}}),
            (meeting, "M1", up, {"held_on": "2026-09-15"}),
            (participant, "P2", up, {"name": "Buurvrouw"}),
            (participant, "P2", up, {"removed_on": "2026-10-02"}),  # A1's owner, taken off
            (agreement, "A1", up, {"done_on": "1 oktober"}),  # malformed: NULL, no failure
            (agreement, "A1", up, {"done_on": "2026-10-03"}),
            (resident, "R", up, {"name": "Bewoner twee"}),
        ],
        [  # changes, a deletion and a re-creation of the case in one batch
            (meeting, "M2", up, {"held_on": "2026-09-10"}),  # the first meeting moves earlier
            (agreement, "A2", up, {"status": "whatever", "due_date": 12}),
            (participant, "P3", up, {"role": "nonsense", "name": 7}),
            (measurement, "X2", up, {"moment": "later", "taken_on": "x", "wellbeing": 11}),
            (case, "C", gone, {}),
            (participant, "P4", up, {"role": "resident", "name": "Na de verwijdering"}),
            (measurement, "X1", gone, {}),
            (case, "C", up, {"resident_id": "@R", "contact_date": "2026-09-02",
                             "consent_given": True}),
            (meeting, "M2", up, {"held_on": "2026-09-12"}),
            (participant, "P2", gone, {}),
        ],
        [  # the case deleted, a part changed before and one after it in the same batch
            (agreement, "A2", up, {"status": "open"}),
            (case, "C", gone, {}),
            (participant, "P5", up, {"role": "network", "name": "Later"}),
            (resident, "R", up, {"name": "Bewoner drie"}),
        ],
        [  # the case comes back, with a meeting moved and an agreement done on the way
            (meeting, "M1", up, {"held_on": "2026-09-14"}),
            (case, "C", up, {"resident_id": "@R", "contact_date": "2026-09-01",
                             "consent_given": True}),
            (agreement, "A3", up, {"meeting_id": "@M1", "owner_id": "@P1", "status": "done",
                                   "done_on": "2026-09-30"}),
            (agreement, "A1", gone, {}),
            (resident, "R", gone, {}),
            (agreement, "A2", up, {"owner_id": "@P5"}),
        ],
        [  # A2's owner is taken off the case in a later push
            (participant, "P5", up, {"removed_on": "2026-11-20"}),
        ],
    ]  # fmt: skip


def mutations(steps: list[Step], ids: dict[str, uuid.UUID]) -> list[Mutation]:
    def value(v: Any) -> Any:
        return str(ids[v[1:]]) if isinstance(v, str) and v.startswith("@") else v

    return [
        Mutation(
            mutation_id=uuid.uuid4(),
            entity=entity,
            record_id=ids[name],
            case_id=ids["C"],
            op=op,
            fields={k: value(v) for k, v in fields.items()},
            device_time=NOW,
        )
        for entity, name, op, fields in steps
    ]


def push(world: World, login: Login, batch: list[Mutation]) -> None:
    response = world.dossier(login).push(PushRequest(device_id=login.device_id, mutations=batch))
    assert [r.outcome for r in response.results] == ["applied"] * len(batch)


def read_model(engine: Engine, ids: dict[str, uuid.UUID]) -> dict[str, list[tuple[Any, ...]]]:
    """The report rows of one play of the scenario, with its ids replaced by their names."""
    names = {v: k for k, v in ids.items()}
    with Session(engine) as session:
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for model in TABLES:
            table: Any = cast(Any, model).__table__
            rows = session.execute(select(table).where(table.c.case_id == ids["C"])).all()
            tables[table.name] = sorted(
                (tuple(names.get(v, v) for v in row) for row in rows), key=repr
            )
    return tables


def test_a_batch_projects_as_its_mutations_one_by_one(world: World, engine: Engine) -> None:
    org = world.organisation()
    pro = world.member(org, team_id=org.team_id)
    batched = {name: uuid.uuid4() for name in NAMES}
    single = {name: uuid.uuid4() for name in NAMES}
    for n, steps in enumerate(phases(str(pro.account_id))):
        push(world, pro, mutations(steps, batched))
        for m in mutations(steps, single):
            push(world, pro, [m])
        together, one_by_one = read_model(engine, batched), read_model(engine, single)
        assert together == one_by_one, f"phase {n + 1}"
        assert together["report_case"] or n == 2  # phase 3 ends with the case deleted
    # The end state, by hand: the case is back with its live records.
    final = read_model(engine, batched)
    (case,) = final["report_case"]
    assert case[1:6] == ("R", "", datetime(2026, 9, 1).date(), datetime(2026, 9, 12).date(), 11)
    assert [row[0] for row in final["report_participant"]] == ["P1", "P3", "P4", "P5"]
    agreements = {row[0]: row for row in final["report_agreement"]}
    assert sorted(agreements) == ["A2", "A3"]
    # A3: meeting M1 held 14-09, done 30-09 (16 days), owned by the professional.
    assert agreements["A3"][-2:] == (datetime(2026, 9, 14).date(), 16)
    assert agreements["A3"][4:8] == ("Pro", pro.account_id, "ggd", False)
    # A2: its owner P5 (a network member) was taken off the case after A2 was written.
    assert agreements["A2"][3:8] == ("P5", "Later", None, None, True)
    assert [row[0] for row in final["report_measurement"]] == ["X2"]
