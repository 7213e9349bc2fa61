"""Validation: every problem at once, on the right field, never echoing what was typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain import (
    POSITIVE_HEALTH_DIMENSIONS,
    ZRM_DOMAINS,
    Agreement,
    AgreementStatus,
    Case,
    Measurement,
    MeasurementMoment,
    Meeting,
    NoMeetingDecision,
    Participant,
    ParticipantRole,
    Resident,
)
from models.errors import FieldProblem, ValidationError
from models.validation import (
    LIST_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    SHORT_TEXT_MAX,
    agreement_problems,
    case_problems,
    measurement_problems,
    meeting_problems,
    participant_problems,
    resident_problems,
    validate_agreement,
    validate_case,
    validate_measurement,
    validate_meeting,
    validate_participant,
    validate_resident,
)

pytestmark = pytest.mark.usefixtures("english")


TODAY = date(2026, 6, 15)
MEETING_DATE = date(2026, 6, 1)
OWNER = "owner-participant-id"


def fields(problems: list[FieldProblem]) -> list[str]:
    return [p.field for p in problems]


def make_resident(**changes: object) -> Resident:
    r = Resident(name="Anna de Vries", address="Kerkstraat 1, Oss", phone="06-12345678")
    return replace(r, **changes)


def make_case(**changes: object) -> Case:
    c = Case(
        resident=make_resident(), contact_date=date(2026, 6, 1), question="Ik wil weer naar buiten."
    )
    return replace(c, **changes)


def make_participant(**changes: object) -> Participant:
    p = Participant(case_id="c", role=ParticipantRole.NETWORK, name="Piet", relation="buurman")
    return replace(p, **changes)


def make_meeting(**changes: object) -> Meeting:
    m = Meeting(case_id="c", wants=["Weer fietsen"], strengths=["Koken"], needs=["Hulp bij post"])
    return replace(m, **changes)


def make_agreement(**changes: object) -> Agreement:
    a = Agreement(
        case_id="c",
        meeting_id="m",
        what="Buurman helpt met de post",
        owner_id=OWNER,
        due_date=MEETING_DATE + timedelta(days=14),
    )
    return replace(a, **changes)


def make_measurement(**changes: object) -> Measurement:
    m = Measurement(
        case_id="c",
        moment=MeasurementMoment.MEETING,
        taken_on=MEETING_DATE,
        wellbeing=4,
        positive_health=dict.fromkeys(POSITIVE_HEALTH_DIMENSIONS, 5),
        zrm=dict.fromkeys(ZRM_DOMAINS, 3),
    )
    return replace(m, **changes)


def agreement_fields(a: Agreement) -> list[str]:
    return fields(agreement_problems(a, meeting_date=MEETING_DATE, participant_ids={OWNER, "x"}))


# --- valid records pass ----------------------------------------------------------------------


def test_valid_records_pass() -> None:
    assert validate_resident(make_resident(), today=TODAY) is None
    assert validate_case(make_case(), today=TODAY) is None
    assert validate_participant(make_participant()) is None
    assert validate_meeting(make_meeting()) is None
    assert (
        validate_agreement(make_agreement(), meeting_date=MEETING_DATE, participant_ids=[OWNER])
        is None
    )
    assert validate_measurement(make_measurement()) is None


def test_empty_optional_fields_pass() -> None:
    """Little registration: only a rule makes a field required."""
    assert resident_problems(Resident(name="A")) == []
    assert meeting_problems(Meeting(case_id="c")) == []
    assert (
        measurement_problems(
            Measurement(case_id="c", moment=MeasurementMoment.LATER, taken_on=TODAY)
        )
        == []
    )


# --- resident and case -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_resident_name_is_required(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_resident(make_resident(name=name))
    assert fields(list(info.value.problems)) == ["resident.name"]
    assert info.value.for_field("resident.name") == "Fill in the resident's name."


def test_name_length_limit() -> None:
    assert resident_problems(make_resident(name="a" * NAME_MAX)) == []
    assert fields(resident_problems(make_resident(name="a" * (NAME_MAX + 1)))) == ["resident.name"]


@pytest.mark.parametrize("email", ["anna", "anna@", "@oss.nl", "anna de@oss.nl", "a@b@c"])
def test_bad_email(email: str) -> None:
    assert fields(resident_problems(make_resident(email=email))) == ["resident.email"]


@pytest.mark.parametrize("phone", ["0412-123456", "+31 (0)6 1234 5678", ""])
def test_good_phone(phone: str) -> None:
    assert resident_problems(make_resident(phone=phone, email="anna@example.nl")) == []


def test_bad_phone() -> None:
    assert fields(resident_problems(make_resident(phone="bel de buren"))) == ["resident.phone"]


def test_date_of_birth_in_future_only_checked_with_today() -> None:
    r = make_resident(date_of_birth=TODAY + timedelta(days=1))
    assert resident_problems(r) == []
    assert fields(resident_problems(r, today=TODAY)) == ["resident.date_of_birth"]


def test_contact_date_today_is_fine_tomorrow_is_not() -> None:
    assert case_problems(make_case(contact_date=TODAY), today=TODAY) == []
    problems = case_problems(make_case(contact_date=TODAY + timedelta(days=1)), today=TODAY)
    assert fields(problems) == ["contact_date"]


def test_case_reports_all_problems_at_once() -> None:
    case = make_case(
        resident=make_resident(name=" "),
        contact_date=TODAY + timedelta(days=3),
        question="q" * (LONG_TEXT_MAX + 1),
        closing_note="n" * (LONG_TEXT_MAX + 1),
    )
    with pytest.raises(ValidationError) as info:
        validate_case(case, today=TODAY)
    assert fields(list(info.value.problems)) == [
        "resident.name",
        "contact_date",
        "question",
        "closing_note",
    ]
    assert str(info.value) == " ".join(p.message for p in info.value.problems)


def test_question_at_limit_is_fine() -> None:
    assert case_problems(make_case(question="q" * LONG_TEXT_MAX), today=TODAY) == []


def test_no_meeting_decision_needs_a_reason_and_sensible_date() -> None:
    decision = NoMeetingDecision(decided_on=date(2026, 5, 1), reason="  ")
    problems = case_problems(make_case(no_meeting=decision), today=TODAY)
    assert fields(problems) == ["no_meeting.decided_on", "no_meeting.reason"]
    later = NoMeetingDecision(decided_on=TODAY + timedelta(days=1), reason="Hulp is al geregeld")
    assert fields(case_problems(make_case(no_meeting=later), today=TODAY)) == [
        "no_meeting.decided_on"
    ]


def test_closing_date_rules() -> None:
    before = make_case(closed_on=date(2026, 5, 31))
    future = make_case(closed_on=TODAY + timedelta(days=1))
    assert fields(case_problems(before, today=TODAY)) == ["closed_on"]
    assert fields(case_problems(future, today=TODAY)) == ["closed_on"]
    assert case_problems(make_case(closed_on=TODAY), today=TODAY) == []


# --- participants and meetings ---------------------------------------------------------------


def test_participant_name_required() -> None:
    assert fields(participant_problems(make_participant(name=""))) == ["name"]


def test_professional_organisation_is_optional() -> None:
    assert participant_problems(make_participant(role=ParticipantRole.PROFESSIONAL)) == []
    pro = make_participant(role=ParticipantRole.PROFESSIONAL, organisation_id="org-ggd")
    assert participant_problems(pro) == []


@pytest.mark.parametrize("role", [ParticipantRole.RESIDENT, ParticipantRole.NETWORK])
def test_only_professionals_have_an_organisation(role: ParticipantRole) -> None:
    p = make_participant(role=role, organisation_id="org-ggd")
    with pytest.raises(ValidationError) as info:
        validate_participant(p)
    assert fields(list(info.value.problems)) == ["organisation_id"]


def test_blank_list_items_are_reported_per_item() -> None:
    m = make_meeting(wants=["Weer fietsen", "  "], needs=["", "Hulp"])
    problems = meeting_problems(m)
    assert fields(problems) == ["wants[1]", "needs[0]"]
    assert "item 2" in problems[0].message
    assert "item 1" in problems[1].message


def test_list_size_limit() -> None:
    assert meeting_problems(make_meeting(strengths=["x"] * LIST_MAX)) == []
    with pytest.raises(ValidationError) as info:
        validate_meeting(make_meeting(strengths=["x"] * (LIST_MAX + 1)))
    assert fields(list(info.value.problems)) == ["strengths"]


def test_list_item_length_limit() -> None:
    assert meeting_problems(make_meeting(wants=["w" * SHORT_TEXT_MAX])) == []
    assert fields(meeting_problems(make_meeting(wants=["w" * (SHORT_TEXT_MAX + 1)]))) == [
        "wants[0]"
    ]


# --- agreements ------------------------------------------------------------------------------


def test_agreement_what_and_owner_required() -> None:
    assert agreement_fields(make_agreement(what=" ", owner_id="")) == ["what", "owner_id"]


def test_owner_must_be_a_participant() -> None:
    assert agreement_fields(make_agreement(owner_id="someone-else")) == ["owner_id"]


def test_due_date_rules_come_from_deadlines() -> None:
    assert agreement_fields(make_agreement(due_date=MEETING_DATE - timedelta(days=1))) == [
        "due_date"
    ]
    late = make_agreement(due_date=MEETING_DATE + timedelta(days=43))
    assert agreement_fields(late) == ["outside_norm_reason"]
    assert agreement_fields(replace(late, outside_norm_reason="Wachtlijst thuiszorg")) == []
    assert agreement_fields(make_agreement(due_date=MEETING_DATE + timedelta(days=42))) == []


def test_done_needs_a_done_date_not_before_the_meeting() -> None:
    done = make_agreement(status=AgreementStatus.DONE)
    assert agreement_fields(done) == ["done_on"]
    assert agreement_fields(replace(done, done_on=MEETING_DATE - timedelta(days=1))) == ["done_on"]
    assert agreement_fields(replace(done, done_on=MEETING_DATE)) == []


@pytest.mark.parametrize("status", [AgreementStatus.OPEN, AgreementStatus.CANCELLED])
def test_only_done_agreements_have_a_done_date(status: AgreementStatus) -> None:
    assert agreement_fields(make_agreement(status=status, done_on=MEETING_DATE)) == ["done_on"]


def test_cost_estimate_not_negative() -> None:
    assert agreement_fields(make_agreement(cost_estimate_cents=0)) == []
    assert agreement_fields(make_agreement(cost_estimate_cents=-1)) == ["cost_estimate_cents"]


def test_agreement_reports_all_problems_at_once() -> None:
    a = make_agreement(
        what="",
        owner_id="nobody",
        due_date=MEETING_DATE + timedelta(days=60),
        status=AgreementStatus.DONE,
        note="n" * (LONG_TEXT_MAX + 1),
        cost_estimate_cents=-500,
    )
    with pytest.raises(ValidationError) as info:
        validate_agreement(a, meeting_date=MEETING_DATE, participant_ids=[OWNER])
    assert fields(list(info.value.problems)) == [
        "what",
        "owner_id",
        "outside_norm_reason",
        "done_on",
        "note",
        "cost_estimate_cents",
    ]


# --- measurements ----------------------------------------------------------------------------


@pytest.mark.parametrize("wellbeing", [1, 10, None])
def test_wellbeing_in_range(wellbeing: int | None) -> None:
    assert measurement_problems(make_measurement(wellbeing=wellbeing)) == []


@pytest.mark.parametrize("wellbeing", [0, 11, -3, True, 5.5])
def test_wellbeing_out_of_range(wellbeing: object) -> None:
    with pytest.raises(ValidationError) as info:
        validate_measurement(make_measurement(wellbeing=wellbeing))
    assert info.value.problems == (
        FieldProblem("wellbeing", "Wellbeing is a number from 1 to 10."),
    )


def test_positive_health_keys_and_range() -> None:
    scores = {"mental_wellbeing": 0, "meaningfulness": 10, "participation": 11, "happiness": 5}
    problems = measurement_problems(make_measurement(positive_health=scores))
    assert fields(problems) == ["positive_health.participation", "positive_health"]


def test_zrm_keys_and_range() -> None:
    scores = {"finances": 1, "housing": 5, "justice": 0, "addiction": 6, "pets": 3}
    problems = measurement_problems(make_measurement(zrm=scores))
    assert fields(problems) == ["zrm.justice", "zrm.addiction", "zrm"]


@given(st.integers(min_value=1, max_value=10))
def test_every_wellbeing_from_one_to_ten_passes(score: int) -> None:
    assert measurement_problems(make_measurement(wellbeing=score)) == []


@given(
    st.dictionaries(st.sampled_from(POSITIVE_HEALTH_DIMENSIONS), st.integers(0, 10)),
    st.dictionaries(st.sampled_from(ZRM_DOMAINS), st.integers(1, 5)),
)
def test_any_subset_of_known_dimensions_in_range_passes(
    health: dict[str, int], zrm: dict[str, int]
) -> None:
    assert measurement_problems(make_measurement(positive_health=health, zrm=zrm)) == []


# --- no personal data in messages ------------------------------------------------------------

MARK = "\u2603"  # a snowman: never part of a message, so finding it means the value leaked
typed = st.builds(
    lambda text, pad: MARK + text + "y" * pad,
    st.text(max_size=30),
    st.sampled_from([0, NAME_MAX, SHORT_TEXT_MAX, LONG_TEXT_MAX]),
)


def assert_no_leak(problems: list[FieldProblem], *values: str) -> None:
    for problem in problems:
        assert MARK not in problem.message
        for value in values:
            assert value not in problem.message


@given(typed, typed, typed, typed)
def test_resident_and_case_messages_never_contain_the_input(
    name: str, address: str, question: str, reason: str
) -> None:
    resident = make_resident(name=name, address=address, phone=address, email=name)
    case = make_case(
        resident=resident,
        question=question,
        closing_note=reason,
        no_meeting=NoMeetingDecision(decided_on=date(2026, 6, 2), reason=reason),
    )
    problems = case_problems(case, today=TODAY)
    assert problems  # the phone and e-mail always fail: the mark is not a digit nor an @
    assert_no_leak(problems, name, address, question, reason)


@given(typed, typed, typed)
def test_participant_messages_never_contain_the_input(
    name: str, relation: str, contact: str
) -> None:
    p = make_participant(name=name, relation=relation, contact=contact, organisation_id=contact)
    problems = participant_problems(p)
    assert problems  # a network member with an organisation always fails
    assert_no_leak(problems, name, relation, contact)


@given(st.lists(typed | st.just(" "), max_size=LIST_MAX + 2), typed)
def test_meeting_messages_never_contain_the_input(items: list[str], place: str) -> None:
    problems = meeting_problems(make_meeting(wants=items, needs=items, place=place))
    assert_no_leak(problems, place, *(i for i in items if MARK in i))


@given(typed, typed, typed, typed, st.integers(min_value=-100, max_value=100))
def test_agreement_messages_never_contain_the_input(
    what: str, owner: str, reason: str, note: str, due_offset: int
) -> None:
    a = make_agreement(
        what=what,
        owner_id=owner,
        outside_norm_reason=reason,
        note=note,
        due_date=MEETING_DATE + timedelta(days=due_offset),
    )
    problems = agreement_problems(a, meeting_date=MEETING_DATE, participant_ids=[OWNER])
    assert "owner_id" in fields(problems)  # the typed owner is never a participant
    assert_no_leak(
        problems, what, owner, reason, note, str(a.due_date), a.due_date.strftime("%d-%m-%Y")
    )


@given(st.integers().filter(lambda n: abs(n) >= 100))
def test_measurement_messages_never_contain_the_score(score: int) -> None:
    m = make_measurement(
        wellbeing=score,
        positive_health={"meaningfulness": score},
        zrm={"housing": score},
    )
    problems = measurement_problems(m)
    assert fields(problems) == ["wellbeing", "positive_health.meaningfulness", "zrm.housing"]
    assert_no_leak(problems, str(score))
