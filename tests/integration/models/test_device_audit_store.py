"""The tablet's audit events in a real store file: what the screens record holds ids and fixed
words only, never a name or free text of the case (models.device_audit)."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from models import device_audit, team_cache
from models.device_audit import EVENTS
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file, canary
from tests.support.team_reports import an_overdue_report, some_figures
from tests.unit.ui.test_signing_viewmodel import Clock, scribble
from ui.viewmodels import signing as sv
from ui.viewmodels.team import Tab, TeamViewModel

WORD = re.compile(r"^[a-z_]{1,20}$")


def test_event_rows_hold_ids_and_words_only(store: CaseStore, store_path: Path) -> None:
    names = {canary("Naam"), canary("Vraag"), canary("Afspraak")}
    name, question, what = sorted(names)
    f = a_case_file(name=name, question=question, what=what)
    store.add_case_files([f], today=TODAY, now=NOW)

    assert device_audit.case_opened(store, f.case.id) is not None  # as entering the case does
    vm = sv.SigningViewModel.open(store, f.case.id, now=Clock())
    for _n in range(3):
        scribble(vm)
        assert vm.sign()
    assert asyncio.run(vm.make_pdf())
    vm.pdf_handed_out(saved=True)
    with store.writing() as (conn, sealer):
        team_cache.save_overdue(conn, sealer, an_overdue_report(), at=NOW)
        team_cache.save_monitoring(conn, sealer, some_figures(), at=NOW)
    team = TeamViewModel(store, today=lambda: TODAY, fetch=lambda _s, _e: pytest.fail("no fetch"))
    assert team.export_pdf() is not None and team.export_csv(Tab.OVERDUE) is not None

    with store.engine.connect() as conn:
        rows = conn.execute(select(EVENTS)).mappings().all()
        raw = conn.exec_driver_sql("SELECT * FROM device_audit_events").all()
    assert len(rows) == 4
    for row in rows:
        for column in ("event_id", "case_id", "record_id"):
            assert row[column] is None or str(uuid.UUID(row[column])) == row[column]
        for column in ("action", "entity", "outcome"):
            assert WORD.fullmatch(row[column]), row[column]
    # And nothing of the case in the stored text at all (the scan can see a name: it is there).
    stored = " ".join(str(v) for r in raw for v in r)
    assert not any(n in stored for n in names)
    assert f.case.id in stored
    with store.reading() as (conn, _sealer):
        assert device_audit.waiting_count(conn) == 4
