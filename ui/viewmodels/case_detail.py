"""One case: what the case screen shows, and the follow-up done from it.

Shows the resident, the contact date and the MDO deadline, the stage, the question, the people,
the meetings, the agreements with their deadlines, and the measurements. Follow-up: "no MDO
needed" with a reason, mark an agreement done, move a due date (within six weeks of the meeting or
with a reason), hand an agreement over to someone else taking part, record wellbeing (and
optionally Positive Health and the ZRM) later on, close the case. Every action validates through
``models.validation`` (via the store) and returns its messages per field; nothing is saved when
one is wrong.

After each save the screen says what was saved (``saved_text``), pinned above the case where
it is seen and read out: the line that changed is often scrolled out of view on a phone (#3).

Handing over is how a person who owns agreements can later be taken off the case (the store
refuses that while agreements are in their name), and how an agreement whose owner was removed
on another tablet before the two synced gets a new owner. Only open agreements of an open case
are handed over, to someone taking part (not the current owner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from models import queries
from models.deadlines import (
    Deadline,
    DeadlineState,
    agreement_deadline,
    case_meeting_deadline,
    case_stage_of,
    default_agreement_due,
    is_outside_norm,
    is_past_limit,
    latest_agreement_due,
)
from models.domain import (
    POSITIVE_HEALTH_DIMENSIONS,
    ZRM_DOMAINS,
    Agreement,
    AgreementStatus,
    CaseFile,
    CaseStage,
    Measurement,
    MeasurementMoment,
    Meeting,
    NoMeetingDecision,
)
from models.errors import ValidationError
from models.i18n import N_, _, ngettext
from models.store import CaseStore, meeting_date
from ui.viewmodels import dates
from ui.viewmodels.cases import STAGE_LABELS, Badge, BadgeKind
from ui.viewmodels.meeting import DONE
from ui.viewmodels.new_contact import field_errors
from ui.viewmodels.participants import shown_name
from ui.viewmodels.plan import ROLE_LABELS

FORM = "form"
Errors = dict[str, str]

MOMENT_LABELS: dict[MeasurementMoment, str] = {
    MeasurementMoment.CONTACT: N_("At first contact"),
    MeasurementMoment.MEETING: N_("At the MDO"),
    MeasurementMoment.SIX_WEEKS: N_("After six weeks"),
    MeasurementMoment.LATER: N_("Later"),
}
POSITIVE_HEALTH_LABELS: dict[str, str] = {
    "bodily_functions": N_("Body"),
    "mental_wellbeing": N_("Feelings and mood"),
    "meaningfulness": N_("Meaning"),
    "quality_of_life": N_("Quality of life"),
    "participation": N_("Taking part"),
    "daily_functioning": N_("Daily life"),
}
ZRM_LABELS: dict[str, str] = {
    "finances": N_("Money"),
    "daytime_activities": N_("Daytime activities"),
    "housing": N_("Housing"),
    "domestic_relations": N_("Relations at home"),
    "mental_health": N_("Mental health"),
    "physical_health": N_("Physical health"),
    "addiction": N_("Addiction"),
    "adl_skills": N_("Daily self-care"),
    "social_network": N_("Social network"),
    "community_participation": N_("Taking part in society"),
    "justice": N_("Justice"),
    "parenting": N_("Bringing up children"),
    "education": N_("Education"),
}
assert tuple(POSITIVE_HEALTH_LABELS) == POSITIVE_HEALTH_DIMENSIONS
assert tuple(ZRM_LABELS) == ZRM_DOMAINS


def deadline_badge(deadline: Deadline, *, what: str) -> Badge | None:
    """A badge for a running deadline that needs attention (``what``: "MDO", "Agreement")."""
    if deadline.state is DeadlineState.OVERDUE:
        n = deadline.days_late
        text = ngettext("{what} overdue ({n} day)", "{what} overdue ({n} days)", n)
        return Badge(text.format(what=what, n=n), BadgeKind.DANGER)
    if deadline.state is DeadlineState.DUE_SOON:
        n = deadline.days_left
        text = (
            _("{what} due today")
            if n == 0
            else ngettext("{what} due soon ({n} day left)", "{what} due soon ({n} days left)", n)
        )
        return Badge(text.format(what=what, n=n), BadgeKind.WARNING)
    return None


def deadline_text(deadline: Deadline) -> str:
    """Where a deadline stands, in words: ``due 08-12-2026``, ``done in time`` …"""
    due = dates.short(deadline.due)
    if deadline.state is DeadlineState.MET:
        return _("done in time (due {date})").format(date=due)
    if deadline.state is DeadlineState.MET_LATE:
        return _("done late (due {date})").format(date=due)
    if deadline.state is DeadlineState.STOPPED:
        return _("not needed (was due {date})").format(date=due)
    return _("due {date}").format(date=due)


@dataclass(frozen=True, slots=True)
class AgreementLine:
    agreement: Agreement
    owner: str
    deadline: Deadline
    badge: Badge | None
    outside_norm: bool

    @property
    def open(self) -> bool:
        return self.agreement.status is AgreementStatus.OPEN

    @property
    def text(self) -> str:
        status = {
            AgreementStatus.OPEN: deadline_text(self.deadline),
            AgreementStatus.DONE: _("done on {date}").format(
                date=dates.short(self.agreement.done_on)
            ),
            AgreementStatus.CANCELLED: _("cancelled"),
        }[self.agreement.status]
        if self.deadline.state is DeadlineState.MET_LATE:  # done, but after the due day: say so
            status = f"{status} · {deadline_text(self.deadline)}"
        return f"{self.owner} · {status}"


class CaseViewModel:
    def __init__(
        self,
        store: CaseStore,
        case_id: str,
        *,
        today: Callable[[], date],
        now: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.case_id = case_id
        self.today = today
        self.now = now
        self.case_file: CaseFile
        self.saved_text: str | None = None  # what the last save did, until the next dialog
        self.load()

    def load(self) -> None:
        self.case_file = queries.case_file(self.store, self.case_id)

    # -- what the screen shows ----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.case_file.case.resident.name

    @property
    def contact_text(self) -> str:
        resident = self.case_file.case.resident
        return " · ".join(x for x in (resident.phone, resident.email, resident.address) if x)

    @property
    def contact_date_text(self) -> str:
        return _("First contact on {date}").format(
            date=dates.short(self.case_file.case.contact_date)
        )

    @property
    def stage(self) -> CaseStage:
        return case_stage_of(self.case_file)

    @property
    def stage_text(self) -> str:
        return _(STAGE_LABELS[self.stage])

    @property
    def mdo_deadline(self) -> Deadline:
        return case_meeting_deadline(self.case_file, today=self.today())

    @property
    def mdo_text(self) -> str:
        """``MDO: due 18-11-2026``, or with the planned day and time while the clock runs."""
        deadline = self.mdo_deadline
        state = deadline_text(deadline)
        planned = next(
            (
                m.planned_for
                for m in self.case_file.meetings
                if m.held_on is None and m.planned_for is not None
            ),
            None,
        )
        if planned is not None and deadline.state.is_running:
            day, moment = dates.local_parts(planned)
            return _("MDO: planned on {date} at {time} ({state})").format(
                date=dates.short(day), time=dates.hhmm(moment), state=state
            )
        return _("MDO: {state}").format(state=state)

    @property
    def mdo_badge(self) -> Badge | None:
        return deadline_badge(self.mdo_deadline, what=_("MDO"))

    @property
    def consent_text(self) -> str:
        consent = self.case_file.case.consent
        if consent is None:
            return _("Sharing: not asked. The case stays on this device.")
        if consent.given:
            return _("Sharing: the resident agreed.")
        return _("Sharing: the resident did not agree. The case stays on this device.")

    @property
    def no_meeting_text(self) -> str | None:
        decision = self.case_file.case.no_meeting
        if decision is None:
            return None
        return _("No MDO needed ({date}): {reason}").format(
            date=dates.short(decision.decided_on), reason=decision.reason
        )

    @property
    def closed_text(self) -> str | None:
        case = self.case_file.case
        if case.closed_on is None:
            return None
        text = _("Closed on {date}.").format(date=dates.short(case.closed_on))
        return f"{text} {case.closing_note}".strip()

    @property
    def closed(self) -> bool:
        return self.case_file.case.closed_on is not None

    def people(self) -> list[str]:
        names = {o.id: o.name for o in self.store.organisations(include_inactive=True)}
        lines = []
        for p in self.case_file.participants:
            if p.removed_on is not None:
                continue  # taken off the case
            parts = [_(ROLE_LABELS[p.role])]
            if p.organisation_id:
                parts.append(names.get(p.organisation_id, p.organisation_id))
            if p.relation:
                parts.append(p.relation)
            lines.append(f"{p.name} — {', '.join(parts)}")
        return lines

    def meeting_lines(self) -> list[str]:
        lines = []
        for m in self.case_file.meetings:
            if m.held_on is not None and m.progress not in ("", DONE):
                lines.append(
                    _("MDO in progress (started {date})").format(date=dates.short(m.held_on))
                )
            elif m.held_on is not None:
                lines.append(_("MDO held on {date}").format(date=dates.short(m.held_on)))
            elif m.planned_for is not None:
                day, moment = dates.local_parts(m.planned_for)
                place = m.place or _("at home")
                lines.append(
                    _("MDO planned on {date} at {time}, {place}").format(
                        date=dates.short(day), time=dates.hhmm(moment), place=place
                    )
                )
        return lines

    def three_questions(self) -> list[tuple[str, list[str]]]:
        """The lists of the last meeting held: (title, items)."""
        held = [m for m in self.case_file.meetings if m.held_on is not None]
        if not held:
            return []
        m = held[-1]
        return [(_("I want"), m.wants), (_("I can"), m.strengths), (_("I need"), m.needs)]

    def agreement_lines(self) -> list[AgreementLine]:
        today = self.today()
        owners = {p.id: shown_name(p) for p in self.case_file.participants}
        dates_of = {m.id: meeting_date(m.held_on, m.planned_for) for m in self.case_file.meetings}
        lines = []
        for a in self.case_file.agreements:
            deadline = agreement_deadline(
                due_date=a.due_date, status=a.status, done_on=a.done_on, today=today
            )
            held = dates_of.get(a.meeting_id)
            lines.append(
                AgreementLine(
                    agreement=a,
                    owner=owners.get(a.owner_id, ""),
                    deadline=deadline,
                    badge=deadline_badge(deadline, what=_("Agreement")),
                    outside_norm=held is not None and is_outside_norm(held, a.due_date),
                )
            )
        return lines

    def measurement_lines(self) -> list[str]:
        lines = []
        for m in self.case_file.measurements:
            parts = [f"{_(MOMENT_LABELS[m.moment])} ({dates.short(m.taken_on)})"]
            if m.wellbeing is not None:
                parts.append(_("wellbeing {n}").format(n=m.wellbeing))
            if m.positive_health:
                parts.append(_("Positive Health filled in"))
            if m.zrm:
                parts.append(_("ZRM filled in"))
            lines.append(": ".join([parts[0], ", ".join(parts[1:])]) if parts[1:] else parts[0])
        return lines

    # -- which actions make sense -------------------------------------------------------------

    @property
    def meeting_in_progress(self) -> Meeting | None:
        return next((m for m in self.case_file.meetings if m.progress not in ("", DONE)), None)

    @property
    def meeting_action(self) -> str | None:
        if self.closed:
            return None
        if self.meeting_in_progress is not None:
            return _("Resume the meeting")
        if self._held_before:
            return _("Start a follow-up meeting now")
        return _("Start the meeting")

    @property
    def _held_before(self) -> bool:
        return any(
            m.held_on is not None and m.progress in ("", DONE) for m in self.case_file.meetings
        )

    @property
    def can_plan(self) -> bool:
        return not self.closed and self.meeting_in_progress is None

    @property
    def plan_action(self) -> str:
        planned = any(m.held_on is None and m.planned_for for m in self.case_file.meetings)
        if planned:
            return _("Change the MDO plan")
        return _("Plan a follow-up MDO") if self._held_before else _("Plan the MDO")

    @property
    def can_decide_no_meeting(self) -> bool:
        case = self.case_file.case
        held = any(m.held_on is not None for m in self.case_file.meetings)
        return not self.closed and case.no_meeting is None and not held

    # -- follow-up ------------------------------------------------------------------------------

    def dismiss_saved(self) -> None:
        """Forget the last confirmation (another dialog opens; a new save says its own)."""
        self.saved_text = None

    def _saved(self, errors: Errors, text: str) -> Errors:
        """``errors`` as they are; when there are none, ``text`` confirms the save."""
        if not errors:
            self.saved_text = text
        return errors

    def _parse(self, text: str, key: str, errors: Errors) -> date | None:
        day = dates.parse_date(text, today=self.today())
        if day is None:
            errors[key] = dates.date_error()
        return day

    def _update_case(self, case_changes: dict[str, object], mapping: dict[str, str]) -> Errors:
        case = replace(self.case_file.case, **case_changes)  # type: ignore[arg-type]
        try:
            self.store.update_case(case, today=self.today(), now=self.now())
        except ValidationError as error:
            return field_errors(error, mapping, FORM)
        self.load()
        return {}

    def decide_no_meeting(self, *, reason: str, on: str) -> Errors:
        """Record "no MDO needed": errors under ``reason`` / ``date``."""
        errors: Errors = {}
        day = self._parse(on, "date", errors)
        if errors or day is None:
            return errors
        decision = NoMeetingDecision(decided_on=day, reason=reason.strip())
        errors = self._update_case(
            {"no_meeting": decision},
            {"no_meeting.reason": "reason", "no_meeting.decided_on": "date"},
        )
        return self._saved(errors, _("Saved: no MDO needed."))

    def close_case(self, *, on: str, note: str) -> Errors:
        errors: Errors = {}
        day = self._parse(on, "date", errors)
        if errors or day is None:
            return errors
        errors = self._update_case(
            {"closed_on": day, "closing_note": note.strip()},
            {"closed_on": "date", "closing_note": "note"},
        )
        return self._saved(errors, _("Saved: the case is closed."))

    def _agreement(self, agreement_id: str) -> Agreement:
        return next(a for a in self.case_file.agreements if a.id == agreement_id)

    def _save_agreement(self, agreement: Agreement, mapping: dict[str, str]) -> Errors:
        try:
            self.store.save_agreement(agreement)
        except ValidationError as error:
            return field_errors(error, mapping, FORM)
        self.load()
        return {}

    def mark_done(self, agreement_id: str, *, on: str, note: str) -> Errors:
        """Mark an agreement done: errors under ``date`` / ``note``."""
        errors: Errors = {}
        day = self._parse(on, "date", errors)
        if errors or day is None:
            return errors
        if day > self.today():
            return {"date": _("The done date cannot be in the future.")}
        agreement = self._agreement(agreement_id)
        done = replace(agreement, status=AgreementStatus.DONE, done_on=day, note=note.strip())
        errors = self._save_agreement(done, {"done_on": "date", "note": "note"})
        return self._saved(errors, _("Saved: the agreement is done."))

    def meeting_day_of(self, agreement_id: str) -> date | None:
        agreement = self._agreement(agreement_id)
        meeting = next(m for m in self.case_file.meetings if m.id == agreement.meeting_id)
        return meeting_date(meeting.held_on, meeting.planned_for)

    def norm_date(self, agreement_id: str) -> date | None:
        """The last due date within six weeks of the agreement's meeting."""
        held = self.meeting_day_of(agreement_id)
        return default_agreement_due(held) if held else None

    def latest_date(self, agreement_id: str) -> date | None:
        """The last due date accepted at all (with a reason): a year after the meeting."""
        held = self.meeting_day_of(agreement_id)
        return latest_agreement_due(held) if held else None

    def needs_reason(self, agreement_id: str, due_text: str) -> bool:
        """Whether the typed due date is past the six-week norm (then a reason is needed).

        Not for a date over a year ahead: no reason makes that one right, the date is refused.
        """
        held = self.meeting_day_of(agreement_id)
        due = dates.parse_date(due_text, today=self.today())
        return (
            held is not None
            and due is not None
            and is_outside_norm(held, due)
            and not is_past_limit(held, due)
        )

    def move_due(self, agreement_id: str, *, due: str, reason: str) -> Errors:
        """Move a due date: errors under ``date`` / ``reason``."""
        errors: Errors = {}
        day = self._parse(due, "date", errors)
        if errors or day is None:
            return errors
        agreement = self._agreement(agreement_id)
        held = self.meeting_day_of(agreement_id)
        keep_reason = held is not None and is_outside_norm(held, day)
        moved = replace(
            agreement, due_date=day, outside_norm_reason=reason.strip() if keep_reason else ""
        )
        errors = self._save_agreement(moved, {"due_date": "date", "outside_norm_reason": "reason"})
        return self._saved(
            errors, _("Saved: the new date is {date}.").format(date=dates.short(day))
        )

    def owner_now_text(self, agreement_id: str) -> str:
        """``Now: Sanne de Bruijn`` (marked when taken off the case), above the list to choose."""
        owner_id = self._agreement(agreement_id).owner_id
        person = next((p for p in self.case_file.participants if p.id == owner_id), None)
        return _("Now: {name}").format(name=shown_name(person) if person else "—")

    def owner_choices(self, agreement_id: str) -> list[tuple[str, str]]:
        """Whom an agreement can be handed over to, as (participant id, name): everyone taking
        part but its current owner. Nothing is chosen at first, so Save means a choice."""
        owner_id = self._agreement(agreement_id).owner_id
        return [
            (p.id, p.name)
            for p in self.case_file.participants
            if p.removed_on is None and p.id != owner_id
        ]

    def hand_over(self, agreement_id: str, *, owner_id: str) -> Errors:
        """Give an open agreement to someone else taking part: errors under ``owner``."""
        agreement = self._agreement(agreement_id)
        if not owner_id or owner_id == agreement.owner_id:
            return {"owner": _("Choose the person who takes it over.")}
        person = next((p for p in self.case_file.participants if p.id == owner_id), None)
        if person is None or person.removed_on is not None:
            return {"owner": _("Choose someone who takes part in this case.")}
        errors = self._save_agreement(replace(agreement, owner_id=owner_id), {"owner_id": "owner"})
        return self._saved(
            errors, _("Saved: {name} takes the agreement over.").format(name=person.name)
        )

    def record_measurement(
        self,
        *,
        moment: MeasurementMoment,
        on: str,
        wellbeing: int | None,
        positive_health: dict[str, int] | None = None,
        zrm: dict[str, int] | None = None,
    ) -> Errors:
        """Wellbeing (1-10), and optionally Positive Health (0-10) and ZRM (1-5) scores."""
        errors: Errors = {}
        day = self._parse(on, "date", errors)
        if day is not None and day > self.today():
            errors["date"] = _("The date cannot be in the future.")
        if wellbeing is None and not positive_health and not zrm:
            errors["wellbeing"] = _("Choose a number from 1 to 10.")
        if errors or day is None:
            return errors
        measurement = Measurement(
            case_id=self.case_id,
            moment=moment,
            taken_on=day,
            wellbeing=wellbeing,
            positive_health=positive_health or None,
            zrm=zrm or None,
        )
        try:
            self.store.save_measurement(measurement)
        except ValidationError as error:
            return field_errors(error, {"wellbeing": "wellbeing"}, FORM)
        self.load()
        return self._saved({}, _("Saved: wellbeing recorded."))

    def suggested_moment(self) -> MeasurementMoment:
        """Six weeks if no six-week measurement exists yet, else later."""
        if any(m.moment is MeasurementMoment.SIX_WEEKS for m in self.case_file.measurements):
            return MeasurementMoment.LATER
        return MeasurementMoment.SIX_WEEKS
