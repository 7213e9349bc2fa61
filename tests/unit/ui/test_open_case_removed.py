"""The case on screen is removed by a sync (access to it ended, issue #5): the shell goes back to
My cases and says why, instead of failing on the next save. Any other pulled change leaves the
screen alone. The shell runs on a stand-in page (only its width is read); drawing is recorded."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from models import sync_state
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from ui.app import Shell
from ui.viewmodels.session import AppSession, Screen

pytestmark = pytest.mark.usefixtures("english")


@dataclass
class StandInPage:
    width: float = 1024


def _shell(store: CaseStore) -> tuple[Shell, list[Screen]]:
    session = AppSession(store.path, clock=lambda: NOW)
    session.created(store)
    shell = Shell(StandInPage(), session)  # type: ignore[arg-type]
    drawn: list[Screen] = []
    shell.render = lambda: drawn.append(session.screen)  # type: ignore[method-assign]
    return shell, drawn


@pytest.mark.parametrize("screen", [Screen.CASE, Screen.PLAN, Screen.MEETING, Screen.SIGN])
def test_the_open_case_gone_goes_back_to_my_cases_with_a_message(
    store: CaseStore, screen: Screen
) -> None:
    f, other = a_case_file(), a_case_file(name="Bram Kuipers")
    store.add_case_files([f, other], today=TODAY, now=NOW)
    shell, drawn = _shell(store)
    shell.session.open_case(f.case.id, screen)

    store.forget_cases([other.case.id])  # another case went: the open one stays as it is
    shell._pulled()
    assert (shell.session.screen, shell.session.case_id, drawn) == (screen, f.case.id, [])

    store.forget_cases([f.case.id])
    shell._pulled()
    assert (shell.session.screen, shell.session.case_id) == (Screen.CASES, None)
    assert drawn == [Screen.CASES]
    assert shell.notice == (
        "This case was removed from this tablet: you no longer have access to it."
    )


def test_back_from_the_sync_screen_does_not_lead_to_a_removed_case(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    shell, _drawn = _shell(store)
    shell.session.open_case(f.case.id)
    shell._open_sync()
    assert shell.session.screen is Screen.SYNC

    store.forget_cases([f.case.id])
    shell._pulled()
    assert shell.session.screen is Screen.SYNC  # the sync screen itself stays
    shell._close_sync()
    assert (shell.session.screen, shell.session.case_id) == (Screen.CASES, None)


def test_a_released_closed_case_on_screen_says_the_dossier_keeps_it(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    shell, drawn = _shell(store)
    shell.session.open_case(f.case.id)
    with store.writing() as (conn, sealer):  # the end of a sync let go of it (models.caseload)
        sync_state.release_cases(conn, sealer, [f.case.id], now=NOW)
    shell._pulled()
    assert (shell.session.screen, drawn) == (Screen.CASES, [Screen.CASES])
    assert shell.notice == (
        "This closed case was removed from this tablet. The dossier keeps it; it comes back "
        "here when someone changes it."
    )
