"""Making a participant from what was typed in a form (plan the MDO, meeting mode).

A professional participant can be linked to their account on the dossier server
(``Participant.account_id``): the server makes that account a member of the case, so the colleague
sees it on their own tablet. The server knows accounts by a random id, and a device cannot look
colleagues up by e-mail (the server gives no account list to professionals, on purpose), so the
field takes the **account id**; every professional finds their own on the sync screen (Settings →
Dossier server → "Your account id") and can read it out or send it. Pasting it with spaces,
braces or in capitals is fine. When the professional being added is the one using this tablet,
"That is me" fills in this device's own account. Leaving it empty keeps the participant local to
the case text, as before.
"""

from __future__ import annotations

import uuid

from models.domain import Participant, ParticipantRole
from models.errors import FieldProblem, ValidationError
from models.i18n import _
from models.validation import validate_participant

ACCOUNT_FIELD = "account_id"


def shown_name(person: Participant) -> str:
    """The name, marked when the person was taken off the case (``CaseStore.remove_participant``).

    Only another tablet's change made before the two synced can leave a removed person named by
    an agreement or at the table; the mark shows that someone should take it over.
    """
    if person.removed_on is None:
        return person.name
    return _("{name} (no longer taking part)").format(name=person.name)


def account_id_from_text(text: str) -> tuple[str | None, FieldProblem | None]:
    """The account id in its canonical form (lower case, with hyphens), or what to fix."""
    cleaned = "".join(text.split()).strip("{}")
    if not cleaned:
        return None, None
    try:
        return str(uuid.UUID(cleaned)), None
    except ValueError:
        return None, FieldProblem(
            ACCOUNT_FIELD,
            _(
                "This is not a dossier account id. It looks like "
                "1b4e28ba-2fa1-11d2-883f-0016d3cca427; the professional finds it on their "
                "tablet under Settings, Dossier server."
            ),
        )


def participant_from_form(
    case_id: str,
    *,
    role: ParticipantRole,
    name: str,
    relation: str = "",
    organisation_id: str | None = None,
    account_id: str = "",
) -> tuple[Participant, tuple[FieldProblem, ...]]:
    """The participant (trimmed; an organisation and a dossier account only for professionals)
    and what to fix, if any."""
    professional = role is ParticipantRole.PROFESSIONAL
    account, account_problem = account_id_from_text(account_id) if professional else (None, None)
    person = Participant(
        case_id=case_id,
        role=role,
        name=name.strip(),
        relation=relation.strip(),
        organisation_id=organisation_id if professional else None,
        account_id=account,
    )
    problems: list[FieldProblem] = []
    try:
        validate_participant(person)
    except ValidationError as error:
        problems += error.problems
    if account_problem is not None:
        problems.append(account_problem)
    return person, tuple(problems)
