"""The team-lead answers on the device: fetch them from the server, keep the last ones sealed.

    fetch_answers   GET overdue + monitoring with the enrolled login; both are kept in the store
                    (``models.team_cache``) with the time fetched. Raises ``SyncError``.
    cached_answers  what was kept, for offline viewing ("as of <time>").
    is_team_lead    whether the enrolled account has the team-lead role (recorded at enrolment
                    and at every login, ``models.sync_state``); False when not enrolled.

The calls are synchronous (httpx): the dashboard runs them off the UI thread. A refusal with
``wrong_role`` means the account is no longer a team lead: the role is recorded as professional
and the cached answers are forgotten, so the navigation hides the dashboard at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import ValidationError

from models import sync_state, team_cache
from models.store import CaseStore
from models.team_cache import Cached
from sync.client import DossierClient, DossierSession
from sync.errors import NotEnrolledError, ServerError
from sync.team_protocol import (
    TEAM_MONITORING_PATH,
    TEAM_OVERDUE_PATH,
    TEAM_PROTOCOL_VERSION,
    MonitoringFigures,
    OverdueReport,
)

PROFESSIONAL = "professional"
WRONG_ROLE = "wrong_role"

ClientFactory = Callable[[str], DossierClient]


@dataclass(frozen=True, slots=True)
class TeamAnswers:
    overdue: Cached[OverdueReport] | None
    figures: Cached[MonitoringFigures] | None


def is_team_lead(store: CaseStore) -> bool:
    with store.engine.connect() as conn:
        return team_cache.is_team_lead(conn)


def cached_answers(store: CaseStore) -> TeamAnswers:
    with store.reading() as (conn, sealer):
        return TeamAnswers(
            team_cache.load_overdue(conn, sealer), team_cache.load_monitoring(conn, sealer)
        )


def _session(store: CaseStore, client_factory: ClientFactory) -> DossierSession:
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
    if account is None:
        raise NotEnrolledError()
    client = client_factory(account.server_url)

    def keep_refresh_token(token: str) -> None:
        with store.writing() as (conn, sealer):
            sync_state.save_refresh_token(conn, sealer, token)

    return DossierSession(
        client, refresh_token=account.refresh_token, on_refresh=keep_refresh_token
    )


def _period(start: date | None, end: date | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if start is not None:
        params["start"] = start.isoformat()
    if end is not None:
        params["end"] = end.isoformat()
    return params


def _forget_role(store: CaseStore) -> None:
    with store.writing() as (conn, _sealer):
        sync_state.save_role(conn, PROFESSIONAL)
        team_cache.clear(conn)


def fetch_answers(
    store: CaseStore,
    *,
    start: date | None = None,
    end: date | None = None,
    client_factory: ClientFactory = DossierClient,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> TeamAnswers:
    """Fetch both answers and keep them. Raises ``SyncError`` (offline, refused, ...)."""
    session = _session(store, client_factory)
    try:
        # The version tells the server which fields this app reads (sync.team_protocol).
        overdue_body = session.get_json(TEAM_OVERDUE_PATH, {"protocol": str(TEAM_PROTOCOL_VERSION)})
        figures_body = session.get_json(TEAM_MONITORING_PATH, _period(start, end))
    except ServerError as error:
        if error.code == WRONG_ROLE:
            _forget_role(store)
        raise
    finally:
        session.client.close()
    try:
        overdue = OverdueReport.model_validate(overdue_body)
        figures = MonitoringFigures.model_validate(figures_body)
    except ValidationError:
        raise ServerError("invalid_response") from None
    at = now()
    with store.writing() as (conn, sealer):
        team_cache.save_overdue(conn, sealer, overdue, at=at)
        team_cache.save_monitoring(conn, sealer, figures, at=at)
    return TeamAnswers(Cached(overdue, at), Cached(figures, at))
