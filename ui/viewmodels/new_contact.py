"""New contact: the resident, the contact date, their question and consent; the MDO deadline live.

The form keeps what is typed as text (``contact_date_text``) and shows the MDO deadline as soon as
the text is a date. Saving validates with ``models.validation`` (through ``store.add_case``) and
puts each message next to its field; nothing is saved until everything is right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from models.deadlines import meeting_due
from models.domain import Case, Consent, Resident
from models.errors import ValidationError
from models.i18n import _
from models.store import CaseStore
from models.validation import validate_case
from ui.viewmodels import dates

# Form fields, also the keys of ``errors``.
NAME, PHONE, EMAIL, ADDRESS, CONTACT_DATE, QUESTION, CONSENT, FORM = (
    "name",
    "phone",
    "email",
    "address",
    "contact_date",
    "question",
    "consent",
    "form",
)
_FIELD_OF_PROBLEM = {
    "resident.name": NAME,
    "resident.phone": PHONE,
    "resident.email": EMAIL,
    "resident.address": ADDRESS,
    "contact_date": CONTACT_DATE,
    "question": QUESTION,
    "consent.recorded_on": CONTACT_DATE,
}


def field_errors(error: ValidationError, mapping: dict[str, str], fallback: str) -> dict[str, str]:
    """Messages per form field: the first message for each field, the rest under ``fallback``."""
    errors: dict[str, str] = {}
    for problem in error.problems:
        errors.setdefault(mapping.get(problem.field, fallback), problem.message)
    return errors


@dataclass
class NewContactViewModel:
    store: CaseStore
    today: Callable[[], date]
    now: Callable[[], datetime]
    organisation_id: str | None = None  # the professional's organisation (the profile's)

    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    contact_date_text: str = ""
    question: str = ""
    consent: bool | None = None  # None: not asked (the case then stays on this device)
    errors: dict[str, str] = field(default_factory=dict)
    saved_case_id: str | None = None

    def __post_init__(self) -> None:
        if not self.contact_date_text:
            self.contact_date_text = dates.short(self.today())

    @property
    def contact_date(self) -> date | None:
        return dates.parse_date(self.contact_date_text, today=self.today())

    @property
    def deadline_text(self) -> str:
        """The MDO deadline for the date typed so far, or what is wrong with that date."""
        contact = self.contact_date
        if contact is None:
            return _("The MDO deadline shows here once the contact date is filled in.")
        due = meeting_due(contact)
        return _("MDO at the latest on {day} ({when}).").format(
            day=dates.in_words(due), when=dates.days_from_today(due, self.today())
        )

    def set_contact_date(self, text: str) -> None:
        self.contact_date_text = text
        if self.contact_date is None and text.strip():
            self.errors[CONTACT_DATE] = dates.date_error()
        else:
            self.errors.pop(CONTACT_DATE, None)

    def save(self) -> str | None:
        """Save the new case. Returns its id, or ``None`` with ``errors`` filled."""
        errors: dict[str, str] = {}
        contact = self.contact_date
        if contact is None:
            errors[CONTACT_DATE] = dates.date_error()
        case = Case(
            resident=Resident(
                name=self.name.strip(),
                phone=self.phone.strip(),
                email=self.email.strip(),
                address=self.address.strip(),
            ),
            contact_date=contact or self.today(),
            question=self.question.strip(),
            organisation_id=self.organisation_id,
            consent=Consent(given=bool(self.consent), recorded_on=self.today())
            if self.consent is not None
            else None,
        )
        try:
            if errors:
                # Still check the rest, so every message shows at once.
                validate_case(case, today=self.today())
            else:
                self.store.add_case(case, today=self.today(), now=self.now())
        except ValidationError as error:
            for key, message in field_errors(error, _FIELD_OF_PROBLEM, FORM).items():
                errors.setdefault(key, message)
        self.errors = errors
        if errors:
            return None
        self.saved_case_id = case.id
        return case.id
