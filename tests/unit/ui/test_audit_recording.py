"""The screens record reads and exports for the audit log (models.device_audit): one read per
entering a case (not per redraw or per screen of it), a plan PDF saved or shared, a team report
exported."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from models import device_audit, team_cache
from models.device_audit import EVENTS
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file
from tests.support.team_reports import an_overdue_report, some_figures
from tests.unit.ui.test_signing_viewmodel import Clock, scribble
from ui.viewmodels import signing as sv
from ui.viewmodels.case_detail import CaseViewModel
from ui.viewmodels.session import AppSession, Screen
from ui.viewmodels.team import Tab, TeamViewModel


def events(store: CaseStore) -> list[tuple[Any, ...]]:
    query = select(
        EVENTS.c.action, EVENTS.c.case_id, EVENTS.c.entity, EVENTS.c.record_id, EVENTS.c.outcome
    ).order_by(EVENTS.c.device_time, EVENTS.c.event_id)
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query).all()]


@pytest.fixture
def case_id(store: CaseStore) -> Iterator[str]:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    yield f.case.id


def session_on(store: CaseStore) -> AppSession:
    session = AppSession(store.path, clock=lambda: NOW)
    session.store = store  # unlocked by the fixture
    return session


def test_entering_a_case_is_one_read_its_own_screens_and_redraws_add_none(
    store: CaseStore, case_id: str
) -> None:
    session = session_on(store)
    session.open_case(case_id)
    device_audit.settle()
    assert events(store) == [("read", case_id, "case", case_id, "success")]
    vm = CaseViewModel(store, case_id, today=lambda: TODAY, now=lambda: NOW)  # drawn (again)
    agreement = vm.case_file.agreements[0]
    assert vm.mark_done(agreement.id, on=TODAY.isoformat(), note="") == {}  # a save reloads
    session.open_case(case_id, Screen.PLAN)  # its own screens
    session.open_case(case_id, Screen.MEETING)
    session.open_case(case_id)
    device_audit.settle()
    assert len(events(store)) == 1
    session.go(Screen.CASES)
    session.open_case(case_id)  # opened again from the list
    session.lock()  # even if the writer thread has not written it yet: events need no key
    store.unlock(PASSPHRASE, now=NOW)
    session.unlocked()  # the case is shown again after unlocking: a new access
    device_audit.settle()
    assert len(events(store)) == 3


def test_a_failure_to_record_does_not_stop_the_case_screen(
    store: CaseStore,
    case_id: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def full(*_a: object, **_k: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(device_audit, "add", full)
    session = session_on(store)
    session.open_case(case_id)
    device_audit.settle()
    assert session.screen is Screen.CASE and session.case_id == case_id
    assert events(store) == []
    assert "audit event not recorded (read case): OperationalError" in caplog.text
    assert "Fenna" not in caplog.text


def test_opening_a_case_does_not_wait_for_the_store_write_lock(
    store: CaseStore, case_id: str
) -> None:
    """A background sync may hold the write lock for a pulled page: the screen goes on."""
    session = session_on(store)
    with store.writing():  # another writer holds the lock (here: this very thread)
        session.open_case(case_id)  # returns at once: the read is written by the writer thread
        assert session.case_id == case_id
    device_audit.settle()
    assert events(store) == [("read", case_id, "case", case_id, "success")]


def test_team_exports_are_recorded_one_each(store: CaseStore) -> None:
    with store.writing() as (conn, sealer):
        team_cache.save_overdue(conn, sealer, an_overdue_report(), at=NOW)
        team_cache.save_monitoring(conn, sealer, some_figures(), at=NOW)
    vm = TeamViewModel(store, today=lambda: TODAY, fetch=lambda _s, _e: pytest.fail("no fetch"))
    assert events(store) == []  # opening the dashboard is no export
    assert vm.export_pdf() is not None
    assert vm.export_csv(Tab.OVERDUE) is not None
    assert vm.export_csv(Tab.FIGURES) is not None
    assert events(store) == [
        ("export", None, "team_pdf", None, "success"),
        ("export", None, "overdue_csv", None, "success"),
        ("export", None, "figures_csv", None, "success"),
    ]


def test_nothing_to_export_records_nothing(store: CaseStore) -> None:
    vm = TeamViewModel(store, today=lambda: TODAY, fetch=lambda _s, _e: pytest.fail("no fetch"))
    assert vm.export_pdf() is None and vm.export_csv(Tab.FIGURES) is None
    assert events(store) == []


class Picker:
    def __init__(self, error: Exception | None = None, *, cancel: bool = False) -> None:
        self.error = error
        self.cancel = cancel
        self.saved: list[str] = []

    async def save_file(self, *, dialog_title: str, file_name: str, src_bytes: bytes) -> str | None:
        if self.error is not None:
            raise self.error
        if self.cancel:
            return None  # the user closed the dialog: nothing left the app
        self.saved.append(file_name)
        return f"/synthetic/{file_name}"


def test_a_plan_pdf_saved_or_failing_is_an_export_of_its_meeting(
    store: CaseStore, case_id: str
) -> None:
    from ui.views.signing import SigningView

    vm = sv.SigningViewModel.open(store, case_id, now=Clock())
    for _n in range(3):
        scribble(vm)
        assert vm.sign()
    assert asyncio.run(vm.make_pdf())
    view = SigningView(
        vm, width=1280, on_back=lambda: None, on_meeting=lambda: None, on_activity=lambda: None
    )
    object.__setattr__(view.control, "update", lambda: None)  # no page in a unit test
    assert events(store) == []  # making the PDF is not handing it out
    view.picker = Picker()  # type: ignore[assignment]
    asyncio.run(view._save_pdf())
    view.picker = Picker(OSError("disk"))  # type: ignore[assignment]
    asyncio.run(view._save_pdf())
    view.picker = Picker(cancel=True)  # type: ignore[assignment]
    asyncio.run(view._save_pdf())  # cancelled outside a browser: no export, nothing recorded
    meeting = vm.meeting.id
    assert events(store) == [
        ("export", case_id, "plan_pdf", meeting, "success"),
        ("export", case_id, "plan_pdf", meeting, "failed"),
    ]
    assert uuid.UUID(meeting)
