"""Overdue and due-soon MDOs and agreements across a team (``sync.team_protocol.OverdueReport``).

The rules are those of ``models/deadlines.py`` (see the protocol module's docstring):

- An MDO is listed when the case has no meeting held, no "no MDO needed" decision and is not
  closed, and ``today >= contact + 14 - 3``: due soon from three days before the due day,
  overdue from the day after it. ``days_late = today - (contact + 14)``.
- An agreement is listed when it is open and ``today >= due - 3``; ``days_late = today - due``.
  Cancelled and done agreements never are. An open agreement of a closed case still is, as on the
  device (``models.queries.overdue``): closing a case does not finish its agreements.

Who is on it: for an agreement its owner participant; for an MDO the professional who took the
contact, i.e. the account that brought the case to the server, with the name and organisation of
the case's participant linked to that account (when there is none: no name, and the case's own
organisation). An agreement whose owner was taken off the case (``removed_on``) keeps that owner's
name and says so in ``owner_removed``: it waits for someone to take it over (always false for an
MDO).

The items are built with ``model_construct`` (no second validation of values that come typed from
the database: a list of thousands of items would spend most of its time there); the tests check
every answer against the wire models.

Both queries read the read model only (``report_case`` through its partial "waiting" index, and
``report_agreement`` through its partial "open by due date" index), scoped to the team by a
sub-select (``server.reports.scope``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select
from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar

from models.organisations import DEFAULT_ORGANISATIONS
from server.models.dossier import CaseAccess
from server.models.reports import ReportAgreement, ReportCase, ReportParticipant
from sync.team_protocol import DUE_SOON_DAYS, OverdueItem, OverdueKind, OverdueReport

MEETING_WINDOW_DAYS = 14  # models.deadlines.MEETING_WINDOW_DAYS
ORGANISATION_NAMES: dict[str, str] = {o.id: o.name for o in DEFAULT_ORGANISATIONS}


def organisation_name(slug: str | None) -> str | None:
    """The name of a partner organisation by its slug; an unknown slug is shown as itself."""
    return None if slug is None else ORGANISATION_NAMES.get(slug, slug)


def _kind(days_late: int, late: OverdueKind, soon: OverdueKind) -> OverdueKind:
    return late if days_late > 0 else soon


def mdo_items(session: Session, cases: SelectOfScalar[uuid.UUID], today: date) -> list[OverdueItem]:
    latest_contact = today + timedelta(days=DUE_SOON_DAYS) - timedelta(days=MEETING_WINDOW_DAYS)
    c, p = ReportCase, ReportParticipant
    rows = session.execute(
        select(
            col(c.case_id),
            col(c.contact_date),
            col(c.resident_name),
            col(c.organisation_id),
            col(CaseAccess.created_by),
            col(p.name),
            col(p.organisation_id),
        )
        .join(CaseAccess, col(CaseAccess.case_id) == col(c.case_id))
        .outerjoin(
            p,
            and_(col(p.case_id) == col(c.case_id), col(p.account_id) == col(CaseAccess.created_by)),
        )
        .where(
            col(c.first_held_on).is_(None),
            col(c.no_meeting_decided_on).is_(None),
            col(c.closed_on).is_(None),
            col(c.contact_date) <= latest_contact,
            col(c.case_id).in_(cases),
        )
        .order_by(col(c.case_id), col(p.participant_id))
    ).all()
    items: dict[uuid.UUID, OverdueItem] = {}
    for case_id, contact, resident, case_org, creator, name, participant_org in rows:
        if case_id in items:
            continue  # two participants linked to the creator's account: the first one
        due = contact + timedelta(days=MEETING_WINDOW_DAYS)
        days_late = (today - due).days
        organisation = participant_org if name is not None else case_org
        items[case_id] = OverdueItem.model_construct(
            kind=_kind(days_late, OverdueKind.MDO_OVERDUE, OverdueKind.MDO_DUE_SOON),
            case_id=case_id,
            resident_name=resident,
            due=due,
            days_late=days_late,
            professional_id=creator,
            professional_name=name,
            organisation_id=organisation,
            organisation_name=organisation_name(organisation),
        )
    return list(items.values())


def agreement_items(
    session: Session, cases: SelectOfScalar[uuid.UUID], today: date
) -> list[OverdueItem]:
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    a, c = ReportAgreement, ReportCase
    rows = session.execute(
        select(
            col(a.agreement_id),
            col(a.case_id),
            col(a.what),
            col(a.due_date),
            col(c.resident_name),
            col(a.owner_account_id),
            col(a.owner_name),
            col(a.owner_organisation_id),
            col(a.owner_removed),
        )
        .join(c, col(c.case_id) == col(a.case_id))
        .where(
            col(a.status) == "open",
            col(a.due_date) <= horizon,
            col(a.case_id).in_(cases),
        )
    ).all()
    items = []
    for agreement_id, case_id, what, due, resident, account, name, organisation, gone in rows:
        days_late = (today - due).days
        items.append(
            OverdueItem(
                kind=_kind(
                    days_late, OverdueKind.AGREEMENT_OVERDUE, OverdueKind.AGREEMENT_DUE_SOON
                ),
                case_id=case_id,
                agreement_id=agreement_id,
                resident_name=resident,
                what=what,
                due=due,
                days_late=days_late,
                professional_id=account,
                professional_name=name,
                organisation_id=organisation,
                organisation_name=organisation_name(organisation),
                owner_removed=gone,
            )
        )
    return items


_NO_AGREEMENT = uuid.UUID(int=0)  # sorts an MDO before the agreements of its case


def sort_key(item: OverdueItem) -> tuple[int, date, uuid.UUID, uuid.UUID]:
    """Most days late first, then due date, then case id (then agreement id, MDO first).

    UUIDs compare as their numbers, which is the order of their text: no text is made per item.
    """
    return (-item.days_late, item.due, item.case_id, item.agreement_id or _NO_AGREEMENT)


def overdue_items(
    session: Session, cases: SelectOfScalar[uuid.UUID], today: date
) -> list[OverdueItem]:
    items = mdo_items(session, cases, today) + agreement_items(session, cases, today)
    return sorted(items, key=sort_key)


def overdue_report(
    session: Session,
    cases: SelectOfScalar[uuid.UUID],
    *,
    team_id: uuid.UUID,
    team_name: str,
    today: date,
    now: datetime,
) -> OverdueReport:
    return OverdueReport(
        team_id=team_id,
        team_name=team_name,
        today=today,
        as_of=now,
        items=overdue_items(session, cases, today),
    )
