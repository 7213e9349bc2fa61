"""Which cases a team lead's reports cover, and the period they cover.

A team lead's reports cover exactly the cases they may read: the cases with a member in their
team (or with themselves as a member). The rule is not repeated here: it is
``server.authorisation.team_lead_case_ids`` (what ``visible_case_ids`` uses for a team lead),
used as a sub-select, so the reports and the case reads can never disagree. Moving an account to
another team moves its cases with it at once, because the scope is evaluated at every request (no
team is stored in the read model).
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta

from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from server.authorisation import team_lead_case_ids
from server.models.accounts import Role, Team
from server.principal import Principal

DEFAULT_PERIOD_MONTHS = 6


def team_case_ids(principal: Principal) -> SelectOfScalar[uuid.UUID]:
    """A sub-select of the ids of the cases this team lead's reports cover."""
    if principal.role is not Role.TEAM_LEAD or principal.team_id is None:
        raise ValueError("team reports are for team leads in a team only")
    return team_lead_case_ids(principal)


def team_of(session: Session, principal: Principal) -> Team | None:
    """The team lead's team, or None when the account has none."""
    if principal.team_id is None:
        return None
    return session.get(Team, principal.team_id)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (31 August - 6 months: 28/29 February)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def default_period(today: date) -> tuple[date, date]:
    """The last half year up to today: from the day after the same day six months ago, to today.

    24 November -> 25 May .. 24 November: every day of the half year once, ``today`` included.
    """
    return months_before(today, DEFAULT_PERIOD_MONTHS) + timedelta(days=1), today
