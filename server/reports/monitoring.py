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
  ``taken_on``; two on the same day: the higher score, so the answer is stable; a measurement
  without a date counts as the oldest).
- **Averages** are plain means, not rounded here (screens and exports round). Medians are the
  middle value, or the mean of the two middle values.
- **Stories.** Cases whose resident consents (``consent_given`` is true now: a withdrawn consent
  hides the story) and that have an outcome (a non-blank closing note), most recently closed
  first, at most ``STORIES_LIMIT``: a report shows a handful of stories beside the figures.

Four SQL statements over the read model, with the aggregates in the database: the MDO figures;
the agreement figures with their split per organisation; wellbeing and Positive Health; the
stories. Each scopes to the team once. The median days from contact to MDO is computed in SQL on
PostgreSQL (``percentile_cont``) and over one narrow column in Python on SQLite; the median days
to done comes from the agreement statement's histogram of whole days (``median_of_counts``),
which measured faster than ``ROLLUP`` with ``percentile_cont`` (that sorts every agreement).
"""

from __future__ import annotations

import statistics
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
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


def median_of_counts(counts: dict[int, int]) -> float | None:
    """The median of a multiset given as ``{value: how often}`` (None when empty): the middle
    value, or the mean of the two middle values."""
    total = sum(counts.values())
    if total == 0:
        return None
    middle = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while middle and middle[0] < seen:
            found.append(value)
            middle.pop(0)
    return (found[0] + found[1]) / 2


def agreement_figures(
    session: Session, cases: Cases, start: date, end: date, today: date
) -> tuple[dict[str, Any], list[OrganisationFigure]]:
    """The agreement figures and their split per organisation, in one statement.

    It groups by organisation and by the whole days from meeting to done (NULL unless done):
    a few hundred rows at most, with no sort (a hash aggregate). The totals are their sums, and
    the median of the days to done comes from that histogram, exactly, on both databases.
    """
    a = ReportAgreement
    where = _agreements_where(cases, start, end)
    done = col(a.status) == "done"
    organisation, days = col(a.owner_organisation_id), col(a.done_days)
    query = (
        select(
            organisation,
            days,
            func.count(),
            _count_if(done),
            _count_if(done & (days <= AGREEMENT_WINDOW_DAYS)),
            _count_if((col(a.status) == "open") & (col(a.due_date) < today)),
        )
        .where(*where)
        .group_by(organisation, days)
    )
    per_slug: dict[str | None, list[int]] = {}
    total = [0, 0, 0, 0]
    histogram: dict[int, int] = {}
    for slug, day, made, done_count, within, overdue in session.execute(query).all():
        numbers = (made, done_count, within, overdue)
        per_slug.setdefault(slug, [0, 0, 0, 0])
        per_slug[slug] = [x + y for x, y in zip(per_slug[slug], numbers, strict=True)]
        total = [x + y for x, y in zip(total, numbers, strict=True)]
        if day is not None and done_count:
            histogram[day] = histogram.get(day, 0) + done_count
    made, done_count, within, overdue = total
    figures = {
        "agreements_made": made,
        "agreements_done": done_count,
        "agreements_done_within_six_weeks": within,
        "pct_done_within_six_weeks": percentage(within, made),
        "median_days_to_done": median_of_counts(histogram),
        "agreements_overdue_now": overdue,
    }
    per_organisation = [
        OrganisationFigure(
            organisation_id=slug,
            organisation_name=organisation_name(slug),
            made=numbers[0],
            done=numbers[1],
            overdue_now=numbers[3],
        )
        for slug, numbers in per_slug.items()
    ]
    # By name, the resident's network (no organisation) last.
    per_organisation.sort(
        key=lambda f: (f.organisation_id is None, (f.organisation_name or "").casefold())
    )
    return figures, per_organisation


# -- measurements --------------------------------------------------------------------------------


_SCORE_SLOT = 100  # scores 0..10 take the last two decimal places of the key


def _latest_score_key(score: Any, *conditions: ColumnElement[bool]) -> ColumnElement[Any]:
    """Per group, ``max`` of ``day number * 100 + score`` over the rows that have the score:
    the key of the latest measurement (no date sorts oldest; on one day, the higher score).
    The score is the key's last two decimal places (``_score_of``)."""
    m = ReportMeasurement
    key = func.coalesce(col(m.taken_day), 0) * _SCORE_SLOT + score
    return func.max(case((and_(score.is_not(None), *conditions), key), else_=None))


def _score_of(key: Any) -> ColumnElement[Any]:
    score: ColumnElement[Any] = key % _SCORE_SLOT
    return score


def measurement_figures(
    session: Session, cases: Cases, start: date, end: date
) -> tuple[list[WellbeingFigure], list[HealthDimensionFigure]]:
    """Wellbeing per moment and Positive Health per dimension, in one statement, with no sort.

    The inner query groups the cohort's measurements by resident and takes, per moment and per
    dimension, the latest measurement that has the score, as the ``max`` of a number that starts
    with the day (``_latest_score_key``): one hash aggregate of integers instead of a window and
    a sort per figure. The outer query averages and counts each column.
    """
    m, c = ReportMeasurement, ReportCase
    keys: dict[tuple[str, str], Any] = {}
    for moment in WellbeingMoment:
        keys[("wellbeing", moment.value)] = _latest_score_key(
            col(m.wellbeing), col(m.moment) == moment.value
        )
    for name, column in HEALTH_COLUMNS.items():
        keys[("health", name)] = _latest_score_key(col(getattr(m, column)))
    labels = {key: f"k{i}" for i, key in enumerate(keys)}
    per_resident = (
        select(*(expression.label(labels[key]) for key, expression in keys.items()))
        .select_from(m)
        .join(c, col(c.case_id) == col(m.case_id))
        .where(*_cohort(cases, start, end))
        .group_by(func.coalesce(col(c.resident_id), col(c.case_id)))
        .subquery()
    )
    columns: list[Any] = []
    for key in keys:
        latest = per_resident.c[labels[key]]
        columns += [func.avg(_score_of(latest)), func.count(latest)]
    row = session.execute(select(*columns)).one()
    found = {
        key: (float(row[2 * i]), row[2 * i + 1]) for i, key in enumerate(keys) if row[2 * i + 1] > 0
    }
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
