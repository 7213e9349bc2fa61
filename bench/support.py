"""Shared pieces of the benchmarks: timing, synthetic case files, a plaintext baseline sealer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from models.domain import (
    Agreement,
    AgreementStatus,
    Case,
    CaseFile,
    Meeting,
    Participant,
    ParticipantRole,
    Resident,
)

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PASSPHRASE = "benchmark passphrase, synthetic data only"


def median_seconds(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class PlainSealer:
    """The baseline: same store code and schema, values stored as plain UTF-8 bytes."""

    def seal_text(self, value: str | None, **_: str) -> bytes | None:
        return None if value is None else value.encode()

    def open_text(self, blob: bytes | None, **_: str) -> str | None:
        return None if blob is None else blob.decode()

    def seal_json(self, value: Any, **_: str) -> bytes | None:
        import json

        return None if value is None else json.dumps(value).encode()

    def open_json(self, blob: bytes | None, **_: str) -> Any:
        import json

        return None if blob is None else json.loads(blob)

    def wipe(self) -> None:
        return None


def synthetic_case_files(count: int, *, agreements: int = 5) -> Iterator[CaseFile]:
    """Cheap synthetic case files (no Faker: generation must not dominate set-up time)."""
    for i in range(count):
        # Two years of contacts: an established team's dossier, where most past work is done.
        contact = TODAY - timedelta(days=i % 730)
        case = Case(
            resident=Resident(name=f"Bewoner Nummer {i} van der Ëlst", phone="06-12345678"),
            contact_date=contact,
            question="Ik wil weer grip op mijn geld en op mijn dagen.",
        )
        resident = Participant(case_id=case.id, role=ParticipantRole.RESIDENT, name=f"Bewoner {i}")
        helper = Participant(
            case_id=case.id, role=ParticipantRole.NETWORK, name=f"Buurvrouw {i}", relation="buur"
        )
        held = contact + timedelta(days=i % 16)
        f = CaseFile(case=case, participants=[resident, helper])
        if held > TODAY:
            yield f  # MDO not held yet
            continue
        meeting = Meeting(
            case_id=case.id,
            planned_for=datetime.combine(held, clock_time(10), tzinfo=UTC),
            held_on=held,
            wants=["Ik wil weer zelf boodschappen doen."],
            strengths=["Ik kan goed koken."],
            needs=["Ik heb hulp nodig bij de post."],
        )
        f.meetings.append(meeting)
        for j in range(agreements):
            due = held + timedelta(days=7 * (j + 1))
            done = due <= TODAY and (i * 7 + j) % 50 != 0  # one in fifty past-due stays open
            f.agreements.append(
                Agreement(
                    case_id=case.id,
                    meeting_id=meeting.id,
                    what=f"Afspraak {j}: samen de post doorlopen en een map maken.",
                    owner_id=helper.id if j % 2 else resident.id,
                    due_date=due,
                    status=AgreementStatus.DONE if done else AgreementStatus.OPEN,
                    done_on=due if done else None,
                )
            )
        if all(a.done_on for a in f.agreements) and contact < TODAY - timedelta(days=90):
            case.closed_on = max(a.done_on for a in f.agreements if a.done_on)
        yield f
