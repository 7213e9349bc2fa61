"""Who may see and change which case. Every rule of case access lives in this module.

The rules:
- A case reaches the server only with the resident's consent: a ``case`` upsert (record id =
  case id) with ``"consent_given": true`` among its fields, earlier in the batch or at its end
  (see ``server.sync_push.consented_in_batch``). The
  account that pushed it becomes the case's creator (and a member); the case belongs to that
  account's organisation. Until consent is true, every other mutation of the case is REJECTED
  ``no_consent``. Withdrawing consent is an upsert with ``"consent_given": false``: after it, only
  a new ``true`` is accepted.
- The **members** of a case are its creator and every account named as ``"account_id"`` in one of
  the case's ``participant`` records that are neither deleted nor marked ``"removed_on"`` (how the
  app takes someone off a case). Members see and change the case.
- A **team lead** sees (reads, pulls, exports the audit of) every case that has a member in their
  team; they change a case only when they are a member themselves.
- An **administrator** sees no case contents: the sync routes refuse the role. An administrator
  may export the audit trail of a case of their own organisation (ids and codes, no contents),
  also after the case was erased (``case_erasure`` keeps its organisation; AVG art. 15 requests
  can come after an erasure). For everyone else an erased case is like one that never existed.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from server.models.accounts import Account, Role
from server.models.dossier import CaseAccess, CaseMember
from server.models.erasure import CaseErasure
from server.principal import Principal


def team_lead_case_ids(principal: Principal) -> SelectOfScalar[uuid.UUID]:
    """The cases a team lead sees (with a member in their team, or themselves a member).

    Without DISTINCT: as the right side of ``IN`` it needs none, and on large teams the planner
    then joins without sorting or hashing every id first (the team reports use it so).
    """
    return (
        select(col(CaseMember.case_id))
        .join(Account, col(Account.id) == col(CaseMember.account_id))
        .where(
            (col(Account.team_id) == principal.team_id) | (col(Account.id) == principal.account_id)
        )
    )


def visible_case_ids(principal: Principal) -> SelectOfScalar[uuid.UUID]:
    """A sub-select of the ids of the cases this principal may read."""
    if principal.role is Role.TEAM_LEAD and principal.team_id is not None:
        return team_lead_case_ids(principal).distinct()
    if principal.role is Role.ADMINISTRATOR:
        return select(col(CaseMember.case_id)).where(col(CaseMember.case_id).is_(None))
    return select(col(CaseMember.case_id)).where(col(CaseMember.account_id) == principal.account_id)


def is_member(session: Session, principal: Principal, case_id: uuid.UUID) -> bool:
    row = session.exec(
        select(CaseMember.id).where(
            CaseMember.case_id == case_id, CaseMember.account_id == principal.account_id
        )
    ).first()
    return row is not None


def can_read(session: Session, principal: Principal, case_id: uuid.UUID) -> bool:
    query = visible_case_ids(principal).where(col(CaseMember.case_id) == case_id)
    return session.exec(query).first() is not None


def can_export_audit(session: Session, principal: Principal, case_id: uuid.UUID) -> bool:
    if principal.role is Role.ADMINISTRATOR:
        owner: CaseAccess | CaseErasure | None = session.get(CaseAccess, case_id)
        if owner is None:
            owner = session.get(CaseErasure, case_id)  # erased: its organisation is kept there
        return owner is not None and owner.organisation_id == principal.organisation_id
    if principal.role is Role.TEAM_LEAD:
        return can_read(session, principal, case_id)
    return False
