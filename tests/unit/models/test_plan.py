"""The plan's canonical form: one plan, one byte string, one hash (RFC 8785 after NFC)."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from models.domain import AgreementStatus, Measurement, MeasurementMoment
from models.plan import (
    MAX_SAFE_INTEGER,
    Plan,
    PlanAgreement,
    PlanParticipant,
    canonical_bytes,
    canonical_json,
    check_code,
    plan_from_case_file,
    plan_from_json,
    plan_hash,
    plan_to_json,
)
from tests.support.factories import a_case_file

# Text with accents that have both a composed and a decomposed form, plus anything else.
_ACCENTED = st.sampled_from(["ë", "é", "ü", "ş", "ğ", "ı", "İ", "ï", "Å", "ñ", "ô"])
texts = st.lists(st.one_of(_ACCENTED, st.characters(codec="utf-8")), max_size=12).map("".join)
ids = st.uuids().map(str)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))

participants = st.builds(
    PlanParticipant,
    id=ids,
    name=texts,
    role=st.sampled_from(["resident", "network", "professional"]),
    relation=texts,
    organisation=texts,
)
agreements = st.builds(
    PlanAgreement,
    id=ids,
    what=texts,
    owner_id=ids,
    owner_name=texts,
    due_date=days,
    outside_norm_reason=texts,
)
plans = st.builds(
    Plan,
    case_id=ids,
    meeting_id=ids,
    version=st.integers(min_value=1, max_value=1000),
    meeting_date=days,
    participants=st.lists(participants, max_size=4).map(tuple),
    wants=st.lists(texts, max_size=4).map(tuple),
    strengths=st.lists(texts, max_size=4).map(tuple),
    needs=st.lists(texts, max_size=4).map(tuple),
    agreements=st.lists(agreements, max_size=4).map(tuple),
    positive_health=st.none()
    | st.lists(st.tuples(texts, st.integers(0, 10)), max_size=6).map(tuple),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)


def _nfd(plan: Plan) -> Plan:
    """The same plan with every text decomposed (as some keyboards and systems deliver it)."""

    def d(s: str) -> str:
        return unicodedata.normalize("NFD", s)

    return replace(
        plan,
        participants=tuple(
            replace(p, name=d(p.name), relation=d(p.relation), organisation=d(p.organisation))
            for p in plan.participants
        ),
        wants=tuple(map(d, plan.wants)),
        strengths=tuple(map(d, plan.strengths)),
        needs=tuple(map(d, plan.needs)),
        agreements=tuple(
            replace(
                a,
                what=d(a.what),
                owner_name=d(a.owner_name),
                outside_norm_reason=d(a.outside_norm_reason),
            )
            for a in plan.agreements
        ),
    )


@given(plans)
def test_nfc_and_nfd_spellings_give_the_same_hash(plan: Plan) -> None:
    assert canonical_bytes(_nfd(plan)) == canonical_bytes(plan)
    assert plan_hash(_nfd(plan)) == plan_hash(plan)


def test_a_known_nfd_name_hashes_like_its_nfc_form() -> None:
    f = a_case_file(name="Anaïs Brouwer")
    plan = plan_from_case_file(f, f.meetings[0].id, version=1)
    nfd = replace(
        plan,
        participants=tuple(
            replace(p, name=unicodedata.normalize("NFD", p.name)) for p in plan.participants
        ),
    )
    assert any("Anai\u0308s" in p.name for p in nfd.participants)
    assert plan_hash(nfd) == plan_hash(plan)


@given(json_values, st.randoms())
def test_key_order_does_not_matter(value: object, rnd: object) -> None:
    def shuffled(v: object) -> object:
        if isinstance(v, dict):
            items = list(v.items())
            rnd.shuffle(items)  # type: ignore[attr-defined]
            return {k: shuffled(x) for k, x in items}
        if isinstance(v, list):
            return [shuffled(x) for x in v]
        return v

    try:
        expected = canonical_json(value)
    except ValueError:  # two keys equal after NFC: refused whatever the order
        return
    assert canonical_json(shuffled(value)) == expected


@given(json_values)
def test_canonical_json_is_json_and_stable(value: object) -> None:
    try:
        once = canonical_json(value)
    except ValueError:
        return
    assert canonical_json(json.loads(once)) == once


def test_known_vector() -> None:
    assert canonical_json({"b": [1, 2.5, "é"], "a": None, "c": True}) == (
        b'{"a":null,"b":[1,2.5,"\xc3\xa9"],"c":true}'
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, [1, math.nan], {"x": math.nan}])
def test_nan_and_infinity_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        canonical_json(bad)


@given(st.integers(min_value=MAX_SAFE_INTEGER + 1) | st.integers(max_value=-MAX_SAFE_INTEGER - 1))
def test_big_integers_are_carried_as_strings(n: int) -> None:
    assert canonical_json(n) == json.dumps(str(n)).encode()
    assert canonical_json({"n": n}) == b'{"n":"' + str(n).encode() + b'"}'


@given(st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER))
def test_safe_integers_stay_numbers(n: int) -> None:
    assert canonical_json(n) == str(n).encode()


def test_keys_equal_after_nfc_are_refused() -> None:
    with pytest.raises(ValueError):
        canonical_json({"é": 1, "e\u0301": 2})


def test_non_json_values_are_refused() -> None:
    with pytest.raises(TypeError):
        canonical_json({"x": object()})
    with pytest.raises(TypeError):
        canonical_json({1: "x"})


@given(plans)
def test_json_round_trip(plan: Plan) -> None:
    """What verify does: read the embedded JSON back and re-canonicalise it: same bytes."""
    once = canonical_bytes(plan)
    assert canonical_bytes(plan_from_json(json.loads(once))) == once
    assert plan_from_json(plan_to_json(plan)) == plan


# -- every change to a signed field changes the hash -----------------------------------------------


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


Mutation = Callable[[Plan, st.DataObject], Plan]


def _change_text(old: str, data: st.DataObject) -> str:
    new = data.draw(texts)
    assume(_nfc(new) != _nfc(old))
    return new


def _at(seq: tuple[object, ...], data: st.DataObject) -> int:
    assume(len(seq) > 0)
    return data.draw(st.integers(0, len(seq) - 1))


def _m_participant(field: str) -> Mutation:
    def mutate(plan: Plan, data: st.DataObject) -> Plan:
        i = _at(plan.participants, data)
        p = plan.participants[i]
        if field == "role":
            new = data.draw(st.sampled_from(["resident", "network", "professional"]))
            assume(new != p.role)
        else:
            new = _change_text(getattr(p, field), data)
        changed = replace(p, **{field: new})
        return replace(
            plan, participants=(*plan.participants[:i], changed, *plan.participants[i + 1 :])
        )

    return mutate


def _m_agreement(field: str) -> Mutation:
    def mutate(plan: Plan, data: st.DataObject) -> Plan:
        i = _at(plan.agreements, data)
        a = plan.agreements[i]
        if field == "due_date":
            new: object = a.due_date + timedelta(days=data.draw(st.integers(1, 400)))
        else:
            new = _change_text(getattr(a, field), data)
        changed = replace(a, **{field: new})
        return replace(plan, agreements=(*plan.agreements[:i], changed, *plan.agreements[i + 1 :]))

    return mutate


def _m_list(field: str) -> Mutation:
    def mutate(plan: Plan, data: st.DataObject) -> Plan:
        items: tuple[str, ...] = getattr(plan, field)
        how = data.draw(st.sampled_from(["add", "remove", "edit"]))
        if how == "add":
            return replace(plan, **{field: (*items, data.draw(texts))})
        i = _at(items, data)
        if how == "remove":
            return replace(plan, **{field: items[:i] + items[i + 1 :]})
        return replace(plan, **{field: (*items[:i], _change_text(items[i], data), *items[i + 1 :])})

    return mutate


def _m_health(plan: Plan, data: st.DataObject) -> Plan:
    if not plan.positive_health:
        return replace(
            plan, positive_health=(("participation", 5),) if plan.positive_health is None else None
        )
    i = _at(plan.positive_health, data)
    dim, score = plan.positive_health[i]
    new = data.draw(st.integers(0, 10).filter(lambda s: s != score))
    health = list(plan.positive_health)
    health[i] = (dim, new)
    return replace(plan, positive_health=tuple(health))


def _without(items: tuple[PlanParticipant, ...], i: int) -> tuple[PlanParticipant, ...]:
    return items[:i] + items[i + 1 :]


MUTATIONS: dict[str, Mutation] = {
    "case_id": lambda p, d: replace(p, case_id=p.case_id + "x"),
    "meeting_id": lambda p, d: replace(p, meeting_id=p.meeting_id + "x"),
    "version": lambda p, d: replace(p, version=p.version + d.draw(st.integers(1, 5))),
    "meeting_date": lambda p, d: replace(
        p, meeting_date=p.meeting_date + timedelta(days=d.draw(st.integers(1, 400)))
    ),
    "participant added": lambda p, d: replace(
        p, participants=(*p.participants, d.draw(participants))
    ),
    "participant removed": lambda p, d: replace(
        p, participants=_without(p.participants, _at(p.participants, d))
    ),
    **{
        f"participant {f}": _m_participant(f)
        for f in ("id", "name", "role", "relation", "organisation")
    },
    **{f"{f} list": _m_list(f) for f in ("wants", "strengths", "needs")},
    "agreement added": lambda p, d: replace(p, agreements=(*p.agreements, d.draw(agreements))),
    **{
        f"agreement {f}": _m_agreement(f)
        for f in ("id", "what", "owner_id", "owner_name", "due_date", "outside_norm_reason")
    },
    "positive health": _m_health,
}


@given(plans, st.sampled_from(sorted(MUTATIONS)), st.data())
def test_every_change_to_a_signed_field_changes_the_hash(
    plan: Plan, which: str, data: st.DataObject
) -> None:
    changed = MUTATIONS[which](plan, data)
    assert plan_hash(changed) != plan_hash(plan), which


def test_moving_an_item_between_lists_changes_the_hash() -> None:
    base = Plan("c", "m", 1, date(2026, 1, 1), (), ("a",), (), (), ())
    assert plan_hash(base) != plan_hash(replace(base, wants=(), strengths=("a",)))


# -- check code and the plan taken from a case file ------------------------------------------------


@given(st.binary(min_size=32, max_size=32))
def test_check_code_is_two_groups_of_five(digest: bytes) -> None:
    code = check_code(digest)
    assert len(code) == 11 and code[5] == "-"
    assert set(code.replace("-", "")) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_plan_from_case_file_takes_what_was_agreed_at_that_meeting() -> None:
    f = a_case_file(name="Şükrü Yılmaz-Öztürk")
    meeting = f.meetings[0]
    resident, daughter, nurse = f.participants
    meeting.present = [daughter.id]  # the resident is always in the plan: they chair
    f.agreements[0].status = AgreementStatus.DONE
    f.measurements.append(
        Measurement(
            case_id=f.case.id,
            moment=MeasurementMoment.MEETING,
            taken_on=meeting.held_on or date.today(),
            positive_health={"participation": 4, "bodily_functions": 6},
        )
    )
    plan = plan_from_case_file(f, meeting.id, version=3, organisation_names={"pantein": "Pantein"})
    assert [p.id for p in plan.participants] == [resident.id, daughter.id]
    assert plan.version == 3
    assert plan.wants == tuple(meeting.wants)
    assert {a.what for a in plan.agreements} == {a.what for a in f.agreements}
    assert plan.positive_health == (("bodily_functions", 6), ("participation", 4))
    owner_names = {a.owner_name for a in plan.agreements}
    assert owner_names == {daughter.name, nurse.name}

    before = plan_hash(plan)
    f.agreements[0].status = AgreementStatus.OPEN  # status is not part of the plan
    f.agreements[0].note = "a note"
    assert (
        plan_hash(
            plan_from_case_file(f, meeting.id, version=3, organisation_names={"pantein": "Pantein"})
        )
        == before
    )
    meeting.present = []  # nobody marked present: everyone of the case
    assert len(plan_from_case_file(f, meeting.id, version=3).participants) == 3
