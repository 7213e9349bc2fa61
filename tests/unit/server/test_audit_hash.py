"""``audit.row_hash`` (the write path's hash of a plain row) equals ``audit.content_hash`` (the
model's canonical form, which ``verify_chain`` recomputes) for every kind of value a row holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

from server import audit
from server.audit import Action, Actor, Result
from server.models.audit import AuditEventBase

_texts = st.one_of(st.none(), st.text(max_size=20))
_zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-9, minutes=-30))]
)
_times = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    _zones,
)


@settings(max_examples=300, deadline=None)
@given(
    action=st.sampled_from(list(Action)),
    outcome=st.sampled_from(list(Result)),
    authorisation=st.text(min_size=1, max_size=30),
    reason=_texts,
    role=_texts,
    entity=_texts,
    route=_texts,
    ids=st.lists(st.one_of(st.none(), st.uuids()), min_size=5, max_size=5),
    server_time=_times,
    device_time=st.one_of(st.none(), _times),
    previous=st.sampled_from([audit.GENESIS, "ab" * 32]),
)
@example(  # DEL is ASCII, but json.dumps escapes it and pydantic does not (found by Hypothesis)
    action=Action.CREATE,
    outcome=Result.SUCCESS,
    authorisation="\x7f",
    reason=None,
    role=None,
    entity=None,
    route=None,
    ids=[None] * 5,
    server_time=datetime(2026, 12, 3, tzinfo=UTC),
    device_time=None,
    previous=audit.GENESIS,
)
def test_row_hash_equals_the_models_content_hash(
    action: Action,
    outcome: Result,
    authorisation: str,
    reason: str | None,
    role: str | None,
    entity: str | None,
    route: str | None,
    ids: list[uuid.UUID | None],
    server_time: datetime,
    device_time: datetime | None,
    previous: str,
) -> None:
    account, device, organisation, case, record = ids
    actor = Actor(account_id=account, role=role, device_id=device, organisation_id=organisation)
    row = audit.event_row(
        actor,
        action=action,
        outcome=outcome,
        authorisation=authorisation,
        case_id=case,
        entity=entity,
        record_id=record,
        device_time=device_time,
        reason=reason,
        route=route,
        server_time=server_time,
    )
    # As verify_chain sees it: the row read back (datetimes in UTC) as the model.
    model = AuditEventBase.model_validate(row)
    assert audit.row_hash(previous, row) == audit.content_hash(previous, model)
    assert row["server_time"] == server_time and row["server_time"].utcoffset() == timedelta(0)
    if device_time is not None:
        assert row["device_time"] == device_time
        assert row["device_time"].utcoffset() == timedelta(0)
    # A row in another key order (as record() may pass) hashes the same.
    assert audit.row_hash(previous, dict(reversed(row.items()))) == audit.row_hash(previous, row)
