"""The team-lead routes (issue #6): overdue actions and monitoring figures, as JSON, CSV and PDF.

Only the team-lead role gets an answer (professionals and administrators: 403 ``wrong_role``; a
team lead without a team: 403 ``no_team``), and it covers only the cases of their own team
(``server.reports.scope``). Every answer is written to the audit log in the same transaction:
one row for the request (no case) plus one per case whose contents the answer shows (the overdue
items' cases; the monitoring figures' story cases), as ``read`` for JSON and ``export`` for CSV
and PDF.

The PDF is refused with 422 ``report_too_large`` when its tables would hold more than
``max_report_pdf_rows`` rows (server/limits.py); the JSON and CSV routes serve any size.

``today`` defaults to the date in Europe/Amsterdam; tests pass it. Dates outside 2000..2100 are
refused with 400 ``invalid_date`` (nobody plans that far, and date arithmetic must not overflow).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from models.calendar import today_in_amsterdam
from models.team_report_csv import monitoring_csv, overdue_csv
from models.team_report_pdf import build_team_report_pdf
from server import audit, limits
from server.api.deps import EngineDep, SessionDep, SettingsDep, TeamLead, refuse
from server.audit import Action, Result
from server.errors import ApiError, Forbidden, Unprocessable
from server.models.audit import AuditEventBase
from server.models.types import utcnow
from server.principal import Principal
from server.reports.monitoring import monitoring_figures
from server.reports.overdue import overdue_report
from server.reports.scope import default_period, months_before, team_case_ids, team_of
from server.settings import Settings
from sync.team_protocol import (
    OVERDUE_FIELDS_SINCE,
    TEAM_MONITORING_PATH,
    TEAM_OVERDUE_PATH,
    TEAM_PROTOCOL_VERSION,
    MonitoringFigures,
    OverdueReport,
)

router = APIRouter(prefix="/api/v1/team", tags=["team"])

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The team report as PDF"}
}
# The PDF is built in the process-wide language (models.i18n): one build at a time.
_PDF_LOCK = threading.Lock()
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV, UTF-8 with BOM, ';'"}
}

Language = Literal["nl", "en"]
Day = Annotated[date | None, Query(description="yyyy-mm-dd")]


def _checked(day: date | None) -> date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ApiError("invalid_date", "Give a date between 2000 and 2100.")
    return day


def _team(
    request: Request, session: Session, engine: EngineDep, lead: Principal
) -> tuple[uuid.UUID, str]:
    team = team_of(session, lead)
    if team is None:
        error = Forbidden("no_team", "Your account is in no team.")
        raise refuse(engine, request, lead.actor, error)
    return team.id, team.name


def _log(
    session: Session, lead: Principal, action: Action, route: str, cases: Iterable[uuid.UUID]
) -> None:
    def row(case_id: uuid.UUID | None) -> AuditEventBase:
        return audit.event(
            lead.actor,
            action=action,
            outcome=Result.SUCCESS,
            authorisation="granted",
            case_id=case_id,
            route=route,
        )

    audit.record(session, [row(None), *(row(c) for c in dict.fromkeys(cases))])


def _overdue(
    request: Request, session: Session, engine: EngineDep, lead: Principal, today: date | None
) -> OverdueReport:
    team_id, team_name = _team(request, session, engine, lead)
    now = utcnow()
    return overdue_report(
        session,
        team_case_ids(lead),
        team_id=team_id,
        team_name=team_name,
        today=_checked(today) or today_in_amsterdam(now),
        now=now,
    )


def _monitoring(
    request: Request,
    session: Session,
    engine: EngineDep,
    lead: Principal,
    start: date | None,
    end: date | None,
    today: date | None,
) -> MonitoringFigures:
    team_id, team_name = _team(request, session, engine, lead)
    now = utcnow()
    day = _checked(today) or today_in_amsterdam(now)
    start, end = _checked(start), _checked(end)
    if start is None and end is None:
        start, end = default_period(day)
    elif end is None:
        end = day
    elif start is None:
        start = months_before(end, 6) if end.year > EARLIEST.year else EARLIEST
    assert start is not None
    if start > end:
        raise ApiError("invalid_period", "The start of the period is after its end.")
    return monitoring_figures(
        session,
        team_case_ids(lead),
        team_id=team_id,
        team_name=team_name,
        start=start,
        end=end,
        today=day,
        now=now,
    )


def _json(answer: OverdueReport | MonitoringFigures, *, protocol: int = 1) -> Response:
    """The answer as JSON, serialised once (the response model only documents it: validating a
    list of thousands of items a second time would cost more than the queries). An overdue item
    leaves out the fields of versions after ``protocol``: an older app refuses fields it does not
    know (``sync.team_protocol``, "Versions")."""
    later = {name for name, since in OVERDUE_FIELDS_SINCE.items() if since > protocol}
    exclude = {"items": {"__all__": later}} if later and isinstance(answer, OverdueReport) else None
    return Response(content=answer.model_dump_json(exclude=exclude), media_type="application/json")


def _csv(content: bytes, name: str) -> Response:
    return Response(
        content=content,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


Protocol = Annotated[
    int,
    Query(
        ge=1,
        description=f"the team protocol version the app reads (1..{TEAM_PROTOCOL_VERSION}); "
        "fields of later versions are left out. Default 1: apps from before the parameter",
    ),
]


def _limit(request: Request, lead: Principal, *, pdf: bool = False) -> None:
    """The dashboard's rate limit per device (server/limits.py), checked before any query."""
    limits.limit(request, "team", device=str(lead.device_id), ip=False)
    if pdf:
        limits.limit(request, "team_pdf", device=str(lead.device_id), ip=False)


@router.get("/overdue", response_model=OverdueReport, responses=limits.openapi_responses())
def read_overdue(
    request: Request,
    lead: TeamLead,
    session: SessionDep,
    engine: EngineDep,
    today: Day = None,
    protocol: Protocol = 1,
) -> Response:
    """Overdue and due-soon MDOs and agreements of the team, most days late first."""
    _limit(request, lead)
    report = _overdue(request, session, engine, lead, today)
    _log(session, lead, Action.READ, TEAM_OVERDUE_PATH, (i.case_id for i in report.items))
    session.commit()
    return _json(report, protocol=protocol)


@router.get("/monitoring", response_model=MonitoringFigures, responses=limits.openapi_responses())
def read_monitoring(
    request: Request,
    lead: TeamLead,
    session: SessionDep,
    engine: EngineDep,
    start: Day = None,
    end: Day = None,
    today: Day = None,
) -> Response:
    """The figures of a period (default: the last half year up to today)."""
    _limit(request, lead)
    figures = _monitoring(request, session, engine, lead, start, end, today)
    _log(session, lead, Action.READ, TEAM_MONITORING_PATH, (s.case_id for s in figures.stories))
    session.commit()
    return _json(figures)


@router.get(
    "/overdue.csv",
    response_class=Response,
    responses={**CSV_RESPONSE, **limits.openapi_responses()},
)
def export_overdue_csv(
    request: Request,
    lead: TeamLead,
    session: SessionDep,
    engine: EngineDep,
    today: Day = None,
    language: Language = "nl",
) -> Response:
    """The overdue list as CSV for Excel."""
    _limit(request, lead)
    report = _overdue(request, session, engine, lead, today)
    content = overdue_csv(report, language=language)
    cases = (i.case_id for i in report.items)
    _log(session, lead, Action.EXPORT, f"{TEAM_OVERDUE_PATH}.csv", cases)
    session.commit()
    return _csv(content, f"overdue-{report.today.isoformat()}.csv")


@router.get(
    "/monitoring.csv",
    response_class=Response,
    responses={**CSV_RESPONSE, **limits.openapi_responses()},
)
def export_monitoring_csv(
    request: Request,
    lead: TeamLead,
    session: SessionDep,
    engine: EngineDep,
    start: Day = None,
    end: Day = None,
    today: Day = None,
    language: Language = "nl",
) -> Response:
    """The monitoring figures as CSV for Excel."""
    _limit(request, lead)
    figures = _monitoring(request, session, engine, lead, start, end, today)
    content = monitoring_csv(figures, language=language)
    cases = (s.case_id for s in figures.stories)
    _log(session, lead, Action.EXPORT, f"{TEAM_MONITORING_PATH}.csv", cases)
    session.commit()
    return _csv(content, f"monitoring-{figures.start.isoformat()}-{figures.end.isoformat()}.csv")


def _check_pdf_size(settings: Settings, report: OverdueReport, figures: MonitoringFigures) -> None:
    """Refuse a PDF whose tables would hold more than ``max_report_pdf_rows`` rows, before it
    waits for the lock: building one costs CPU and memory while every other PDF waits."""
    rows = len(report.items) + len(figures.per_organisation) + len(figures.stories)
    cap = settings.max_report_pdf_rows
    if rows > cap:
        raise Unprocessable(
            "report_too_large",
            f"The report has {rows} rows, more than fit in a PDF ({cap}). "
            "Choose a shorter period, or use the CSV or JSON exports.",
            rows=rows,
            limit=cap,
        )


@router.get(
    "/report.pdf",
    response_class=Response,
    responses={**PDF_RESPONSE, **limits.openapi_responses()},
)
def export_report_pdf(
    request: Request,
    lead: TeamLead,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
    start: Day = None,
    end: Day = None,
    today: Day = None,
    language: Language = "nl",
) -> Response:
    """The team report as PDF: the figures of the period with the stories, and the overdue list
    of ``today`` (``models.team_report_pdf``)."""
    _limit(request, lead, pdf=True)
    figures = _monitoring(request, session, engine, lead, start, end, today)
    report = _overdue(request, session, engine, lead, today)
    _check_pdf_size(settings, report, figures)
    with _PDF_LOCK:
        content = build_team_report_pdf(report, figures, language=language)
    cases = [*(s.case_id for s in figures.stories), *(i.case_id for i in report.items)]
    _log(session, lead, Action.EXPORT, "/api/v1/team/report.pdf", cases)
    session.commit()
    name = f"team-report-{figures.start.isoformat()}-{figures.end.isoformat()}.pdf"
    return Response(
        content=content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
