"""Making a participant from what was typed in a form (plan the MDO, meeting mode)."""

from __future__ import annotations

from models.domain import Participant, ParticipantRole
from models.errors import FieldProblem, ValidationError
from models.validation import validate_participant


def participant_from_form(
    case_id: str,
    *,
    role: ParticipantRole,
    name: str,
    relation: str = "",
    organisation_id: str | None = None,
) -> tuple[Participant, tuple[FieldProblem, ...]]:
    """The participant (trimmed; an organisation only for professionals) and what to fix, if any."""
    person = Participant(
        case_id=case_id,
        role=role,
        name=name.strip(),
        relation=relation.strip(),
        organisation_id=organisation_id if role is ParticipantRole.PROFESSIONAL else None,
    )
    try:
        validate_participant(person)
    except ValidationError as error:
        return person, error.problems
    return person, ()
