"""Every free-text field has a length limit: at the limit it passes, one over it is refused.

Property tests over any text (diacritics, Arabic and Turkish letters, emoji, combining marks): the
limit counts characters, and the problem lands on that field alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain import (
    Agreement,
    Case,
    Meeting,
    NoMeetingDecision,
    Participant,
    ParticipantRole,
    Resident,
)
from models.errors import FieldProblem
from models.validation import (
    CONTACT_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    SHORT_TEXT_MAX,
    agreement_problems,
    case_problems,
    meeting_problems,
    participant_problems,
)

pytestmark = pytest.mark.usefixtures("english")

TODAY = date(2026, 6, 15)
MEETING_DATE = date(2026, 6, 1)
OWNER = "owner"


def _case(text: str, where: str) -> list[FieldProblem]:
    resident = Resident(name="Anna de Vries")
    case = Case(resident=resident, contact_date=date(2026, 6, 1), closed_on=date(2026, 6, 10))
    if where == "resident.name":
        case = replace(case, resident=replace(resident, name=text))
    elif where == "resident.address":
        case = replace(case, resident=replace(resident, address=text))
    elif where == "no_meeting.reason":
        case = replace(case, no_meeting=NoMeetingDecision(decided_on=date(2026, 6, 2), reason=text))
    else:
        case = replace(case, **{where: text})
    return case_problems(case, today=TODAY)


def _participant(text: str, where: str) -> list[FieldProblem]:
    p = Participant(case_id="c", role=ParticipantRole.NETWORK, name="Piet", relation="buurman")
    return participant_problems(replace(p, **{where: text}))


def _meeting(text: str, where: str) -> list[FieldProblem]:
    m = Meeting(case_id="c", wants=["Weer fietsen"], strengths=["Koken"], needs=["Hulp bij post"])
    if where == "place":
        return meeting_problems(replace(m, place=text))
    field = where.split("[")[0]
    return meeting_problems(replace(m, **{field: [*getattr(m, field), text]}))


def _agreement(text: str, where: str) -> list[FieldProblem]:
    a = Agreement(
        case_id="c",
        meeting_id="m",
        what="Buurman helpt met de post",
        owner_id=OWNER,
        due_date=MEETING_DATE + timedelta(days=60),  # outside the norm: a reason is needed
        outside_norm_reason="Wachtlijst",
    )
    return agreement_problems(
        replace(a, **{where: text}), meeting_date=MEETING_DATE, participant_ids={OWNER}
    )


Check = Callable[[str, str], list[FieldProblem]]
FIELDS: list[tuple[Check, str, int]] = [
    (_case, "resident.name", NAME_MAX),
    (_case, "resident.address", SHORT_TEXT_MAX),
    (_case, "question", LONG_TEXT_MAX),
    (_case, "no_meeting.reason", SHORT_TEXT_MAX),
    (_case, "closing_note", LONG_TEXT_MAX),
    (_participant, "name", NAME_MAX),
    (_participant, "relation", SHORT_TEXT_MAX),
    (_participant, "contact", CONTACT_MAX),
    (_meeting, "place", SHORT_TEXT_MAX),
    (_meeting, "wants[1]", SHORT_TEXT_MAX),
    (_meeting, "strengths[1]", SHORT_TEXT_MAX),
    (_meeting, "needs[1]", SHORT_TEXT_MAX),
    (_agreement, "what", SHORT_TEXT_MAX),
    (_agreement, "outside_norm_reason", SHORT_TEXT_MAX),
    (_agreement, "note", LONG_TEXT_MAX),
]

pieces = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), min_size=0, max_size=12
) | st.sampled_from(["ë", "Ş", "ğ", "İı", "الحسن", "e\u0301", "👩‍👧", "\u00a0"])


def _text_of_length(piece: str, length: int) -> str:
    """``length`` characters, starting with a letter so that a required field is never blank."""
    unit = "x" + piece
    return (unit * (length // len(unit) + 1))[:length]


@pytest.mark.parametrize(
    ("check", "where", "limit"), FIELDS, ids=[f"{c.__name__[1:]}.{w}" for c, w, _ in FIELDS]
)
@given(piece=pieces, distance=st.integers(min_value=-40, max_value=40))
def test_text_limit(check: Check, where: str, limit: int, piece: str, distance: int) -> None:
    length = limit + distance
    problems = check(_text_of_length(piece, length), where)
    if length <= limit:
        assert problems == [], (length, limit)
    else:
        assert [p.field for p in problems] == [where]
        assert str(limit) in problems[0].message


def test_a_few_fields_sit_exactly_at_their_limits() -> None:
    """The limits the forms promise (names 200, short texts 500, long texts 5000)."""
    assert (NAME_MAX, CONTACT_MAX, SHORT_TEXT_MAX, LONG_TEXT_MAX) == (200, 254, 500, 5000)
