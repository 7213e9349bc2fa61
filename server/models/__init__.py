"""The server's tables and API shapes, one module per family of entities.

Each entity has a family (STYLE 5): ``XBase`` (shared fields), ``XCreate`` (what a client may send
to make one), ``XUpdate`` (all optional), ``XPublic`` (the whitelisted fields a response shows) and
``X`` (the table). Request shapes are ``extra="forbid"``: a client cannot set server-owned fields.
"""

from server.models.accounts import Account, Organisation, Team
from server.models.audit import AuditEvent, AuditHead
from server.models.devices import Device, EnrolmentCode, RefreshToken, TokenFamily
from server.models.dossier import (
    AppliedMutation,
    CaseAccess,
    CaseAccessEnd,
    CaseMember,
    ChangeRow,
    DossierRecord,
    SyncHead,
)
from server.models.erasure import CaseErasure
from server.models.reports import (
    ReportAgreement,
    ReportCase,
    ReportMeasurement,
    ReportMeeting,
    ReportParticipant,
)

__all__ = [
    "Account",
    "AppliedMutation",
    "AuditEvent",
    "AuditHead",
    "CaseAccess",
    "CaseAccessEnd",
    "CaseErasure",
    "CaseMember",
    "ChangeRow",
    "Device",
    "DossierRecord",
    "EnrolmentCode",
    "Organisation",
    "RefreshToken",
    "ReportAgreement",
    "ReportCase",
    "ReportMeasurement",
    "ReportMeeting",
    "ReportParticipant",
    "SyncHead",
    "Team",
    "TokenFamily",
]
