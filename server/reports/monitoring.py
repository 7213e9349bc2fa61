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

Four SQL statements over the read model, with the aggregates in the database: the MDO figures;
the agreement figures with their split per organisation; wellbeing and Positive Health; the
stories. Each scopes to the team once. The medians are computed in SQL on PostgreSQL
(``percentile_cont``) and over one narrow column in Python on SQLite.
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
)
from server.reports.overdue import MEETING_WINDOW_DAYS, organisation_name
from sync.team_protocol import (
    STORIES_LIMIT,
    HealthDimensionFigure,
    MonitoringFigures,
    OrganisationFigure,
    Story,
    WellbeingFigure,
    WellbeingMoment,
)

AGREEMENT_WINDOW_DAYS = 42  # models.deadlines.AGREEMENT_WINDOW_DAYS

Cases = SelectOfScalar[uuid.UUID]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def percentage(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole * 100


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _median_in_sql(column: Any) -> ColumnElement[float]:
    """The median as an aggregate (PostgreSQL), NULLs left out."""
    return func.percentile_cont(0.5).within_group(column)


def _median_in_python(session: Session, query: Select[Any]) -> float | None:
    """The median of the one column ``query`` selects (SQLite), NULLs left out."""
    values = [v for v in session.execute(query).scalars() if v is not None]
    return float(statistics.median(values)) if values else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _cohort(cases: Cases, start: date, end: date) -> list[ColumnElement[bool]]:
    c = ReportCase
    return [
        col(c.contact_date) >= start,
        col(c.contact_date) <= end,
        col(c.case_id).in_(cases),
    ]


# -- MDOs ----------------------------------------------------------------------------------------


def case_figures(session: Session, cases: Cases, start: date, end: date) -> dict[str, Any]:
    """The MDO figures in one statement (with the median on PostgreSQL)."""
    c = ReportCase
    where = _cohort(cases, start, end)
    postgres = _on_postgres(session)
    columns: list[Any] = [
        func.count(),
        func.count(col(c.first_held_on)),
        _count_if(col(c.mdo_days) <= MEETING_WINDOW_DAYS),
        func.count(col(c.no_meeting_decided_on)),
    ]
    if postgres:
        columns.append(_median_in_sql(col(c.mdo_days)))
    row = session.execute(select(*columns).where(*where)).one()
    contacts, held, within, no_mdo = row[:4]
    if postgres:
        median = _float(row[4])
    else:
        median = _median_in_python(session, select(col(c.mdo_days)).where(*where)) if held else None
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
        col(a.case_id).in_(cases),
    ]


def agreement_figures(
    session: Session, cases: Cases, start: date, end: date, today: date
) -> tuple[dict[str, Any], list[OrganisationFigure]]:
    """The agreement figures and their split per organisation, in one statement: grouped by
    organisation, with the grand total from ``ROLLUP`` (and the median) on PostgreSQL, and
    summed here (the median over one narrow column) on SQLite."""
    a = ReportAgreement
    where = _agreements_where(cases, start, end)
    done = col(a.status) == "done"
    organisation = col(a.owner_organisation_id)
    postgres = _on_postgres(session)
    columns: list[Any] = [
        organisation,
        func.count(),
        _count_if(done),
        _count_if(done & (col(a.done_days) <= AGREEMENT_WINDOW_DAYS)),
        _count_if((col(a.status) == "open") & (col(a.due_date) < today)),
    ]
    if postgres:
        columns += [_median_in_sql(col(a.done_days)), func.grouping(organisation)]
    query = (
        select(*columns)
        .select_from(a)
        .where(*where)
        .group_by(func.rollup(organisation) if postgres else organisation)
    )
    groups, total = [], [0, 0, 0, 0]
    median = None
    for row in session.execute(query).all():
        if postgres and row[6] == 1:  # the ROLLUP's grand total
            total, median = list(row[1:5]), _float(row[5])
            continue
        groups.append(row)
        if not postgres:
            total = [t + v for t, v in zip(total, row[1:5], strict=True)]
    made, done_count, within, overdue = total
    if not postgres and done_count:
        median = _median_in_python(session, select(col(a.done_days)).where(*where, done))
    figures = {
        "agreements_made": made,
        "agreements_done": done_count,
        "agreements_done_within_six_weeks": within,
        "pct_done_within_six_weeks": percentage(within, made),
        "median_days_to_done": median,
        "agreements_overdue_now": overdue,
    }
    per_organisation = [
        OrganisationFigure(
            organisation_id=row[0],
            organisation_name=organisation_name(row[0]),
            made=row[1],
            done=row[2],
            overdue_now=row[4],
        )
        for row in groups
    ]
    # By name, the resident's network (no organisation) last.
    per_organisation.sort(
        key=lambda f: (f.organisation_id is None, (f.organisation_name or "").casefold())
    )
    return figures, per_organisation


# -- measurements --------------------------------------------------------------------------------


def measurement_figures(
    session: Session, cases: Cases, start: date, end: date
) -> tuple[list[WellbeingFigure], list[HealthDimensionFigure]]:
    """Wellbeing per moment and Positive Health per dimension, in one statement.

    The cohort's measurements are selected once (a CTE: PostgreSQL materialises a CTE used more
    than once). A window numbers each resident's measurements that have the score, latest first:
    per moment for wellbeing, per dimension for Positive Health; aggregates average the number
    1s (one row per moment or dimension), so the whole is never sorted.
    """
    m, c = ReportMeasurement, ReportCase
    health: list[Any] = [
        col(getattr(m, column)).label(column) for column in HEALTH_COLUMNS.values()
    ]
    cohort = (
        select(
            func.coalesce(col(c.resident_id), col(c.case_id)).label("resident"),
            col(m.measurement_id).label("measurement"),
            col(m.taken_on).label("taken_on"),
            col(m.moment).label("moment"),
            col(m.wellbeing).label("wellbeing"),
            *health,
        )
        .select_from(m)
        .join(c, col(c.case_id) == col(m.case_id))
        .where(*_cohort(cases, start, end))
        .cte("cohort")
    )

    def latest(kind: str, name: str, score: Any, *where: ColumnElement[bool]) -> Select[Any]:
        number = func.row_number().over(
            partition_by=cohort.c.resident,
            order_by=[cohort.c.taken_on.desc().nulls_last(), cohort.c.measurement.desc()],
        )
        numbered = (
            select(score.label("score"), number.label("rn"))
            .where(score.is_not(None), *where)
            .subquery()
        )
        return select(
            literal(kind).label("kind"),
            literal(name).label("name"),
            func.avg(numbered.c.score).label("average"),
            func.count().label("residents"),
        ).where(numbered.c.rn == 1)

    # Wellbeing: one window per resident and moment, averaged per moment.
    per_moment = (
        select(
            cohort.c.moment.label("moment"),
            cohort.c.wellbeing.label("score"),
            func.row_number()
            .over(
                partition_by=[cohort.c.resident, cohort.c.moment],
                order_by=[cohort.c.taken_on.desc().nulls_last(), cohort.c.measurement.desc()],
            )
            .label("rn"),
        )
        .where(cohort.c.wellbeing.is_not(None), cohort.c.moment.is_not(None))
        .subquery()
    )
    moments = (
        select(
            literal("wellbeing").label("kind"),
            per_moment.c.moment.label("name"),
            func.avg(per_moment.c.score).label("average"),
            func.count().label("residents"),
        )
        .where(per_moment.c.rn == 1)
        .group_by(per_moment.c.moment)
    )
    branches = [moments] + [
        latest("health", name, cohort.c[column]) for name, column in HEALTH_COLUMNS.items()
    ]
    rows = [row for row in session.execute(union_all(*branches)).all() if row[3] > 0]
    found = {(kind, name): (float(average), n) for kind, name, average, n in rows}
    wellbeing = []
    for moment in WellbeingMoment:
        average, residents = found.get(("wellbeing", moment.value), (None, 0))
        wellbeing.append(WellbeingFigure(moment=moment, average=average, residents=residents))
    positive_health = [
        HealthDimensionFigure(
            dimension=name,
            average=found[("health", name)][0],
            residents=found[("health", name)][1],
        )
        for name in HEALTH_COLUMNS
        if ("health", name) in found
    ]
    return wellbeing, positive_health


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
    agreements, per_organisation = agreement_figures(session, cases, start, end, today)
    wellbeing, positive_health = measurement_figures(session, cases, start, end)
    return MonitoringFigures(
        team_id=team_id,
        team_name=team_name,
        start=start,
        end=end,
        as_of=now,
        **case_figures(session, cases, start, end),
        **agreements,
        wellbeing=wellbeing,
        positive_health=positive_health,
        per_organisation=per_organisation,
        stories=stories(session, cases, start, end),
    )
