"""View-models of the case screens: new contact, plan the MDO, one case with its follow-up,
settings, dates as typed, and the navigation to screens about one case. Over a real store file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from models import queries
from models.calendar import AMSTERDAM
from models.deadlines import DeadlineState
from models.domain import AgreementStatus, CaseStage, MeasurementMoment, ParticipantRole
from models.i18n import current_language, set_language
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file
from ui.viewmodels import dates, preferences
from ui.viewmodels import new_contact as nc
from ui.viewmodels import plan as pl
from ui.viewmodels.case_detail import CaseViewModel
from ui.viewmodels.cases import BadgeKind, CasesViewModel
from ui.viewmodels.meeting import MeetingViewModel, Step
from ui.viewmodels.session import AppSession, Screen
from ui.viewmodels.settings import SettingsViewModel


def fresh_case(store: CaseStore, *, contact: date = TODAY - timedelta(days=6)) -> str:
    f = a_case_file(name="Fenna de Bruijn", contact=contact, held_on=None)
    f.participants, f.meetings, f.agreements = [], [], []
    store.add_case_files([f], today=TODAY, now=NOW)
    return f.case.id


# -- dates as typed ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24-11-2026", date(2026, 11, 24)),
        ("1/2/2027", date(2027, 2, 1)),
        ("24.11.26", date(2026, 11, 24)),
        ("5-12", date(2026, 12, 5)),
        ("2026-11-24", date(2026, 11, 24)),
        (" 24-11-2026 ", date(2026, 11, 24)),
        ("31-02-2026", None),
        ("morgen", None),
        ("", None),
    ],
)
def test_dates_as_people_type_them(text: str, expected: date | None) -> None:
    assert dates.parse_date(text, today=TODAY) == expected


def test_times_and_words() -> None:
    assert dates.parse_time("14:30") == time(14, 30)
    assert dates.parse_time("9.05") == time(9, 5)
    assert dates.parse_time("10") == time(10, 0)
    assert dates.parse_time("25:00") is None
    assert dates.in_words(date(2026, 11, 24)) == "dinsdag 24 november 2026"
    assert dates.days_from_today(TODAY + timedelta(days=3), TODAY) == "over 3 dagen"
    assert dates.days_from_today(TODAY, TODAY) == "vandaag"
    assert dates.days_from_today(TODAY - timedelta(days=1), TODAY) == "1 dag geleden"


def test_a_picked_date_counts_in_amsterdam() -> None:
    from datetime import UTC, datetime

    # Midnight 10 December in the Netherlands is still 9 December in UTC.
    assert dates.picked_date(datetime(2026, 12, 9, 23, 0, tzinfo=UTC)) == date(2026, 12, 10)
    assert dates.picked_date(datetime(2026, 12, 10)) == date(2026, 12, 10)
    assert dates.picked_date(None) is None
    assert dates.local_datetime(date(2026, 12, 10), time(14, 0)).tzinfo is AMSTERDAM


# -- new contact ------------------------------------------------------------------------------


def new_contact_vm(store: CaseStore) -> nc.NewContactViewModel:
    return nc.NewContactViewModel(store, today=lambda: TODAY, now=lambda: NOW)


def test_new_contact_shows_the_deadline_as_the_date_is_typed(store: CaseStore) -> None:
    vm = new_contact_vm(store)
    assert vm.contact_date_text == "24-11-2026"  # today by default
    assert vm.deadline_text == "MDO uiterlijk op dinsdag 8 december 2026 (over 14 dagen)."
    vm.set_contact_date("20-11-2026")
    assert vm.deadline_text == "MDO uiterlijk op vrijdag 4 december 2026 (over 10 dagen)."
    vm.set_contact_date("20-11-")
    assert nc.CONTACT_DATE in vm.errors and "dag-maand-jaar" in vm.errors[nc.CONTACT_DATE]
    assert "zodra de contactdatum" in vm.deadline_text
    vm.set_contact_date("20-11-2026")
    assert nc.CONTACT_DATE not in vm.errors


def test_new_contact_puts_every_message_next_to_its_field(store: CaseStore) -> None:
    vm = new_contact_vm(store)
    vm.phone, vm.email = "bel me", "geen-adres"
    vm.contact_date_text = "01-12-2026"  # in the future
    assert vm.save() is None
    assert set(vm.errors) == {nc.NAME, nc.PHONE, nc.EMAIL, nc.CONTACT_DATE}
    assert vm.errors[nc.NAME] == "Vul de naam van de bewoner in."
    assert queries.case_summaries(store, today=TODAY) == []  # nothing saved


def test_new_contact_is_saved_with_consent(store: CaseStore) -> None:
    vm = new_contact_vm(store)
    vm.organisation_id = "ggd"
    vm.name, vm.phone, vm.question = " Fenna de Bruijn ", "06-12345678", "Ik red het niet meer."
    vm.consent = True
    case_id = vm.save()
    assert case_id is not None and vm.errors == {}
    f = queries.case_file(store, case_id)
    assert f.case.resident.name == "Fenna de Bruijn" and f.case.contact_date == TODAY
    assert f.case.consent is not None and f.case.consent.given
    assert f.case.organisation_id == "ggd"


# -- plan the MDO -----------------------------------------------------------------------------


def test_plan_defaults_and_saving(store: CaseStore) -> None:
    case_id = fresh_case(store)  # contact 6 days ago: MDO due in 8 days
    vm = pl.PlanViewModel(store, case_id, today=lambda: TODAY)
    assert vm.date_text == dates.short(TODAY + timedelta(days=7))
    assert vm.time_text == "10:00" and vm.place == ""
    assert [p.role for p in vm.participants] == [ParticipantRole.RESIDENT]
    assert vm.late_warning is None
    vm.date_text = dates.short(TODAY + timedelta(days=9))
    assert vm.late_warning and "te laat" in vm.late_warning
    vm.date_text, vm.time_text = "morgen", "laat"
    assert not vm.save()
    assert set(vm.errors) == {pl.DATE, pl.TIME}
    vm.date_text, vm.time_text = dates.short(TODAY + timedelta(days=3)), "14.30"
    assert vm.save()
    planned = queries.case_file(store, case_id).meetings[0]
    assert planned.planned_for is not None
    assert dates.local_parts(planned.planned_for) == (TODAY + timedelta(days=3), time(14, 30))
    assert queries.case_summaries(store, today=TODAY)[0].stage is CaseStage.MEETING_PLANNED
    again = pl.PlanViewModel(store, case_id, today=lambda: TODAY)  # change the plan
    assert again.meeting.id == planned.id and again.time_text == "14:30"
    # The case screen's heading says when it is planned, not only by when it must be.
    heading = case_vm(store, case_id).mdo_text
    planned_day, due_day = dates.short(TODAY + timedelta(days=3)), dates.short(TODAY + timedelta(8))
    assert heading == f"MDO: gepland op {planned_day} om 14:30 (uiterlijk {due_day})"


def test_plan_adds_the_people_the_resident_wants(store: CaseStore) -> None:
    case_id = fresh_case(store)
    vm = pl.PlanViewModel(store, case_id, today=lambda: TODAY)
    assert vm.add_person(role=ParticipantRole.NETWORK, name="  ") is None
    assert vm.errors == {"network.name": "Vul de naam van de deelnemer in."}
    daughter = vm.add_person(role=ParticipantRole.NETWORK, name="Sanne", relation="dochter")
    nurse = vm.add_person(
        role=ParticipantRole.PROFESSIONAL,
        name="Daan Verhoeven",
        relation="wijkverpleegkundige",
        organisation_id="ggd",
    )
    assert daughter is not None and nurse is not None and vm.errors == {}
    assert vm.describe(daughter) == "Sanne — Netwerk, dochter"
    assert (
        vm.describe(nurse)
        == "Daan Verhoeven — Professional, GGD Hart voor Brabant, wijkverpleegkundige"
    )
    saved = queries.case_file(store, case_id).participants
    assert {p.name for p in saved} == {"Fenna de Bruijn", "Sanne", "Daan Verhoeven"}


def test_the_planned_meeting_is_the_one_meeting_mode_starts(store: CaseStore) -> None:
    case_id = fresh_case(store)
    plan = pl.PlanViewModel(store, case_id, today=lambda: TODAY)
    assert plan.save()
    meeting = MeetingViewModel.open(store, case_id, today=TODAY)
    assert meeting.meeting.id == plan.meeting.id
    assert meeting.default_due == TODAY + timedelta(days=42)
    assert not meeting.outside_norm(TODAY + timedelta(days=42))
    assert meeting.outside_norm(TODAY + timedelta(days=43))


# -- one case and its follow-up ---------------------------------------------------------------


def case_vm(store: CaseStore, case_id: str, today: date = TODAY) -> CaseViewModel:
    return CaseViewModel(store, case_id, today=lambda: today, now=lambda: NOW)


def test_the_case_screen_shows_the_case(store: CaseStore) -> None:
    f = a_case_file(name="Bram de Boer")
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = case_vm(store, f.case.id)
    assert vm.name == "Bram de Boer"
    assert vm.contact_date_text == "Eerste contact op 04-11-2026"
    assert vm.stage is CaseStage.AGREEMENTS_RUNNING and vm.stage_text == "Afspraken lopen"
    assert vm.mdo_text == "MDO: op tijd klaar (uiterlijk 18-11-2026)" and vm.mdo_badge is None
    assert vm.consent_text == "Delen: de bewoner vindt het goed."
    assert vm.people()[2] == "Daan Verhoeven — Professional, Pantein, wijkverpleegkundige"
    assert vm.meeting_lines() == ["MDO gehouden op 14-11-2026"]
    lines = vm.agreement_lines()
    assert [line.owner for line in lines] == ["Sanne de Bruijn", "Daan Verhoeven"]
    assert lines[0].text == "Sanne de Bruijn · uiterlijk 19-11-2026"
    assert lines[0].badge is not None and lines[0].badge.kind is BadgeKind.DANGER
    assert lines[0].badge.text == "Afspraak 5 dagen te laat"
    assert vm.measurement_lines() == ["Bij het eerste contact (04-11-2026): welzijn 4"]
    assert vm.meeting_action == "Vervolgoverleg nu starten"


def test_no_mdo_needed_with_a_reason(store: CaseStore) -> None:
    case_id = fresh_case(store, contact=TODAY - timedelta(days=12))
    vm = case_vm(store, case_id)
    badge = vm.mdo_badge
    assert badge is not None and badge.text == "MDO: nog 2 dagen"
    assert vm.can_decide_no_meeting
    assert vm.decide_no_meeting(reason=" ", on=dates.short(TODAY)) == {
        "reason": "Schrijf op waarom er geen MDO nodig is."
    }
    assert vm.decide_no_meeting(reason="Hulp is al geregeld", on="gisteren") == {
        "date": dates.date_error()
    }
    assert vm.decide_no_meeting(reason="Hulp is al geregeld", on=dates.short(TODAY)) == {}
    assert vm.stage is CaseStage.NO_MEETING_NEEDED
    assert vm.mdo_deadline.state is DeadlineState.STOPPED and vm.mdo_badge is None
    assert vm.no_meeting_text == "Geen MDO nodig (24-11-2026): Hulp is al geregeld"
    assert not vm.can_decide_no_meeting


def test_follow_up_of_an_agreement(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = case_vm(store, f.case.id)
    first, second = (line.agreement for line in vm.agreement_lines())
    # Done: a date that is not in the future.
    assert vm.mark_done(first.id, on="25-11-2026", note="") == {
        "date": "De datum van klaar kan niet in de toekomst liggen."
    }
    assert vm.mark_done(first.id, on="23-11-2026", note="Post is op orde") == {}
    done = next(a for a in vm.case_file.agreements if a.id == first.id)
    assert done.status is AgreementStatus.DONE and done.note == "Post is op orde"
    # Move: within six weeks of the meeting is fine, later needs a reason.
    norm = vm.norm_date(second.id)
    assert norm == date(2026, 11, 14) + timedelta(days=42)
    later = dates.short(norm + timedelta(days=10))
    assert vm.needs_reason(second.id, later) and not vm.needs_reason(second.id, dates.short(norm))
    errors = vm.move_due(second.id, due=later, reason="")
    assert list(errors) == ["reason"] and "zes weken" in errors["reason"]
    assert vm.move_due(second.id, due=later, reason="Wachtlijst") == {}
    moved = next(a for a in vm.case_file.agreements if a.id == second.id)
    assert moved.due_date == norm + timedelta(days=10) and moved.outside_norm_reason == "Wachtlijst"
    assert vm.move_due(second.id, due=dates.short(norm), reason="Wachtlijst") == {}
    back = next(a for a in vm.case_file.agreements if a.id == second.id)
    assert back.outside_norm_reason == ""  # a reason only belongs to a date past the norm
    # More than a year after the meeting: refused on the date, whatever the reason.
    assert vm.latest_date(second.id) == date(2027, 11, 14)
    typo = dates.short(norm + timedelta(days=365))  # the year typed one too high
    assert not vm.needs_reason(second.id, typo)  # no reason box: no reason makes it right
    errors = vm.move_due(second.id, due=typo, reason="Wachtlijst")
    assert list(errors) == ["date"] and "jaar" in errors["date"]
    kept = next(a for a in vm.case_file.agreements if a.id == second.id)
    assert kept.due_date == norm
    assert vm.move_due(second.id, due="14-11-2027", reason="Wachtlijst") == {}


def test_hand_an_agreement_over_then_take_the_former_owner_off_the_case(
    store: CaseStore,
) -> None:
    f = a_case_file()
    f.meetings[0].present = [f.participants[0].id]  # only the resident was at the table
    store.add_case_files([f], today=TODAY, now=NOW)
    resident, daughter, nurse = f.participants
    vm = case_vm(store, f.case.id)
    first = vm.agreement_lines()[0].agreement  # the daughter's
    assert [key for key, _text in vm.owner_choices(first.id)] == [resident.id, nurse.id]
    assert vm.owner_now_text(first.id) == "Nu: Sanne de Bruijn"
    assert vm.hand_over(first.id, owner_id=daughter.id) == {"owner": "Kies wie het overneemt."}
    assert vm.hand_over(first.id, owner_id="") == {"owner": "Kies wie het overneemt."}
    assert vm.hand_over(first.id, owner_id="nobody") == {
        "owner": "Kies iemand die meedoet in deze casus."
    }
    plan = pl.PlanViewModel(store, f.case.id, today=lambda: TODAY)
    assert not plan.remove_person(daughter.id)  # agreements are in her name
    assert plan.remove_error is not None and "Overdragen" in plan.remove_error
    assert vm.hand_over(first.id, owner_id=resident.id) == {}
    assert vm.agreement_lines()[0].owner == resident.name
    plan = pl.PlanViewModel(store, f.case.id, today=lambda: TODAY)
    assert plan.remove_person(daughter.id)
    # Taken off the case: no longer someone to hand over to.
    vm.load()
    second = vm.agreement_lines()[1].agreement  # the nurse's
    assert daughter.id not in [key for key, _text in vm.owner_choices(second.id)]
    assert vm.hand_over(second.id, owner_id=daughter.id) == {
        "owner": "Kies iemand die meedoet in deze casus."
    }


def test_an_owner_removed_on_another_tablet_is_shown_and_can_be_replaced(
    store: CaseStore,
) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    resident, daughter, _nurse = f.participants
    # As a pulled change leaves it: the daughter taken off the case while owning an agreement.
    store.save_participant(replace(daughter, removed_on=TODAY))
    vm = case_vm(store, f.case.id)
    first = vm.agreement_lines()[0]
    assert first.owner == "Sanne de Bruijn (doet niet meer mee)"
    assert daughter.id not in dict(vm.owner_choices(first.agreement.id))
    assert vm.owner_now_text(first.agreement.id) == "Nu: Sanne de Bruijn (doet niet meer mee)"
    assert vm.hand_over(first.agreement.id, owner_id=resident.id) == {}
    assert vm.agreement_lines()[0].owner == resident.name


def test_wellbeing_positive_health_and_zrm_later_on(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = case_vm(store, f.case.id)
    assert vm.suggested_moment() is MeasurementMoment.SIX_WEEKS
    assert vm.record_measurement(
        moment=MeasurementMoment.SIX_WEEKS, on="24-11-2026", wellbeing=None
    ) == {"wellbeing": "Kies een cijfer van 1 tot 10."}
    assert vm.record_measurement(
        moment=MeasurementMoment.SIX_WEEKS, on="24-11-2026", wellbeing=11
    ) == {"wellbeing": "Welbevinden is een getal van 1 tot en met 10."}
    health = dict.fromkeys(("bodily_functions", "mental_wellbeing", "meaningfulness"), 7)
    assert (
        vm.record_measurement(
            moment=MeasurementMoment.SIX_WEEKS,
            on="24-11-2026",
            wellbeing=8,
            positive_health=health,
            zrm={"finances": 3},
        )
        == {}
    )
    assert vm.measurement_lines()[-1] == (
        "Na zes weken (24-11-2026): welzijn 8, Positieve Gezondheid ingevuld, ZRM ingevuld"
    )
    assert vm.suggested_moment() is MeasurementMoment.LATER


def test_closing_the_case(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = case_vm(store, f.case.id)
    assert vm.close_case(on="01-01-2020", note="") == {
        "date": "Een casus kan niet gesloten worden vóór het eerste contact."
    }
    assert vm.close_case(on="24-11-2026", note="Het gaat goed.") == {}
    assert vm.closed and vm.stage is CaseStage.CLOSED
    assert vm.closed_text == "Afgesloten op 24-11-2026. Het gaat goed."
    assert vm.meeting_action is None and not vm.can_plan


def test_a_meeting_in_progress_is_resumed_and_a_held_one_is_followed_up(store: CaseStore) -> None:
    case_id = fresh_case(store)
    meeting = MeetingViewModel.open(store, case_id, today=TODAY)
    vm = case_vm(store, case_id)
    assert vm.meeting_action == "Overleg hervatten" and not vm.can_plan
    assert vm.meeting_lines() == ["MDO bezig (begonnen op 24-11-2026)"]
    meeting.go_to(Step.READBACK)
    meeting.finish()
    vm.load()
    assert vm.meeting_lines() == ["MDO gehouden op 24-11-2026"]
    assert vm.meeting_action == "Vervolgoverleg nu starten"
    assert vm.plan_action == "Vervolg-MDO plannen"
    assert [title for title, _items in vm.three_questions()] == ["Ik wil", "Ik kan", "Ik heb nodig"]


# -- my cases: the next deadline ---------------------------------------------------------------


def test_my_cases_shows_the_next_deadline(store: CaseStore) -> None:
    waiting = fresh_case(store)
    running = a_case_file(name="Bram de Boer", contact=TODAY - timedelta(days=5), held_on=TODAY)
    store.add_case_files([running], today=TODAY, now=NOW)
    vm = CasesViewModel(store.file, today=lambda: TODAY)
    vm.load()
    rows = {r.case_id: r for r in vm.rows}
    assert rows[waiting].next_deadline == "MDO uiterlijk 02-12-2026"
    assert rows[running.case.id].next_deadline == "Volgende afspraak uiterlijk 29-11-2026"
    assert "Volgende afspraak uiterlijk 29-11-2026" in rows[running.case.id].label


# -- settings and preferences -----------------------------------------------------------------


def test_language_switches_live_and_is_remembered(store: CaseStore) -> None:
    vm = SettingsViewModel(store, idle_lock=timedelta(minutes=5))
    vm.load()
    assert vm.language == "nl" and ("en", "English") in vm.languages
    try:
        vm.set_language("en")
        assert current_language() == "en" and vm.idle_lock_text == "5 minutes"
        assert preferences.stored_language(store.file) == "en"
    finally:
        set_language("nl")


def test_auto_lock_time_is_remembered(store: CaseStore) -> None:
    vm = SettingsViewModel(store, idle_lock=timedelta(minutes=5))
    assert (300, "5 minuten") in vm.idle_lock_choices
    assert preferences.stored_idle_lock(store.file) is None
    vm.set_idle_lock(600)
    assert vm.idle_lock == timedelta(minutes=10)
    assert preferences.stored_idle_lock(store.file) == timedelta(minutes=10)
    vm.set_idle_lock(1)  # too short: the minimum
    assert preferences.stored_idle_lock(store.file) == timedelta(seconds=5)


def test_organisations_can_be_added_and_switched_off(store: CaseStore) -> None:
    vm = SettingsViewModel(store, idle_lock=timedelta(minutes=5))
    vm.load()
    before = len(vm.organisations)
    assert vm.add_organisation("  ") is None and vm.organisation_error
    added = vm.add_organisation("Buurtteam  Ruwaard")
    assert (
        added is not None and added.name == "Buurtteam Ruwaard" and added.id == "buurtteam-ruwaard"
    )
    assert vm.add_organisation("buurtteam ruwaard") is None
    assert vm.organisation_error == "Deze organisatie staat al in de lijst."
    assert len(vm.organisations) == before + 1
    vm.set_active(added.id, False)
    assert added.id not in {o.id for o in store.organisations()}
    assert added.id in {o.id for o in store.organisations(include_inactive=True)}


# -- navigation to screens about one case ------------------------------------------------------


def test_case_screens_need_a_case_and_resume_after_unlock(tmp_path: Path, store: CaseStore) -> None:
    session = AppSession(tmp_path / "x.db", clock=lambda: NOW)
    session.created(store)
    session.go(Screen.NEW_CONTACT)
    assert session.screen is Screen.NEW_CONTACT and session.case_id is None
    session.open_case("case-1", Screen.MEETING)
    assert session.screen is Screen.MEETING and session.case_id == "case-1"
    session.open_case("case-1", Screen.SETTINGS)  # not a case screen: ignored
    assert session.screen is Screen.MEETING
    session.lock()
    store.unlock(PASSPHRASE, now=NOW)
    session.unlocked()
    assert session.screen is Screen.MEETING  # a meeting locked mid-way comes back
    session.go(Screen.CASES)
    assert session.screen is Screen.CASES and session.case_id is None
