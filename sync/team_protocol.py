"""The team-lead views on the wire (issue #6): overdue actions across a team and monitoring figures.

The dossier server computes both (``GET /api/v1/team/overdue`` and ``GET /api/v1/team/monitoring``)
for an account with the team-lead role, over the cases of *their own* team only (the cases that
have a member in the team, see ``server/authorisation.py``). The app keeps the last answer for
offline viewing and shows its ``as_of`` time. A professional or administrator gets 403.

Rules, the same as on the device (``models/deadlines.py``), counted in calendar days:

- **MDO overdue**: more than 14 days after contact, no meeting held, no "no MDO needed" decision,
  case not closed. ``days_late = today - (contact + 14)``; > 0 is late, 0 is "due today".
  **MDO due soon**: 0..3 days left (``days_late`` -3..0).
- **Agreement overdue**: status open and ``today > due_date``; due soon: open, 0..3 days left.
- Items are sorted by ``days_late`` descending (most late first), then due date, then case id.
- ``owner_removed``: the agreement's owner was taken off the case (``removed_on`` on their
  participant record, issue #5). The item keeps their name; the app marks it "(no longer taking
  part)", because the agreement needs handing over. Always false for an MDO.

Versions (``TEAM_PROTOCOL_VERSION``). The models are ``extra="forbid"``, so an app that does not
know a field refuses the whole answer ("invalid_response") and the dashboard would stay on its
cached answer for good. A field is therefore only ever sent to an app that asks for it: the app
sends ``?protocol=N`` with ``GET /api/v1/team/overdue``, and the server leaves out every field of
a later version (``OVERDUE_FIELDS_SINCE``). An app from before version 2 sends no ``protocol``
(read as 1) and gets exactly the answer it knows, without ``owner_removed``: its team lead sees the
plain name as before. A new field always has a default, so a new app reading an older server's
answer, or an answer cached before the field, gets the default (``owner_removed`` false). Leaving
the field out only when false would not do: an old app would then break on exactly the answers
that hold a removed owner.

- 1: the first version (issue #6).
- 2: ``OverdueItem.owner_removed``.

Monitoring figures for a period (``start``..``end`` inclusive, by contact date for the MDO figures
and by meeting date for the agreement figures; default: the last half year up to today):

- ``contacts``: cases whose contact date is in the period.
- ``mdos_held``: of those, cases whose first meeting was held; ``mdos_within_14_days``: held on or
  before contact + 14 (day 14 is in time, day 15 is not); ``pct`` = within / held * 100, or None
  when nothing was held; ``median_days_contact_to_mdo`` over the held ones (None when none).
- ``no_mdo_needed``: of the contacts, cases with a "no MDO needed" decision.
- Agreements: those of meetings held in the period, **cancelled ones excluded** from every figure.
  ``made``, ``done``, ``done_within_six_weeks`` (done on or before meeting + 42 days), ``pct`` =
  within / made * 100 (None when none made), ``median_days_to_done`` (meeting -> done),
  ``overdue_now`` (open and past due today).
- Wellbeing per moment (contact, meeting, six weeks, later): the average of each resident's
  latest measurement at that moment, with the number of residents behind it. A resident with a
  single measurement counts at that one moment only.
- Positive Health: per dimension, the average over residents of their latest measurement that
  has it, with the number of residents.
- Per organisation (of the agreement's owner participant; ``None`` for network members and the
  resident): agreements made, done, overdue now. Organisation ids are the slugs the devices use
  (``models/organisations.py``); names come from that list, else the slug itself.
- Stories: for cases in the period whose resident consents to sharing: the question and the
  outcome (closing note) in the resident's words. Only cases with an outcome (a non-blank closing
  note) and consent *now* (withdrawn consent hides the story), most recently closed first, at most
  ``STORIES_LIMIT``.
- Period cohorts: MDO figures, wellbeing, Positive Health and stories by the case's contact date;
  agreement figures by their meeting's held date (no held date: in no period). Wellbeing takes,
  per resident and moment, the latest measurement that has a wellbeing score.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

TEAM_OVERDUE_PATH = "/api/v1/team/overdue"
TEAM_PROTOCOL_VERSION = 2  # what this app reads; the query parameter ``protocol``
# The fields of OverdueItem that came after version 1, by the version that brought them.
OVERDUE_FIELDS_SINCE: dict[str, int] = {"owner_removed": 2}
TEAM_MONITORING_PATH = "/api/v1/team/monitoring"
DUE_SOON_DAYS = 3
STORIES_LIMIT = 50  # a report shows a handful of stories beside the figures


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OverdueKind(StrEnum):
    MDO_OVERDUE = "mdo_overdue"
    MDO_DUE_SOON = "mdo_due_soon"
    AGREEMENT_OVERDUE = "agreement_overdue"
    AGREEMENT_DUE_SOON = "agreement_due_soon"


class OverdueItem(_Wire):
    kind: OverdueKind
    case_id: UUID
    agreement_id: UUID | None = None  # set for the agreement kinds
    resident_name: str  # the team lead is authorised for every case in the answer
    what: str | None = None  # the agreement's text; None for an MDO
    due: date
    days_late: int  # today - due: positive = that many days late, -3..0 = due soon
    # Who is on it: the agreement's owner, or for an MDO the professional who took the contact.
    professional_id: UUID | None = None  # the participant's account id, when linked to one
    professional_name: str | None = None  # the participant's name
    organisation_id: str | None = None  # as the device records it: a partner slug, e.g. "ggd"
    organisation_name: str | None = None  # network members and residents have none
    owner_removed: bool = False  # the owner was taken off the case (version 2, see above)


class OverdueReport(_Wire):
    team_id: UUID
    team_name: str
    today: date
    as_of: AwareDatetime
    items: list[OverdueItem]


class WellbeingMoment(StrEnum):  # the values of models.domain.MeasurementMoment
    CONTACT = "contact"
    MEETING = "meeting"
    SIX_WEEKS = "six_weeks"
    LATER = "later"


class AverageFigure(_Wire):
    average: float | None  # None when nobody was measured
    residents: int


class WellbeingFigure(AverageFigure):
    moment: WellbeingMoment


class HealthDimensionFigure(AverageFigure):
    dimension: str  # one of models.domain.POSITIVE_HEALTH_DIMENSIONS


class OrganisationFigure(_Wire):
    organisation_id: str | None  # a partner slug as on the device; None: the resident's network
    organisation_name: str | None
    made: int
    done: int
    overdue_now: int


class Story(_Wire):
    case_id: UUID
    question: str
    outcome: str


class MonitoringFigures(_Wire):
    team_id: UUID
    team_name: str
    start: date
    end: date
    as_of: AwareDatetime
    contacts: int
    mdos_held: int
    mdos_within_14_days: int
    pct_mdos_within_14_days: float | None
    median_days_contact_to_mdo: float | None
    no_mdo_needed: int
    agreements_made: int
    agreements_done: int
    agreements_done_within_six_weeks: int
    pct_done_within_six_weeks: float | None
    median_days_to_done: float | None
    agreements_overdue_now: int
    wellbeing: list[WellbeingFigure]  # one per moment, in WellbeingMoment order
    positive_health: list[HealthDimensionFigure]  # only dimensions someone was measured on
    per_organisation: list[OrganisationFigure]
    stories: list[Story]
