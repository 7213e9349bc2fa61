"""The read model's rows from wire fields: pure functions, tolerant of whatever a device sent."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from models.changes import fields_of
from models.domain import (
    Agreement,
    AgreementStatus,
    Case,
    Consent,
    Measurement,
    MeasurementMoment,
    Participant,
    ParticipantRole,
    Resident,
)
from server.reports.projection import (
    agreement_row,
    agreement_status,
    case_row,
    days_between,
    measurement_row,
    owner_columns,
    parse_day,
    parse_score,
    parse_uuid,
    participant_row,
)

CASE = uuid.uuid4()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-24", date(2026, 11, 24)),
        ("2026-11-24T10:00:00+01:00", date(2026, 11, 24)),
        ("24-11-2026", None),
        (20261124, None),
        (None, None),
    ],
)
def test_parse_day(value: object, expected: date | None) -> None:
    assert parse_day(value) == expected


def test_parse_uuid_and_scores() -> None:
    some = uuid.uuid4()
    assert parse_uuid(str(some)) == some
    assert parse_uuid("not an id") is None and parse_uuid(7) is None
    assert parse_score(7, 1, 10) == 7
    assert parse_score(0, 1, 10) is None  # out of range
    assert parse_score(True, 0, 10) is None  # a bool is not a score
    assert parse_score("7", 1, 10) is None


def test_a_case_row_from_the_devices_fields() -> None:
    resident = Resident(name="Bewoner Een")
    case = Case(
        resident=resident,
        contact_date=date(2026, 9, 1),
        question="Hulp bij de post",
        organisation_id="ggd",
        consent=Consent(given=True, recorded_on=date(2026, 9, 1)),
    )
    row = case_row(
        CASE, fields_of(case), resident_name="Bewoner Een", first_held_on=date(2026, 9, 15)
    )
    assert row["resident_id"] == uuid.UUID(resident.id)
    assert row["contact_date"] == date(2026, 9, 1)
    assert row["mdo_days"] == 14  # 1 -> 15 September
    assert row["consent_given"] is True
    assert (row["question"], row["closing_note"], row["closed_on"]) == (
        "Hulp bij de post",
        "",
        None,
    )


def test_a_case_row_survives_nonsense() -> None:
    row = case_row(
        CASE,
        {"contact_date": "gisteren", "consent_given": "ja", "question": 12},
        resident_name="",
        first_held_on=None,
    )
    assert row["contact_date"] is None and row["mdo_days"] is None
    assert row["consent_given"] is False and row["question"] == ""


def test_agreement_rows_count_days_to_done_only_when_done() -> None:
    meeting = date(2026, 9, 15)
    done = Agreement(
        case_id=str(CASE),
        meeting_id=str(uuid.uuid4()),
        what="Post",
        owner_id=str(uuid.uuid4()),
        due_date=date(2026, 10, 27),
        status=AgreementStatus.DONE,
        done_on=date(2026, 10, 27),
    )
    row = agreement_row(uuid.uuid4(), CASE, fields_of(done), meeting_held_on=meeting)
    assert row["done_days"] == 42 and row["status"] == "done"  # 15 Sep -> 27 Oct
    cancelled = fields_of(done) | {"status": "cancelled"}
    row = agreement_row(uuid.uuid4(), CASE, cancelled, meeting_held_on=meeting)
    assert row["done_days"] is None
    assert agreement_status(None) == "open"
    assert agreement_status("later") == "unknown"


def test_a_measurement_row_spreads_positive_health_over_columns() -> None:
    m = Measurement(
        case_id=str(CASE),
        moment=MeasurementMoment.SIX_WEEKS,
        taken_on=date(2026, 10, 27),
        wellbeing=8,
        positive_health={"mental_wellbeing": 6, "meaningfulness": 11},
    )
    row = measurement_row(uuid.uuid4(), CASE, fields_of(m))
    assert (row["moment"], row["wellbeing"]) == ("six_weeks", 8)
    assert row["taken_day"] == date(2026, 10, 27).toordinal()
    assert row["ph_mental_wellbeing"] == 6
    assert row["ph_meaningfulness"] is None  # 11 is out of range
    assert row["ph_bodily_functions"] is None


@pytest.mark.parametrize(
    ("removed_on", "removed"),
    [
        (None, False),
        ("2026-11-20", True),
        ("20 november", True),  # any value takes someone off the case, as for membership
    ],
)
def test_a_participant_row_says_whether_they_were_taken_off_the_case(
    removed_on: object, removed: bool
) -> None:
    person = Participant(
        case_id=str(CASE),
        role=ParticipantRole.PROFESSIONAL,
        name="Kees Smit",
        organisation_id="ggd",
    )
    fields = fields_of(person) | {"removed_on": removed_on}
    assert participant_row(uuid.UUID(person.id), CASE, fields)["removed"] is removed


def test_an_agreement_copies_whether_its_owner_was_taken_off_the_case() -> None:
    owner = Participant(
        case_id=str(CASE),
        role=ParticipantRole.PROFESSIONAL,
        name="Kees Smit",
        organisation_id="ggd",
        removed_on=date(2026, 11, 20),
    )
    row = participant_row(uuid.UUID(owner.id), CASE, fields_of(owner))
    assert row["removed"] is True
    agreement = Agreement(
        case_id=str(CASE),
        meeting_id=str(uuid.uuid4()),
        what="Post",
        owner_id=owner.id,
        due_date=date(2026, 10, 27),
    )
    projected = agreement_row(
        uuid.uuid4(), CASE, fields_of(agreement), meeting_held_on=None, owner=row
    )
    # The name and organisation stay: the team lead sees who had it, marked.
    assert (projected["owner_name"], projected["owner_organisation_id"]) == ("Kees Smit", "ggd")
    assert projected["owner_removed"] is True
    assert owner_columns(row | {"removed": False})["owner_removed"] is False
    assert owner_columns(None)["owner_removed"] is False  # no owner: nobody left


def test_days_between() -> None:
    assert days_between(date(2026, 9, 1), date(2026, 9, 16)) == 15
    assert days_between(None, date(2026, 9, 16)) is None
