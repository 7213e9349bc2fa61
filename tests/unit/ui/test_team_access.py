"""Who reaches the team-lead dashboard: only an account with the team-lead role (the session)."""

from __future__ import annotations

from models import sync_state
from models.store import CaseStore
from tests.support.factories import NOW
from tests.unit.ui.test_team_viewmodel import enrol
from ui.viewmodels.session import AppSession, Screen


def session_on(store: CaseStore) -> AppSession:
    session = AppSession(store.path, clock=lambda: NOW)
    session.store = store
    return session


def test_a_professional_never_sees_or_reaches_the_team_views(store: CaseStore) -> None:
    enrol(store, "professional")
    session = session_on(store)
    assert Screen.TEAM not in session.destinations()
    session.go(Screen.TEAM)
    assert session.screen is Screen.CASES


def test_an_unenrolled_device_or_an_unknown_role_has_no_team_views(store: CaseStore) -> None:
    session = session_on(store)
    assert session.destinations() == (Screen.CASES, Screen.SETTINGS)
    enrol(store, None)  # enrolled before the role was recorded
    session.go(Screen.TEAM)
    assert session.screen is Screen.CASES and not session.is_team_lead()


def test_a_team_lead_gets_the_dashboard_in_the_navigation(store: CaseStore) -> None:
    enrol(store, "team_lead")
    session = session_on(store)
    assert session.destinations() == (Screen.CASES, Screen.TEAM, Screen.SETTINGS)
    session.go(Screen.TEAM)
    assert session.screen is Screen.TEAM


def test_the_dashboard_closes_when_the_role_is_taken_away(store: CaseStore) -> None:
    enrol(store, "team_lead")
    session = session_on(store)
    session.go(Screen.TEAM)
    with store.writing() as (conn, _sealer):
        sync_state.save_role(conn, "professional")
    assert session.screen is Screen.CASES
    assert Screen.TEAM not in session.destinations()


def test_the_role_is_readable_while_the_store_is_locked(store: CaseStore) -> None:
    enrol(store, "team_lead")
    store.lock()
    session = session_on(store)
    assert session.is_team_lead() and session.screen is Screen.UNLOCK
