"""The monitoring figures of a period for a team (``sync.team_protocol.MonitoringFigures``).

The definitions are in the protocol module's docstring. The choices made where it is silent:

- **Cohorts.** MDO figures, wellbeing, Positive Health and stories cover the cases whose contact
  date is in the period (``start``..``end``, both included). Agreement figures cover the
  agreements of meetings held in the period; an agreement whose meeting has no held date is in no
  period. A case without a contact date is in no period.
- **Held.** A case counts as held when its first meeting has a held date (the meeting the 14-day
  clock looks at), also when that date lies after the period.
- **Wellbeing.** Per resident (the case's resident; the case itself when it names none) and
  moment, the latest measurement of that moment *that has a wellbeing score* (latest
  ``taken_on``; a tie goes to the highest measurement id, so the answer is stable).
- **Averages** are plain means, not rounded here (screens and exports round). Medians are the
  middle value, or the mean of the two middle values (``percentile_cont(0.5)`` on PostgreSQL,
  ``statistics.median`` elsewhere).
- **Stories.** Cases whose resident consents (``consent_given`` is true now: a withdrawn consent
  hides the story) and that have an outcome (a non-blank closing note), most recently closed
  first, at most ``STORIES_LIMIT``: a report shows a handful of stories beside the figures.

Every figure is one SQL statement over the read model, with aggregates in the database; the
medians are computed in SQL on PostgreSQL and over one narrow column in Python on SQLite.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select, union_all
from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar

from server.models.reports import (
    HEALTH_COLUMNS,
    ReportAgreement,
    ReportCase,
    ReportMeasurement,
    ReportParticipant,
)
from server.reports.overdue import MEETING_WINDOW_DAYS, organisation_name
from sync.team_protocol import (
    HealthDimensionFigure,
    MonitoringFigures,
    OrganisationFigure,
    Story,
    WellbeingFigure,
    WellbeingMoment,
)

AGREEMENT_WINDOW_DAYS = 42  # models.deadlines.AGREEMENT_WINDOW_DAYS
STORIES_LIMIT = 50

Cases = SelectOfScalar[uuid.UUID]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def percentage(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole * 100


def _median(session: Session, column: Any, query: Select[Any]) -> float | None:
    """The median of ``column`` over the rows of ``query`` (NULLs left out)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(
            query.with_only_columns(func.percentile_cont(0.5).within_group(column))
        ).scalar_one()
        return None if value is None else float(value)
    values = [
        v for v in session.execute(query.with_only_columns(column)).scalars() if v is not None
    ]
    return float(statistics.median(values)) if values else None


def _cohort(cases: Cases, start: date, end: date) -> list[ColumnElement[bool]]:
    c = ReportCase
    return [
        col(c.contact_date) >= start,
        col(c.contact_date) <= end,
        col(c.case_id).in_(cases),
    ]


# -- MDOs ----------------------------------------------------------------------------------------


def case_figures(session: Session, cases: Cases, start: date, end: date) -> dict[str, Any]:
    c = ReportCase
    where = _cohort(cases, start, end)
    contacts, held, within, no_mdo = session.execute(
        select(
            func.count(),
            func.count(col(c.first_held_on)),
            _count_if(col(c.mdo_days) <= MEETING_WINDOW_DAYS),
            func.count(col(c.no_meeting_decided_on)),
        ).where(*where)
    ).one()
    median = (
        _median(session, col(c.mdo_days), select(col(c.mdo_days)).where(*where)) if held else None
    )
    return {
        "contacts": contacts,
        "mdos_held": held,
        "mdos_within_14_days": within,
        "pct_mdos_within_14_days": percentage(within, held),
        "median_days_contact_to_mdo": median,
        "no_mdo_needed": no_mdo,
    }


# -- agreements ----------------------------------------------------------------------------------


def _agreements_where(cases: Cases, start: date, end: date) -> list[ColumnElement[bool]]:
    a = ReportAgreement
    return [
        col(a.meeting_held_on) >= start,
        col(a.meeting_held_on) <= end,
        col(a.status) != "cancelled",
        col(a.case_id).in_(
            select(col(ReportCase.case_id)).where(col(ReportCase.case_id).in_(cases))
        ),
    ]


def agreement_figures(
    session: Session, cases: Cases, start: date, end: date, today: date
) -> dict[str, Any]:
    a = ReportAgreement
    where = _agreements_where(cases, start, end)
    done = col(a.status) == "done"
    made, done_count, within, overdue = session.execute(
        select(
            func.count(),
            _count_if(done),
            _count_if(done & (col(a.done_days) <= AGREEMENT_WINDOW_DAYS)),
            _count_if((col(a.status) == "open") & (col(a.due_date) < today)),
        ).where(*where)
    ).one()
    median = None
    if done_count:
        median = _median(session, col(a.done_days), select(col(a.done_days)).where(*where, done))
    return {
        "agreements_made": made,
        "agreements_done": done_count,
        "agreements_done_within_six_weeks": within,
        "pct_done_within_six_weeks": percentage(within, made),
        "median_days_to_done": median,
        "agreements_overdue_now": overdue,
    }


def per_organisation(
    session: Session, cases: Cases, start: date, end: date, today: date
) -> list[OrganisationFigure]:
    a, p = ReportAgreement, ReportParticipant
    organisation = case((col(p.role) == "professional", col(p.organisation_id)), else_=None)
    rows = session.execute(
        select(
            organisation,
            func.count(),
            _count_if(col(a.status) == "done"),
            _count_if((col(a.status) == "open") & (col(a.due_date) < today)),
        )
        .select_from(a)
        .outerjoin(
            p, (col(p.participant_id) == col(a.owner_id)) & (col(p.case_id) == col(a.case_id))
        )
        .where(*_agreements_where(cases, start, end))
        .group_by(organisation)
    ).all()
    figures = [
        OrganisationFigure(
            organisation_id=slug,
            organisation_name=organisation_name(slug),
            made=made,
            done=done,
            overdue_now=overdue,
        )
        for slug, made, done, overdue in rows
    ]
    # By name, the resident's network (no organisation) last.
    return sorted(
        figures, key=lambda f: (f.organisation_id is None, (f.organisation_name or "").casefold())
    )


# -- measurements --------------------------------------------------------------------------------


def _latest(score: Any, partition: list[Any], cases: Cases, start: date, end: date) -> Any:
    """Per ``partition`` (resident first), the row number of each measurement with a ``score``,
    1 for the latest."""
    m, c = ReportMeasurement, ReportCase
    resident = func.coalesce(col(c.resident_id), col(c.case_id))
    return (
        select(
            *partition,
            score.label("score"),
            func.row_number()
            .over(
                partition_by=[resident, *partition],
                order_by=[col(m.taken_on).desc().nulls_last(), col(m.measurement_id).desc()],
            )
            .label("rn"),
        )
        .select_from(m)
        .join(c, col(c.case_id) == col(m.case_id))
        .where(score.is_not(None), *_cohort(cases, start, end))
    )


def wellbeing(session: Session, cases: Cases, start: date, end: date) -> list[WellbeingFigure]:
    m = ReportMeasurement
    latest = _latest(col(m.wellbeing), [col(m.moment).label("moment")], cases, start, end)
    latest = latest.where(col(m.moment).is_not(None)).subquery()
    rows = session.execute(
        select(latest.c.moment, func.avg(latest.c.score), func.count())
        .where(latest.c.rn == 1)
        .group_by(latest.c.moment)
    ).all()
    found = {moment: (float(average), residents) for moment, average, residents in rows}
    return [
        WellbeingFigure(
            moment=moment,
            average=found[moment.value][0] if moment.value in found else None,
            residents=found[moment.value][1] if moment.value in found else 0,
        )
        for moment in WellbeingMoment
    ]


def positive_health(
    session: Session, cases: Cases, start: date, end: date
) -> list[HealthDimensionFigure]:
    per_dimension = [
        _latest(
            getattr(ReportMeasurement, column),
            [literal(name).label("dimension")],
            cases,
            start,
            end,
        )
        for name, column in HEALTH_COLUMNS.items()
    ]
    latest = union_all(*per_dimension).subquery()
    rows = session.execute(
        select(latest.c.dimension, func.avg(latest.c.score), func.count())
        .where(latest.c.rn == 1)
        .group_by(latest.c.dimension)
    ).all()
    found = {name: (float(average), residents) for name, average, residents in rows}
    return [
        HealthDimensionFigure(dimension=name, average=found[name][0], residents=found[name][1])
        for name in HEALTH_COLUMNS
        if name in found
    ]


# -- stories -------------------------------------------------------------------------------------


def stories(session: Session, cases: Cases, start: date, end: date) -> list[Story]:
    c = ReportCase
    rows = session.execute(
        select(col(c.case_id), col(c.question), col(c.closing_note))
        .where(
            *_cohort(cases, start, end),
            col(c.consent_given).is_(True),
            func.trim(col(c.closing_note)) != "",
        )
        .order_by(col(c.closed_on).desc().nulls_last(), col(c.contact_date).desc(), col(c.case_id))
        .limit(STORIES_LIMIT)
    ).all()
    return [Story(case_id=case_id, question=q, outcome=o) for case_id, q, o in rows]


# -- all of it -----------------------------------------------------------------------------------


def monitoring_figures(
    session: Session,
    cases: Cases,
    *,
    team_id: uuid.UUID,
    team_name: str,
    start: date,
    end: date,
    today: date,
    now: datetime,
) -> MonitoringFigures:
    return MonitoringFigures(
        team_id=team_id,
        team_name=team_name,
        start=start,
        end=end,
        as_of=now,
        **case_figures(session, cases, start, end),
        **agreement_figures(session, cases, start, end, today),
        wellbeing=wellbeing(session, cases, start, end),
        positive_health=positive_health(session, cases, start, end),
        per_organisation=per_organisation(session, cases, start, end, today),
        stories=stories(session, cases, start, end),
    )
