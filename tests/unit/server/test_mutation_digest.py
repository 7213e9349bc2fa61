"""``sync_push.mutation_digest`` (the push's digest, without ``model_dump``) equals
``Mutation.digest()``, which the server has stored for every applied mutation: a resend after an
upgrade must still count as the same mutation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.sync_push import mutation_digest
from sync.protocol import Entity, Mutation, Op, PushRequest

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and the infinities too
    st.text(),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    fields=st.dictionaries(st.text(), _values, max_size=6),
    entity=st.sampled_from(list(Entity)),
    op=st.sampled_from(list(Op)),
    base_seq=st.one_of(st.none(), st.integers(min_value=0, max_value=2**63 - 1)),
    device_seq=st.one_of(st.none(), st.integers(min_value=1, max_value=2**63 - 1)),
)
def test_the_push_digest_is_the_protocols(
    fields: dict[str, Any], entity: Entity, op: Op, base_seq: int | None, device_seq: int | None
) -> None:
    mutation = Mutation.model_validate(
        {
            "mutation_id": uuid.uuid4(),
            "entity": entity,
            "record_id": uuid.uuid4(),
            "case_id": uuid.uuid4(),
            "op": op,
            "fields": fields,
            "base_seq": base_seq,
            "device_time": datetime.now(UTC),
            "device_seq": device_seq,
        }
    )
    assert mutation_digest(mutation) == mutation.digest()


def test_as_parsed_from_a_push_body() -> None:
    fields = (
        '{"name": "Ëlst \\u00e9 \\ud83d\\ude00", "b": [1.5, 1e16, -0.0, 10000000000000000000000],'
        ' "a": {"z": null, "y": "\\u0001\\"\\\\"}}'
    )
    ids = [str(uuid.uuid4()) for _ in range(4)]
    body = (
        f'{{"device_id": "{ids[0]}", "mutations": [{{"mutation_id": "{ids[1]}",'
        f' "entity": "resident", "record_id": "{ids[2]}", "case_id": "{ids[3]}", "op": "upsert",'
        f' "base_seq": 3, "device_time": "2026-03-01T09:30:00+01:00", "fields": {fields}}}]}}'
    )
    mutation = PushRequest.model_validate_json(body).mutations[0]
    assert mutation.fields["a"] == {"z": None, "y": '\x01"\\'}
    assert mutation_digest(mutation) == mutation.digest()
