"""``sync_push.superseded``: per field, the newest value from the same device wins (issue #5).

Plain values, no database: the push applies what this leaves over (see the integration tests in
tests/integration/server/test_batches_reordered.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from server.sync_push import _Record, superseded
from sync.protocol import Entity, Mutation, Op

ME, OTHER = uuid.UUID(int=1), uuid.UUID(int=2)
RECORD = uuid.UUID(int=7)


def _record(
    fields: dict[str, Any],
    last_change: dict[str, Any],
    *,
    deleted: tuple[uuid.UUID, int | None] | None = None,
) -> _Record:
    return _Record(
        Entity.AGREEMENT.value,
        RECORD,
        RECORD,
        {} if deleted else fields,
        last_change,
        40 if deleted else None,
        deleted[0] if deleted else None,
        deleted[1] if deleted else None,
        40,
        stored=True,
    )


def _mutation(device_seq: int | None, op: Op = Op.UPSERT, **fields: Any) -> Mutation:
    return Mutation(
        mutation_id=uuid.uuid4(),
        entity=Entity.AGREEMENT,
        record_id=RECORD,
        case_id=RECORD,
        op=op,
        fields=fields,
        base_seq=30,
        device_time=datetime(2026, 11, 26, tzinfo=UTC),
        device_seq=device_seq,
    )


FIELDS = {"what": "Post ordenen", "due": "2026-12-01"}
MINE_AT_5 = {"what": [39, str(ME), 5], "due": [38, str(ME), 2]}


def test_a_field_my_newer_mutation_wrote_is_kept_the_others_apply() -> None:
    result = superseded(_record(FIELDS, MINE_AT_5), _mutation(3, what="x", due="y"), str(ME))
    assert result == (False, frozenset({"what"}))


def test_all_fields_newer_makes_the_whole_mutation_superseded() -> None:
    result = superseded(_record(FIELDS, MINE_AT_5), _mutation(1, what="x", due="y"), str(ME))
    assert result == (True, frozenset({"what", "due"}))


def test_an_equal_or_higher_number_applies() -> None:
    record = _record(FIELDS, MINE_AT_5)
    assert superseded(record, _mutation(5, what="x"), str(ME)) == (False, frozenset())
    assert superseded(record, _mutation(6, what="x", due="y"), str(ME)) == (False, frozenset())


def test_another_device_s_numbers_are_not_compared() -> None:
    """Its edits keep the conflict rules (base_seq), whatever the numbers."""
    record = _record(FIELDS, MINE_AT_5)
    assert superseded(record, _mutation(1, what="x"), str(OTHER)) == (False, frozenset())
    theirs = {"what": [39, str(OTHER), 900]}
    assert superseded(_record(FIELDS, theirs), _mutation(1, what="x"), str(ME)) == (
        False,
        frozenset(),
    )


def test_unnumbered_mutations_and_marks_keep_the_order_of_arrival() -> None:
    assert superseded(_record(FIELDS, MINE_AT_5), _mutation(None, what="x"), str(ME)) == (
        False,
        frozenset(),
    )
    old_marks = {"what": [39, str(ME)], "due": [38, str(ME)]}
    assert superseded(_record(FIELDS, old_marks), _mutation(1, what="x"), str(ME)) == (
        False,
        frozenset(),
    )


def test_a_mark_of_a_field_the_record_no_longer_has_does_not_count() -> None:
    """Marks outlive a deletion; a field the record was made again without is not held."""
    record = _record({"due": "2026-12-01"}, MINE_AT_5)
    assert superseded(record, _mutation(3, what="x"), str(ME)) == (False, frozenset())


def test_my_newer_deletion_supersedes_my_older_edit() -> None:
    deleted = _record({}, MINE_AT_5, deleted=(ME, 8))
    assert superseded(deleted, _mutation(7, what="x"), str(ME))[0] is True
    assert superseded(deleted, _mutation(7, Op.DELETE), str(ME))[0] is True
    assert superseded(deleted, _mutation(9, what="x"), str(ME))[0] is False  # made again later


def test_a_deletion_by_another_device_or_unnumbered_is_left_to_the_conflict_rules() -> None:
    assert superseded(_record({}, {}, deleted=(OTHER, 8)), _mutation(7, what="x"), str(ME)) == (
        False,
        frozenset(),
    )
    assert superseded(_record({}, {}, deleted=(ME, None)), _mutation(7, what="x"), str(ME)) == (
        False,
        frozenset(),
    )


def test_my_older_deletion_after_my_newer_edit_is_superseded() -> None:
    """The device made the record again after deleting it: the newer edit stands."""
    record = _record(FIELDS, MINE_AT_5)
    assert superseded(record, _mutation(4, Op.DELETE), str(ME)) == (True, frozenset())
    assert superseded(record, _mutation(5, Op.DELETE), str(ME)) == (False, frozenset())


def test_an_upsert_without_fields_is_never_superseded() -> None:
    assert superseded(_record(FIELDS, MINE_AT_5), _mutation(1), str(ME)) == (False, frozenset())
