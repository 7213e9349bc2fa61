"""Checks on what people type, reporting every problem at once.

Each record has a ``*_problems`` function that returns a list of ``FieldProblem`` (empty: fine)
and a ``validate_*`` function that raises ``models.errors.ValidationError`` with all of them.
Reporting everything at once matters at the kitchen table: fixing one field only to hear about
the next one wastes the resident's time.

Messages are marked with ``_()`` (English msgids, Dutch from the catalogue), say what to fix, and
never repeat the value typed: a message can end up in a log or on a screen someone else sees, and
names and free text are personal data. Limits and counts (numbers we chose) are fine to show.

Every field is optional unless a rule needs it (DESIGN.md section 1: little registration).
Choices where the issue was silent:
- A professional's organisation is optional (white label: the organisation is secondary), but a
  resident or network member cannot have one: only professionals belong to an organisation.
- Dates that cannot have happened yet (contact, decision, closing, consent, birth) are checked
  against a ``today`` parameter; nothing here reads the clock.
- ``done_on`` belongs to a done agreement only; an open or cancelled one with a date is refused so
  the record cannot say two things at once.
- Phone numbers allow digits, spaces and ``+ - ( ) . /``; e-mail addresses need one ``@`` with
  something on both sides and no spaces. Deliverability is not our business.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date
from typing import Final

from models.deadlines import agreement_due_problems
from models.domain import (
    POSITIVE_HEALTH_DIMENSIONS,
    ZRM_DOMAINS,
    Agreement,
    AgreementStatus,
    Case,
    Measurement,
    Meeting,
    Participant,
    ParticipantRole,
    Resident,
)
from models.errors import FieldProblem, ValidationError
from models.i18n import N_, _

NAME_MAX: Final = 200
CONTACT_MAX: Final = 254  # a phone number or e-mail address (254: the longest valid e-mail)
SHORT_TEXT_MAX: Final = 500  # one item, one agreement, a reason, an address
LONG_TEXT_MAX: Final = 5000  # the question, notes
LIST_MAX: Final = 50  # items per list of the three questions

WELLBEING_RANGE: Final = range(1, 11)
POSITIVE_HEALTH_RANGE: Final = range(0, 11)
ZRM_RANGE: Final = range(1, 6)

_PHONE: Final = re.compile(r"[0-9 +\-().\/]+")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+")

# Labels name a field inside a shared message; marked here, translated when the message is built.
_LABELS: Final = {
    "name": N_("The name"),
    "address": N_("The address"),
    "phone": N_("The phone number"),
    "email": N_("The e-mail address"),
    "question": N_("The question"),
    "reason": N_("The reason"),
    "closing_note": N_("The closing note"),
    "relation": N_("The relation"),
    "contact": N_("The contact details"),
    "place": N_("The place"),
    "what": N_("The agreement"),
    "outside_norm_reason": N_("The reason"),
    "note": N_("The note"),
}
_LISTS: Final = {
    "wants": N_("I want"),
    "strengths": N_("I can"),
    "needs": N_("I need"),
}


# --- building blocks -------------------------------------------------------------------------


def _raise_if_any(problems: Sequence[FieldProblem]) -> None:
    if problems:
        raise ValidationError(problems)


def _too_long(field: str, label: str, value: str, limit: int) -> list[FieldProblem]:
    """A problem when ``value`` is over ``limit``; the message names the field, never the value."""
    if len(value) <= limit:
        return []
    message = _("{what} can be at most {limit} characters.").format(what=_(label), limit=limit)
    return [FieldProblem(field, message)]


def _text(
    field: str, key: str, value: str, limit: int, *, blank_message: str | None = None
) -> list[FieldProblem]:
    """Length check, plus a blank check when ``blank_message`` says the field is required."""
    if blank_message is not None and not value.strip():
        return [FieldProblem(field, _(blank_message))]
    return _too_long(field, _LABELS[key], value, limit)


def _not_future(
    field: str, value: date | None, today: date | None, message: str
) -> list[FieldProblem]:
    if value is None or today is None or value <= today:
        return []
    return [FieldProblem(field, _(message))]


def _not_before(field: str, value: date | None, start: date, message: str) -> list[FieldProblem]:
    if value is None or value >= start:
        return []
    return [FieldProblem(field, _(message))]


def _is_int(value: object) -> bool:
    """An int that is not a bool: ``True`` is an int in Python but never a score."""
    return isinstance(value, int) and not isinstance(value, bool)


# --- resident and case -----------------------------------------------------------------------


def _phone_problems(field: str, phone: str) -> list[FieldProblem]:
    if phone.strip() and not _PHONE.fullmatch(phone.strip()):
        message = _("A phone number can only have digits, spaces and + - ( ).")
        return [FieldProblem(field, message)]
    return _too_long(field, _LABELS["phone"], phone, CONTACT_MAX)


def _email_problems(field: str, email: str) -> list[FieldProblem]:
    if email.strip() and not _EMAIL.fullmatch(email.strip()):
        message = _("Check the e-mail address: it should look like name@example.nl.")
        return [FieldProblem(field, message)]
    return _too_long(field, _LABELS["email"], email, CONTACT_MAX)


def resident_problems(r: Resident, *, today: date | None = None) -> list[FieldProblem]:
    """Problems with a resident. The date of birth is checked only when ``today`` is given."""
    return [
        *_text(
            "resident.name",
            "name",
            r.name,
            NAME_MAX,
            blank_message=N_("Fill in the resident's name."),
        ),
        *_not_future(
            "resident.date_of_birth",
            r.date_of_birth,
            today,
            N_("The date of birth cannot be in the future."),
        ),
        *_text("resident.address", "address", r.address, SHORT_TEXT_MAX),
        *_phone_problems("resident.phone", r.phone),
        *_email_problems("resident.email", r.email),
    ]


def validate_resident(r: Resident, *, today: date | None = None) -> None:
    _raise_if_any(resident_problems(r, today=today))


def _case_dates_problems(c: Case, today: date) -> list[FieldProblem]:
    """Dates of a case: none in the future, and none before the first contact."""
    problems = _not_future(
        "contact_date",
        c.contact_date,
        today,
        N_("The date of first contact cannot be in the future."),
    )
    if c.no_meeting is not None:
        decided = c.no_meeting.decided_on
        problems += _not_before(
            "no_meeting.decided_on",
            decided,
            c.contact_date,
            N_("The decision cannot be before the first contact."),
        )
        problems += _not_future(
            "no_meeting.decided_on",
            decided,
            today,
            N_("The decision date cannot be in the future."),
        )
    problems += _not_before(
        "closed_on",
        c.closed_on,
        c.contact_date,
        N_("A case cannot be closed before the first contact."),
    )
    problems += _not_future(
        "closed_on", c.closed_on, today, N_("The closing date cannot be in the future.")
    )
    if c.consent is not None:
        problems += _not_future(
            "consent.recorded_on",
            c.consent.recorded_on,
            today,
            N_("The consent date cannot be in the future."),
        )
    return problems


def case_problems(c: Case, *, today: date) -> list[FieldProblem]:
    """Problems with a case, including its resident."""
    problems = resident_problems(c.resident, today=today)
    problems += _case_dates_problems(c, today)
    problems += _text("question", "question", c.question, LONG_TEXT_MAX)
    if c.no_meeting is not None:
        problems += _text(
            "no_meeting.reason",
            "reason",
            c.no_meeting.reason,
            SHORT_TEXT_MAX,
            blank_message=N_("Give a reason why no MDO is needed."),
        )
    problems += _text("closing_note", "closing_note", c.closing_note, LONG_TEXT_MAX)
    return problems


def validate_case(c: Case, *, today: date) -> None:
    _raise_if_any(case_problems(c, today=today))


# --- participants and meetings ---------------------------------------------------------------


def participant_problems(p: Participant) -> list[FieldProblem]:
    """Problems with a participant. A professional's organisation is optional (white label)."""
    problems = _text(
        "name", "name", p.name, NAME_MAX, blank_message=N_("Fill in the participant's name.")
    )
    problems += _text("relation", "relation", p.relation, SHORT_TEXT_MAX)
    problems += _text("contact", "contact", p.contact, CONTACT_MAX)
    if p.organisation_id is not None and p.role is not ParticipantRole.PROFESSIONAL:
        message = _("Only professionals belong to an organisation. Clear the organisation.")
        problems.append(FieldProblem("organisation_id", message))
    return problems


def validate_participant(p: Participant) -> None:
    _raise_if_any(participant_problems(p))


def _list_problems(field: str, items: Sequence[str]) -> list[FieldProblem]:
    """One of the three questions: at most LIST_MAX items, none blank, each within the limit."""
    label = _(_LISTS[field])
    problems: list[FieldProblem] = []
    if len(items) > LIST_MAX:
        message = _("{list}: use at most {limit} items.").format(list=label, limit=LIST_MAX)
        problems.append(FieldProblem(field, message))
    for number, item in enumerate(items, start=1):
        item_field = f"{field}[{number - 1}]"
        if not item.strip():
            message = _("{list}: item {number} is empty. Fill it in or remove it.")
            problems.append(FieldProblem(item_field, message.format(list=label, number=number)))
        elif len(item) > SHORT_TEXT_MAX:
            message = _("{list}: item {number} can be at most {limit} characters.")
            problems.append(
                FieldProblem(
                    item_field, message.format(list=label, number=number, limit=SHORT_TEXT_MAX)
                )
            )
    return problems


def meeting_problems(m: Meeting) -> list[FieldProblem]:
    """Problems with a meeting: the three lists and the place."""
    problems = _text("place", "place", m.place, SHORT_TEXT_MAX)
    for field in _LISTS:
        problems += _list_problems(field, getattr(m, field))
    return problems


def validate_meeting(m: Meeting) -> None:
    _raise_if_any(meeting_problems(m))


# --- agreements ------------------------------------------------------------------------------


def _owner_problems(owner_id: str, participant_ids: Collection[str]) -> list[FieldProblem]:
    if not owner_id.strip():
        return [FieldProblem("owner_id", _("Choose who will do this."))]
    if owner_id not in participant_ids:
        message = _("Choose the owner from the people taking part in this case.")
        return [FieldProblem("owner_id", message)]
    return []


def _done_problems(a: Agreement, meeting_date: date) -> list[FieldProblem]:
    if a.status is AgreementStatus.DONE and a.done_on is None:
        return [FieldProblem("done_on", _("Fill in the day this was done."))]
    if a.status is not AgreementStatus.DONE and a.done_on is not None:
        message = _("Only a done agreement has a done date. Clear the date or mark it done.")
        return [FieldProblem("done_on", message)]
    return _not_before(
        "done_on", a.done_on, meeting_date, N_("The done date cannot be before the meeting.")
    )


def agreement_problems(
    a: Agreement, *, meeting_date: date, participant_ids: Collection[str]
) -> list[FieldProblem]:
    """Problems with an agreement made at the meeting held on ``meeting_date``."""
    problems = _text(
        "what", "what", a.what, SHORT_TEXT_MAX, blank_message=N_("Say what will be done.")
    )
    problems += _owner_problems(a.owner_id, participant_ids)
    problems += agreement_due_problems(
        meeting_date=meeting_date, due_date=a.due_date, outside_norm_reason=a.outside_norm_reason
    )
    problems += _text(
        "outside_norm_reason", "outside_norm_reason", a.outside_norm_reason, SHORT_TEXT_MAX
    )
    problems += _done_problems(a, meeting_date)
    problems += _text("note", "note", a.note, LONG_TEXT_MAX)
    if a.cost_estimate_cents is not None and (
        not _is_int(a.cost_estimate_cents) or a.cost_estimate_cents < 0
    ):
        message = _("The cost estimate is an amount of zero or more.")
        problems.append(FieldProblem("cost_estimate_cents", message))
    return problems


def validate_agreement(
    a: Agreement, *, meeting_date: date, participant_ids: Collection[str]
) -> None:
    _raise_if_any(agreement_problems(a, meeting_date=meeting_date, participant_ids=participant_ids))


# --- measurements ----------------------------------------------------------------------------


def _scores_problems(
    field: str,
    scores: dict[str, int] | None,
    allowed: Sequence[str],
    valid: range,
    *,
    unknown_message: str,
    range_message: str,
) -> list[FieldProblem]:
    """Scores per dimension: only known dimensions, each a whole number in ``valid``."""
    problems: list[FieldProblem] = []
    for key, value in (scores or {}).items():
        if key not in allowed:
            problems.append(FieldProblem(field, unknown_message))
        elif not _is_int(value) or value not in valid:
            problems.append(FieldProblem(f"{field}.{key}", range_message))
    return problems


def measurement_problems(m: Measurement) -> list[FieldProblem]:
    """Problems with a measurement: wellbeing 1-10, Positive Health 0-10, ZRM 1-5."""
    problems: list[FieldProblem] = []
    if m.wellbeing is not None and (not _is_int(m.wellbeing) or m.wellbeing not in WELLBEING_RANGE):
        problems.append(FieldProblem("wellbeing", _("Wellbeing is a number from 1 to 10.")))
    problems += _scores_problems(
        "positive_health",
        m.positive_health,
        POSITIVE_HEALTH_DIMENSIONS,
        POSITIVE_HEALTH_RANGE,
        unknown_message=_("That is not one of the six Positive Health dimensions."),
        range_message=_("A Positive Health score is a number from 0 to 10."),
    )
    problems += _scores_problems(
        "zrm",
        m.zrm,
        ZRM_DOMAINS,
        ZRM_RANGE,
        unknown_message=_("That is not one of the self-sufficiency matrix domains."),
        range_message=_("A self-sufficiency score is a number from 1 to 5."),
    )
    return problems


def validate_measurement(m: Measurement) -> None:
    _raise_if_any(measurement_problems(m))
