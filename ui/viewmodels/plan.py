"""Plan the MDO: date, time and place, and the people the resident wants at the table.

Plans the case's planned meeting (the one not held yet), or a new one. People are saved the moment
they are added, so a half-filled plan loses nobody; date, time and place are saved with "Save".
The resident always takes part and is added as a participant when the case has none yet.

Removing someone asks for confirmation first (the view's dialog) and is refused with the reason
when the case file still needs them: the resident, an owner of agreements, someone at the table of
a held MDO or who signed the plan (``CaseStore.remove_participant``). Removing keeps the record,
marked with the day, so what other tablets made in their name stays valid; the plan lists only the
people still taking part. A professional can be linked to their dossier account (see
``ui.viewmodels.participants``), and that link can be ended on its own ("End dossier access"):
always allowed, since it changes nothing of a held MDO or a signed plan, so a colleague who left
the team stops seeing the case even when the case file must keep them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, time, timedelta

from models import queries, sync_state
from models.deadlines import meeting_due
from models.domain import CaseFile, Meeting, Organisation, Participant, ParticipantRole
from models.errors import ValidationError
from models.i18n import N_, _
from models.store import CaseStore, ParticipantInUseError
from models.validation import validate_meeting
from ui.viewmodels import dates
from ui.viewmodels.participants import participant_from_form

DATE, TIME, PLACE, FORM = "date", "time", "place", "form"
DEFAULT_TIME = time(10, 0)
ROLE_LABELS: dict[ParticipantRole, str] = {
    ParticipantRole.RESIDENT: N_("Resident"),
    ParticipantRole.NETWORK: N_("Network"),
    ParticipantRole.PROFESSIONAL: N_("Professional"),
}


def ensure_resident(store: CaseStore, case_file: CaseFile) -> Participant:
    """The resident always takes part: add them as a participant if the case has none yet."""
    resident = next((p for p in case_file.participants if p.role is ParticipantRole.RESIDENT), None)
    if resident is None:
        resident = Participant(
            case_id=case_file.case.id,
            role=ParticipantRole.RESIDENT,
            name=case_file.case.resident.name,
        )
        store.save_participant(resident)
        case_file.participants.append(resident)
    return resident


def default_meeting_day(contact: date, today: date) -> date:
    """A week from today, but not after the MDO deadline, and never in the past."""
    return max(today, min(today + timedelta(days=7), meeting_due(contact)))


class PlanViewModel:
    def __init__(self, store: CaseStore, case_id: str, *, today: Callable[[], date]) -> None:
        self.store = store
        self.today = today
        self.case_file = queries.case_file(store, case_id)
        ensure_resident(store, self.case_file)
        planned = next((m for m in self.case_file.meetings if m.held_on is None), None)
        self.meeting = planned or Meeting(case_id=case_id)
        if planned is not None and planned.planned_for is not None:
            day, moment = dates.local_parts(planned.planned_for)
        else:
            day = default_meeting_day(self.case_file.case.contact_date, today())
            moment = DEFAULT_TIME
        self.date_text = dates.short(day)
        self.time_text = dates.hhmm(moment)
        self.place = self.meeting.place  # empty: at home
        self.errors: dict[str, str] = {}
        self.organisations: list[Organisation] = store.organisations()
        self.saved = False
        self.remove_error: str | None = None
        with store.reading() as (conn, sealer):
            account = sync_state.load_account(conn, sealer)
        self.own_account_id: str | None = account.account_id if account else None

    @property
    def resident_name(self) -> str:
        return self.case_file.case.resident.name

    @property
    def participants(self) -> list[Participant]:
        """The people taking part (not the ones taken off the case)."""
        return [p for p in self.case_file.participants if p.removed_on is None]

    @property
    def deadline_text(self) -> str:
        due = meeting_due(self.case_file.case.contact_date)
        return _("MDO at the latest on {day} ({when}).").format(
            day=dates.in_words(due), when=dates.days_from_today(due, self.today())
        )

    @property
    def late_warning(self) -> str | None:
        """A warning when the chosen day is after the 14-day deadline (allowed, but late)."""
        day = dates.parse_date(self.date_text, today=self.today())
        if day is not None and day > meeting_due(self.case_file.case.contact_date):
            return _("This day is after the MDO deadline. The MDO will count as late.")
        return None

    def describe(self, person: Participant) -> str:
        """``Sanne de Bruijn — Network, daughter`` or ``… — Professional, GGD, district nurse``."""
        parts = [_(ROLE_LABELS[person.role])]
        if person.organisation_id:
            names = {o.id: o.name for o in self.store.organisations(include_inactive=True)}
            parts.append(names.get(person.organisation_id, person.organisation_id))
        if person.relation:
            parts.append(person.relation)
        if person.account_id:
            parts.append(_("linked to the dossier"))
        return f"{person.name} — {', '.join(parts)}"

    def can_remove(self, person: Participant) -> bool:
        """Whether to offer "Remove" at all (the resident always takes part)."""
        return person.role is not ParticipantRole.RESIDENT

    def confirm_text(self, person: Participant) -> str:
        return _("Remove {name} from this case? Nothing else is removed.").format(name=person.name)

    def can_end_access(self, person: Participant) -> bool:
        """Whether to offer "End dossier access": a professional linked to a dossier account."""
        return person.account_id is not None and person.removed_on is None

    def end_access_text(self, person: Participant) -> str:
        return _(
            "{name} will no longer see this case on their own tablet. They stay in the case file; "
            "nothing else changes."
        ).format(name=person.name)

    def end_access(self, participant_id: str) -> None:
        """Unlink a professional from their dossier account: the server ends their access to the
        case at the next sync. Unlike removing, this is always allowed (it changes nothing of a
        held MDO or a signed plan), so someone who left the team stops seeing the case."""
        person = next(p for p in self.case_file.participants if p.id == participant_id)
        unlinked = replace(person, account_id=None)
        self.store.save_participant(unlinked)
        self.case_file.participants[:] = [
            unlinked if p.id == participant_id else p for p in self.case_file.participants
        ]

    def remove_person(self, participant_id: str) -> bool:
        """Remove a participant; False with ``remove_error`` when the case file still needs them."""
        try:
            removed = self.store.remove_participant(participant_id, today=self.today())
        except ParticipantInUseError as error:
            self.remove_error = error.message
            return False
        self.remove_error = None
        self.case_file.participants[:] = [
            removed if p.id == participant_id else p for p in self.case_file.participants
        ]
        return True

    def add_person(
        self,
        *,
        role: ParticipantRole,
        name: str,
        relation: str = "",
        organisation_id: str | None = None,
        account_id: str = "",
    ) -> Participant | None:
        """Add a network member or a professional; errors under ``<role>.<field>``."""
        person, problems = participant_from_form(
            self.case_file.case.id,
            role=role,
            name=name,
            relation=relation,
            organisation_id=organisation_id,
            account_id=account_id,
        )
        prefix = role.value
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith(prefix + ".")}
        if problems:
            for problem in problems:
                self.errors.setdefault(f"{prefix}.{problem.field}", problem.message)
            return None
        self.store.save_participant(person)
        self.case_file.participants.append(person)
        return person

    def save(self) -> bool:
        errors: dict[str, str] = {}
        day = dates.parse_date(self.date_text, today=self.today())
        moment = dates.parse_time(self.time_text)
        if day is None:
            errors[DATE] = dates.date_error()
        elif day < self.case_file.case.contact_date:
            errors[DATE] = _("The MDO cannot be before the first contact.")
        if moment is None:
            errors[TIME] = dates.time_error()
        meeting = replace(self.meeting, place=self.place.strip())
        if day is not None and moment is not None:
            meeting.planned_for = dates.local_datetime(day, moment)
        try:
            validate_meeting(meeting)
        except ValidationError as error:
            for problem in error.problems:
                errors.setdefault(PLACE if problem.field == "place" else FORM, problem.message)
        self.errors = errors
        if errors:
            return False
        self.store.save_meeting(meeting)
        self.meeting = meeting
        self.saved = True
        return True
