"""The sync status line and the background schedule: pure functions of a status and ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.i18n import set_language
from sync.cycle import HeldBack, SyncState, SyncStatus
from ui.viewmodels.sync_status import (
    INTERVAL,
    MAX_BACKOFF,
    SyncSchedule,
    Tone,
    age_text,
    backoff,
    status_line,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("english")


def held(reason: str = "no_consent") -> HeldBack:
    return HeldBack("m", "case", "r", "c", reason)


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=5, seconds=30), "5 minutes ago"),
        (timedelta(minutes=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=3, hours=5), "3 days ago"),
        (timedelta(minutes=-10), "just now"),  # a device clock set back: never "in the future"
    ],
)
def test_age_in_words(ago: timedelta, text: str) -> None:
    assert age_text(NOW - ago, NOW) == text


def test_synced_with_the_age_and_what_waits() -> None:
    status = SyncStatus(SyncState.SYNCED, last_synced_at=NOW - timedelta(minutes=5))
    assert status_line(status, NOW).text == "Synced 5 minutes ago"
    assert status_line(status, NOW).tone is Tone.OK
    waiting = SyncStatus(SyncState.SYNCED, last_synced_at=NOW, waiting=1)
    assert status_line(waiting, NOW).text == "Synced just now · 1 change waiting"
    three = SyncStatus(SyncState.SYNCED, last_synced_at=NOW, waiting=3)
    assert status_line(three, NOW).text == "Synced just now · 3 changes waiting"


def test_the_line_moves_on_with_the_clock() -> None:
    status = SyncStatus(SyncState.SYNCED, last_synced_at=NOW)
    assert status_line(status, NOW + timedelta(minutes=2)).text == "Synced 2 minutes ago"


def test_offline_says_so_and_keeps_the_count() -> None:
    status = SyncStatus(SyncState.OFFLINE, last_synced_at=NOW, waiting=2, message="x")
    line = status_line(status, NOW)
    assert line.text == "Offline · 2 changes waiting" and line.tone is Tone.ATTENTION


def test_syncing_wins_over_everything() -> None:
    status = SyncStatus(SyncState.OFFLINE, conflicts=2)
    assert status_line(status, NOW, syncing=True).text == "Syncing…"
    assert status_line(status, NOW, syncing=True).tone is Tone.BUSY
    assert status_line(None, NOW, syncing=True).text == "Syncing…"


def test_conflicts_come_first() -> None:
    status = SyncStatus(SyncState.SYNCED, last_synced_at=NOW, conflicts=2, waiting=1)
    line = status_line(status, NOW)
    assert line.text == "2 conflicts to resolve · Synced just now · 1 change waiting"
    assert line.tone is Tone.ATTENTION
    one = SyncStatus(SyncState.SYNCED, last_synced_at=NOW, conflicts=1)
    assert status_line(one, NOW).text.startswith("1 conflict to resolve")


def test_held_back_is_counted() -> None:
    status = SyncStatus(SyncState.SYNCED, last_synced_at=NOW, held_back=(held(), held()))
    line = status_line(status, NOW)
    assert line.text == "Synced just now · 2 changes held back" and line.tone is Tone.ATTENTION


def test_not_linked_yet_and_never_synced() -> None:
    assert status_line(SyncStatus(SyncState.NOT_ENROLLED), NOW).text == (
        "Not linked to a dossier server yet"
    )
    assert status_line(SyncStatus(SyncState.SYNCED), NOW).text == "Not synced yet"


def test_errors_say_what_to_do() -> None:
    login = SyncStatus(SyncState.ERROR, code="refresh_reused", message="x")
    assert status_line(login, NOW).text == "Log in again to sync"
    assert status_line(login, NOW).tone is Tone.PROBLEM
    other = SyncStatus(SyncState.ERROR, code="http_500", message="x", waiting=4)
    assert status_line(other, NOW).text == "Sync stopped · 4 changes waiting"


def test_wiped_shows_the_reason() -> None:
    status = SyncStatus(SyncState.WIPED, message="Blocked by the administrator.")
    assert status_line(status, NOW).text == "Blocked by the administrator."


def test_the_line_has_a_semantics_label() -> None:
    line = status_line(SyncStatus(SyncState.OFFLINE), NOW)
    assert line.semantics_label == "Sync status: Offline. Open the sync screen."


def test_the_line_in_dutch() -> None:
    set_language("nl")
    try:
        status = SyncStatus(SyncState.SYNCED, last_synced_at=NOW - timedelta(minutes=5), waiting=3)
        text = status_line(status, NOW).text
        assert "5 minuten geleden" in text and "3 wijzigingen" in text
        assert status_line(SyncStatus(SyncState.OFFLINE), NOW).text == "Offline"
    finally:
        set_language("en")


# -- the schedule ---------------------------------------------------------------------------


def test_backoff_doubles_up_to_ten_minutes() -> None:
    assert backoff(0) == INTERVAL == timedelta(seconds=60)
    assert [backoff(n).total_seconds() / 60 for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert backoff(500) == MAX_BACKOFF


def test_due_at_once_then_every_minute_while_it_works() -> None:
    schedule = SyncSchedule()
    assert schedule.due(NOW, unlocked=True, enrolled=True, running=False)
    schedule.finished(SyncStatus(SyncState.SYNCED), NOW)
    ready = {"unlocked": True, "enrolled": True, "running": False}
    assert not schedule.due(NOW + timedelta(seconds=59), **ready)
    assert schedule.due(NOW + timedelta(seconds=60), **ready)


def test_never_while_locked_unenrolled_or_running() -> None:
    schedule = SyncSchedule()
    assert not schedule.due(NOW, unlocked=False, enrolled=True, running=False)
    assert not schedule.due(NOW, unlocked=True, enrolled=False, running=False)
    assert not schedule.due(NOW, unlocked=True, enrolled=True, running=True)


def test_failures_back_off_and_a_success_resets() -> None:
    schedule = SyncSchedule()
    at = NOW
    waits = []
    for _ in range(6):
        schedule.finished(SyncStatus(SyncState.OFFLINE), at)
        assert schedule.next_at is not None
        waits.append((schedule.next_at - at).total_seconds() / 60)
        at = schedule.next_at
    assert waits == [1, 2, 4, 8, 10, 10]
    schedule.finished(SyncStatus(SyncState.SYNCED), at)
    assert schedule.failures == 0 and schedule.next_at == at + INTERVAL


def test_a_login_problem_waits_for_the_user() -> None:
    schedule = SyncSchedule()
    schedule.finished(SyncStatus(SyncState.ERROR, code="token_revoked"), NOW)
    assert schedule.paused
    assert not schedule.due(NOW + timedelta(hours=5), unlocked=True, enrolled=True, running=False)
    schedule.resume()
    assert schedule.due(NOW, unlocked=True, enrolled=True, running=False)


def test_a_wiped_device_stops_syncing() -> None:
    schedule = SyncSchedule()
    schedule.finished(SyncStatus(SyncState.WIPED), NOW)
    assert not schedule.due(NOW + timedelta(days=1), unlocked=True, enrolled=True, running=False)


def test_coming_back_to_the_app_retries_a_failed_sync_at_once() -> None:
    ready = {"unlocked": True, "enrolled": True, "running": False}
    schedule = SyncSchedule()
    for _ in range(5):  # offline at the resident's home: the wait grew to 10 minutes
        schedule.finished(SyncStatus(SyncState.OFFLINE), NOW)
    assert not schedule.due(NOW + timedelta(minutes=1), **ready)
    schedule.app_resumed()  # opened again, back at the office
    assert schedule.due(NOW + timedelta(minutes=1), **ready)


def test_coming_back_changes_nothing_when_it_works_or_waits_for_the_user() -> None:
    ready = {"unlocked": True, "enrolled": True, "running": False}
    healthy = SyncSchedule()
    healthy.finished(SyncStatus(SyncState.SYNCED), NOW)
    healthy.app_resumed()
    assert not healthy.due(NOW + timedelta(seconds=30), **ready)  # keeps its minute

    login = SyncSchedule()
    login.finished(SyncStatus(SyncState.ERROR, code="token_revoked"), NOW)
    login.app_resumed()
    assert not login.due(NOW + timedelta(hours=1), **ready)  # a new login is needed first
