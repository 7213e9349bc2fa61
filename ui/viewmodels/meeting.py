"""Meeting mode: the kitchen-table MDO, one step per screen, chaired by the resident.

    who is at the table -> ik wil -> ik kan -> ik heb nodig -> agreements -> wellbeing -> read-back

Plain Python over the store: the Flet view only shows ``MeetingViewModel``'s state and calls its
methods, and tests drive it the same way.

Nothing typed is lost. Every change is saved the moment it is made, so closing the app (or a crash,
or a flat battery) mid-meeting and opening the meeting again resumes at the same step with
everything in it:
- the step itself is saved on the meeting (``Meeting.progress``);
- the meeting counts as held today from the moment meeting mode starts (the MDO is happening);
- an agreement is saved from its first keystroke. It starts with valid defaults (owner: the
  resident, who chairs; due: six weeks after the meeting), so every draft is a valid record;
- an edit that breaks a rule (e.g. a date past six weeks without a reason) is kept on screen with
  its message in ``errors`` and is not saved; the last valid version stays in the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from models import queries
from models.deadlines import default_agreement_due, is_outside_norm, latest_agreement_due
from models.domain import (
    Agreement,
    AgreementStatus,
    CaseFile,
    Measurement,
    MeasurementMoment,
    Meeting,
    Participant,
    ParticipantRole,
)
from models.errors import StorageError, ValidationError
from models.i18n import N_, _
from models.store import CaseStore
from models.validation import validate_agreement
from ui.viewmodels.participants import participant_from_form, shown_name


class Step(StrEnum):
    PRESENT = "present"
    WANTS = "wants"
    STRENGTHS = "strengths"
    NEEDS = "needs"
    AGREEMENTS = "agreements"
    WELLBEING = "wellbeing"
    READBACK = "readback"


STEPS: tuple[Step, ...] = tuple(Step)
DONE = "done"

# Titles and prompts as the resident reads them: plain Dutch (B1), addressed to the resident.
STEP_TITLES: dict[Step, str] = {
    Step.PRESENT: N_("Who is at the table?"),
    Step.WANTS: N_("I want"),
    Step.STRENGTHS: N_("I can"),
    Step.NEEDS: N_("I need"),
    Step.AGREEMENTS: N_("What do we agree?"),
    Step.WELLBEING: N_("How are you doing now?"),
    Step.READBACK: N_("Your plan"),
}
STEP_PROMPTS: dict[Step, str] = {
    Step.PRESENT: N_("Tick who is here. You can add someone."),
    Step.WANTS: N_("What do you want? Say it in your own words."),
    Step.STRENGTHS: N_("What can you do yourself? What can the people around you do?"),
    Step.NEEDS: N_("What do you need, and from whom?"),
    Step.AGREEMENTS: N_("What will be done, who does it, and by when?"),
    Step.WELLBEING: N_("Give a number from 1 to 10. 1 is very bad, 10 is very good."),
    Step.READBACK: N_("Read it together. Is this what we agreed?"),
}
LIST_STEPS: dict[Step, str] = {
    Step.WANTS: "wants",
    Step.STRENGTHS: "strengths",
    Step.NEEDS: "needs",
}


@dataclass
class AgreementRow:
    """One agreement as the screen shows it: the saved record plus any unsaved, invalid edit."""

    saved: Agreement
    shown: Agreement
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def outside_norm(self) -> bool:
        return bool(self.saved.outside_norm_reason)


class MeetingViewModel:
    """State and actions of meeting mode for one case. Construct with ``open``."""

    def __init__(self, store: CaseStore, case_file: CaseFile, meeting: Meeting) -> None:
        self.store = store
        self.case_file = case_file
        self.meeting = meeting
        self.errors: dict[str, str] = {}
        # The three lists as last saved: what the store keeps while a line is invalid.
        self._saved_lists = (list(meeting.wants), list(meeting.strengths), list(meeting.needs))
        self.agreements = [
            AgreementRow(saved=a, shown=replace(a))
            for a in case_file.agreements
            if a.meeting_id == meeting.id
        ]

    # -- opening and resuming ----------------------------------------------------------------

    @classmethod
    def open(cls, store: CaseStore, case_id: str, *, today: date) -> MeetingViewModel:
        """Resume the meeting in progress, or start one: the planned meeting, or a new one."""
        case_file = queries.case_file(store, case_id)
        meeting = next((m for m in case_file.meetings if m.progress not in ("", DONE)), None)
        if meeting is None:
            meeting = next(
                (m for m in case_file.meetings if m.held_on is None and m.progress == ""),
                None,
            ) or Meeting(case_id=case_id)
            if meeting not in case_file.meetings:
                case_file.meetings.append(meeting)
            meeting.held_on = today
            meeting.progress = Step.PRESENT.value
            resident = _ensure_resident(store, case_file)
            if resident.id not in meeting.present:
                meeting.present.append(resident.id)
            store.save_meeting(meeting)
        return cls(store, case_file, meeting)

    @property
    def step(self) -> Step:
        return Step(self.meeting.progress)

    @property
    def step_number(self) -> int:
        return STEPS.index(self.step) + 1

    @property
    def title(self) -> str:
        return _(STEP_TITLES[self.step])

    @property
    def prompt(self) -> str:
        return _(STEP_PROMPTS[self.step])

    @property
    def meeting_date(self) -> date:
        assert self.meeting.held_on is not None
        return self.meeting.held_on

    @property
    def participants(self) -> list[Participant]:
        """Who can be at the table or own an agreement: the people taking part, and anyone taken
        off the case on another tablet whom this meeting still names (shown marked)."""
        named = set(self.meeting.present) | {r.shown.owner_id for r in self.agreements}
        return [p for p in self.case_file.participants if p.removed_on is None or p.id in named]

    def owner_choices(self, owner_id: str | None) -> list[Participant]:
        """Who can own an agreement: the people taking part, and its current owner (shown marked
        when another tablet took them off the case)."""
        return [p for p in self.case_file.participants if p.removed_on is None or p.id == owner_id]

    @property
    def resident(self) -> Participant:
        return next(p for p in self.participants if p.role is ParticipantRole.RESIDENT)

    # -- moving between steps ----------------------------------------------------------------

    def go_to(self, step: Step) -> None:
        self.errors = {}
        self._move_to(step.value)

    def _move_to(self, progress: str) -> None:
        """Save the new step; when the device refuses the write, stay on the step shown."""
        before = self.meeting.progress
        self.meeting.progress = progress
        try:
            self._save_meeting()
        except StorageError:
            self.meeting.progress = before
            raise

    def next(self) -> bool:
        """Go on to the next step; False (with ``errors``) when this step needs something first."""
        if self.step is Step.PRESENT and self.resident.id not in self.meeting.present:
            self.errors = {"present": _("The resident chairs the meeting and must be there.")}
            return False
        if self.step is Step.AGREEMENTS and any(row.errors for row in self.agreements):
            self.errors = {"agreements": _("Fix the agreements marked in red first.")}
            return False
        index = STEPS.index(self.step)
        if index + 1 < len(STEPS):
            self.go_to(STEPS[index + 1])
        return True

    def back(self) -> None:
        index = STEPS.index(self.step)
        if index > 0:
            self.go_to(STEPS[index - 1])

    def finish(self) -> None:
        """End the meeting after the read-back: it is recorded as held today."""
        self._move_to(DONE)

    @property
    def finished(self) -> bool:
        return self.meeting.progress == DONE

    # -- who is at the table -----------------------------------------------------------------

    def set_present(self, participant_id: str, present: bool) -> None:
        ids = [i for i in self.meeting.present if i != participant_id]
        if present:
            ids.append(participant_id)
        self.meeting.present = ids
        self._save_meeting()

    def add_participant(
        self,
        *,
        name: str,
        role: ParticipantRole,
        relation: str = "",
        organisation_id: str | None = None,
    ) -> Participant | None:
        """Add someone the resident wants at the table; they count as present."""
        person, problems = participant_from_form(
            self.case_file.case.id,
            role=role,
            name=name,
            relation=relation,
            organisation_id=organisation_id,
        )
        if problems:
            self.errors = {f"new_participant.{p.field}": p.message for p in problems}
            return None
        self.errors = {}
        self.store.save_participant(person)
        self.case_file.participants.append(person)
        self.set_present(person.id, True)
        return person

    # -- the three questions, in the resident's own words -------------------------------------

    def items(self, step: Step) -> list[str]:
        items: list[str] = getattr(self.meeting, LIST_STEPS[step])
        return items

    def add_item(self, step: Step) -> int:
        """Add an empty line to type in; it is saved once it has text."""
        self.items(step).append("")
        return len(self.items(step)) - 1

    def set_item(self, step: Step, index: int, text: str) -> None:
        self.items(step)[index] = text
        self._save_lists()

    def remove_item(self, step: Step, index: int) -> None:
        del self.items(step)[index]
        self._save_lists()

    def _without_blank_lines(self) -> Meeting:
        # Blank lines are what was just added and not typed yet: not worth saving, not an error.
        return replace(
            self.meeting,
            wants=[t for t in self.meeting.wants if t.strip()],
            strengths=[t for t in self.meeting.strengths if t.strip()],
            needs=[t for t in self.meeting.needs if t.strip()],
        )

    def _save_meeting(self) -> None:
        """Save the step and who is present, with the lists as far as they are valid.

        Blank lines are left out; a list with an invalid line (its message is in ``errors``)
        keeps its last saved version, so moving on or ticking someone never fails.
        """
        saved = self._without_blank_lines()
        try:
            self.store.save_meeting(saved)
        except ValidationError:
            wants, strengths, needs = self._saved_lists
            self.store.save_meeting(replace(saved, wants=wants, strengths=strengths, needs=needs))
        else:
            self._saved_lists = (saved.wants, saved.strengths, saved.needs)

    def _save_lists(self) -> None:
        saved = self._without_blank_lines()
        try:
            self.store.save_meeting(saved)
        except ValidationError as error:
            self.errors = {p.field: p.message for p in error.problems}
        else:
            self.errors = {}
            self._saved_lists = (saved.wants, saved.strengths, saved.needs)

    # -- agreements ------------------------------------------------------------------------

    def add_agreement(self, what: str) -> AgreementRow | None:
        """Start an agreement from its first words: owner the resident, due in six weeks."""
        if not what.strip():
            return None
        agreement = Agreement(
            case_id=self.case_file.case.id,
            meeting_id=self.meeting.id,
            what=what,
            owner_id=self.resident.id,
            due_date=default_agreement_due(self.meeting_date),
        )
        row = AgreementRow(saved=agreement, shown=replace(agreement))
        self.agreements.append(row)
        self._save_agreement(row)
        return row

    def update_agreement(
        self,
        agreement_id: str,
        *,
        what: str | None = None,
        owner_id: str | None = None,
        due_date: date | None = None,
        outside_norm_reason: str | None = None,
    ) -> AgreementRow:
        row = next(r for r in self.agreements if r.saved.id == agreement_id)
        shown = row.shown
        row.shown = replace(
            shown,
            what=shown.what if what is None else what,
            owner_id=shown.owner_id if owner_id is None else owner_id,
            due_date=shown.due_date if due_date is None else due_date,
            outside_norm_reason=(
                shown.outside_norm_reason if outside_norm_reason is None else outside_norm_reason
            ),
        )
        if row.shown.due_date and not is_outside_norm(self.meeting_date, row.shown.due_date):
            row.shown.outside_norm_reason = ""  # a reason only belongs to a date past the norm
        self._save_agreement(row)
        return row

    def forget_fixed_errors(self) -> None:
        """Drop "fix the agreements first" once no agreement has an error any more."""
        if "agreements" in self.errors and not any(r.errors for r in self.agreements):
            del self.errors["agreements"]

    def remove_agreement(self, agreement_id: str) -> None:
        row = next(r for r in self.agreements if r.saved.id == agreement_id)
        self.agreements.remove(row)
        self.store.delete_agreement(agreement_id)

    def _save_agreement(self, row: AgreementRow) -> None:
        ids = {p.id for p in self.participants}
        try:
            validate_agreement(row.shown, meeting_date=self.meeting_date, participant_ids=ids)
        except ValidationError as error:
            row.errors = {p.field: p.message for p in error.problems}
            return
        row.errors = {}
        self.store.save_agreement(row.shown)
        row.saved = replace(row.shown)

    @property
    def default_due(self) -> date:
        """The due date a new agreement gets, also the last day within the six-week norm."""
        return default_agreement_due(self.meeting_date)

    @property
    def latest_due(self) -> date:
        """The last due date accepted at all (with a reason): the date picker stops there."""
        return latest_agreement_due(self.meeting_date)

    def outside_norm(self, due_date: date) -> bool:
        """Whether ``due_date`` is past six weeks after the meeting (then it needs a reason)."""
        return is_outside_norm(self.meeting_date, due_date)

    def owner_name(self, agreement: Agreement) -> str:
        person = next((p for p in self.case_file.participants if p.id == agreement.owner_id), None)
        return shown_name(person) if person is not None else ""

    # -- wellbeing -------------------------------------------------------------------------

    @property
    def wellbeing(self) -> int | None:
        measurement = self._wellbeing_measurement()
        return measurement.wellbeing if measurement else None

    def set_wellbeing(self, score: int) -> bool:
        measurement = self._wellbeing_measurement() or Measurement(
            case_id=self.case_file.case.id,
            moment=MeasurementMoment.MEETING,
            taken_on=self.meeting_date,
        )
        candidate = replace(measurement, wellbeing=score)
        try:
            self.store.save_measurement(candidate)
        except ValidationError as error:
            self.errors = {p.field: p.message for p in error.problems}
            return False
        self.errors = {}
        if measurement not in self.case_file.measurements:
            self.case_file.measurements.append(candidate)
        else:
            self.case_file.measurements[self.case_file.measurements.index(measurement)] = candidate
        return True

    def _wellbeing_measurement(self) -> Measurement | None:
        return next(
            (
                m
                for m in self.case_file.measurements
                if m.moment is MeasurementMoment.MEETING and m.taken_on == self.meeting.held_on
            ),
            None,
        )

    # -- read-back -------------------------------------------------------------------------

    def open_agreements(self) -> list[Agreement]:
        return [r.saved for r in self.agreements if r.saved.status is AgreementStatus.OPEN]


def _ensure_resident(store: CaseStore, case_file: CaseFile) -> Participant:
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
