"""Sealing: round trips, binding to table/column/row, tamper detection, secrets that never print."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.crypto.sealing import (
    FORMAT_VERSION,
    KEY_ID_SIZE,
    NONCE_SIZE,
    TAG_SIZE,
    DataKey,
    Sealer,
    associated_data,
)
from models.errors import DamagedRecordError, LockedError

KEY = DataKey.generate()
SEALER = Sealer(KEY)
WHERE = {"table": "residents", "column": "name", "row_id": "3f1c9a0e-0000-4000-8000-000000000001"}

names = st.text(max_size=40)
location = st.fixed_dictionaries({"table": names, "column": names, "row_id": names})


def test_blob_layout() -> None:
    blob = SEALER.seal(b"Jansen", **WHERE)
    assert blob[0] == FORMAT_VERSION
    assert blob[1 : 1 + KEY_ID_SIZE] == KEY.key_id
    assert len(blob) == 1 + KEY_ID_SIZE + NONCE_SIZE + len(b"Jansen") + TAG_SIZE
    assert b"Jansen" not in blob


@given(plaintext=st.binary(max_size=2000), where=location)
def test_bytes_round_trip(plaintext: bytes, where: dict[str, str]) -> None:
    assert SEALER.open(SEALER.seal(plaintext, **where), **where) == plaintext


@given(text=st.text(), where=location)
def test_text_round_trip(text: str, where: dict[str, str]) -> None:
    assert SEALER.open_text(SEALER.seal_text(text, **where), **where) == text


def test_text_round_trip_diacritics_and_emoji() -> None:
    text = "Ëlif Çelik-Dîjkstra 👵🏽 zegt: \u2018liever thuis\u2019"
    assert SEALER.open_text(SEALER.seal_text(text, **WHERE), **WHERE) == text


def test_none_stays_none_and_empty_is_sealed() -> None:
    assert SEALER.seal_text(None, **WHERE) is None
    assert SEALER.open_text(None, **WHERE) is None
    assert SEALER.seal_json(None, **WHERE) is None
    assert SEALER.open_json(None, **WHERE) is None
    empty = SEALER.seal_text("", **WHERE)
    assert empty is not None
    assert SEALER.open_text(empty, **WHERE) == ""


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
).filter(lambda value: value is not None)


@given(value=json_values)
def test_json_round_trip(value: object) -> None:
    assert SEALER.open_json(SEALER.seal_json(value, **WHERE), **WHERE) == value


def test_json_is_compact_utf8() -> None:
    # Sealed size shows the encoding: compact separators and "é" as 2 UTF-8 bytes, not "\\u00e9".
    blob = SEALER.seal_json({"a": ["é", 1]}, **WHERE)
    assert blob is not None
    assert len(blob) - (1 + KEY_ID_SIZE + NONCE_SIZE + TAG_SIZE) == len('{"a":["é",1]}'.encode())


def test_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        SEALER.seal_json({"score": float("nan")}, **WHERE)


def test_two_seals_of_the_same_value_differ() -> None:
    first, second = SEALER.seal(b"same", **WHERE), SEALER.seal(b"same", **WHERE)
    assert first != second
    assert (
        first[1 + KEY_ID_SIZE : 1 + KEY_ID_SIZE + NONCE_SIZE]
        != (second[1 + KEY_ID_SIZE : 1 + KEY_ID_SIZE + NONCE_SIZE])
    )


@pytest.mark.parametrize(
    "elsewhere",
    [
        {**WHERE, "row_id": "3f1c9a0e-0000-4000-8000-000000000002"},
        {**WHERE, "column": "address"},
        {**WHERE, "table": "contacts"},
    ],
    ids=["other row", "other column", "other table"],
)
def test_blob_moved_elsewhere_fails_naming_the_record(elsewhere: dict[str, str]) -> None:
    blob = SEALER.seal(b"Jansen", **WHERE)
    with pytest.raises(DamagedRecordError) as caught:
        SEALER.open(blob, **elsewhere)
    assert (caught.value.table, caught.value.record_id, caught.value.column) == (
        elsewhere["table"],
        elsewhere["row_id"],
        elsewhere["column"],
    )
    assert elsewhere["row_id"] in str(caught.value)
    assert "Jansen" not in str(caught.value)


@given(a=location, b=location)
def test_any_other_location_fails(a: dict[str, str], b: dict[str, str]) -> None:
    blob = SEALER.seal(b"x", **a)
    if a == b:
        assert SEALER.open(blob, **b) == b"x"
    else:
        with pytest.raises(DamagedRecordError):
            SEALER.open(blob, **b)


def test_associated_data_is_unambiguous() -> None:
    # A naive "table|column|row" join would make these two equal.
    first = associated_data(key_id=KEY.key_id, table="a|b", column="c", row_id="d")
    second = associated_data(key_id=KEY.key_id, table="a", column="b|c", row_id="d")
    assert first != second
    blob = SEALER.seal(b"x", table="a|b", column="c", row_id="d")
    with pytest.raises(DamagedRecordError):
        SEALER.open(blob, table="a", column="b|c", row_id="d")


SAMPLE_BLOB = SEALER.seal(b"Mevrouw de Vries, Dorpsstraat 1", **WHERE)


@given(bit=st.integers(min_value=0, max_value=len(SAMPLE_BLOB) * 8 - 1))
def test_every_flipped_bit_fails(bit: int) -> None:
    tampered = bytearray(SAMPLE_BLOB)
    tampered[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DamagedRecordError):
        SEALER.open(bytes(tampered), **WHERE)


def test_untampered_sample_opens() -> None:
    # The control for the bit-flip test: without a flip the same blob opens.
    assert SEALER.open(SAMPLE_BLOB, **WHERE) == b"Mevrouw de Vries, Dorpsstraat 1"


def test_unknown_key_id_fails() -> None:
    blob = Sealer(DataKey.generate()).seal(b"x", **WHERE)
    with pytest.raises(DamagedRecordError):
        SEALER.open(blob, **WHERE)


def test_unknown_version_fails() -> None:
    blob = SEALER.seal(b"x", **WHERE)
    with pytest.raises(DamagedRecordError):
        SEALER.open(bytes([FORMAT_VERSION + 1]) + blob[1:], **WHERE)


@given(cut=st.integers(min_value=0, max_value=len(SAMPLE_BLOB) - 1))
def test_truncated_fails(cut: int) -> None:
    with pytest.raises(DamagedRecordError):
        SEALER.open(SAMPLE_BLOB[:cut], **WHERE)


def test_appended_bytes_fail() -> None:
    with pytest.raises(DamagedRecordError):
        SEALER.open(SAMPLE_BLOB + b"\x00", **WHERE)


def test_bytes_sealed_as_text_that_are_not_utf8_fail_cleanly() -> None:
    blob = SEALER.seal(b"\xff\xfe", **WHERE)
    with pytest.raises(DamagedRecordError):
        SEALER.open_text(blob, **WHERE)
    with pytest.raises(DamagedRecordError):
        SEALER.open_json(SEALER.seal(b"{not json", **WHERE), **WHERE)


def test_rotation_old_values_open_new_values_use_current_key() -> None:
    old, new = DataKey.generate(), DataKey.generate()
    old_blob = Sealer(old).seal(b"old", **WHERE)
    both = Sealer({old.key_id: old, new.key_id: new}, current=new.key_id)
    assert both.key_ids == {old.key_id, new.key_id}
    assert both.current_key_id == new.key_id
    assert both.open(old_blob, **WHERE) == b"old"
    assert both.seal(b"new", **WHERE)[1 : 1 + KEY_ID_SIZE] == new.key_id


def test_constructor_refuses_inconsistent_keys() -> None:
    one, two = DataKey.generate(), DataKey.generate()
    with pytest.raises(ValueError):
        Sealer({one.key_id: one, two.key_id: two})  # which one is current?
    with pytest.raises(ValueError):
        Sealer({one.key_id: two})
    with pytest.raises(ValueError):
        Sealer(one, current=two.key_id)


def test_data_key_validates_sizes() -> None:
    with pytest.raises(ValueError):
        DataKey(key_id=b"short", secret=bytes(32))
    with pytest.raises(ValueError):
        DataKey(key_id=bytes(16), secret=bytes(31))


def test_generated_keys_differ() -> None:
    assert DataKey.generate() != DataKey.generate()
    assert DataKey(KEY.key_id, KEY.secret) == KEY


def _secret_forms(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), repr(secret), str(secret), secret.decode("latin-1")]


@given(
    secret=st.binary(min_size=32, max_size=32),
    key_id=st.binary(min_size=KEY_ID_SIZE, max_size=KEY_ID_SIZE),
)
def test_reprs_never_show_the_secret(secret: bytes, key_id: bytes) -> None:
    key = DataKey(key_id=key_id, secret=secret)
    sealer = Sealer(key)
    shown = [repr(key), str(key), f"{key}", repr(sealer), str(sealer), repr([key]), repr({1: key})]
    for text in shown:
        for form in _secret_forms(secret):
            assert form not in text
    assert key_id.hex() in repr(key)


def test_wipe_forgets_keys() -> None:
    key = DataKey.generate()
    sealer = Sealer(key)
    blob = sealer.seal(b"x", **WHERE)
    sealer.wipe()
    assert sealer.wiped
    assert sealer.key_ids == frozenset()
    with pytest.raises(LockedError):
        sealer.seal(b"x", **WHERE)
    with pytest.raises(LockedError):
        sealer.open(blob, **WHERE)
    with pytest.raises(LockedError):
        _ = sealer.current_key_id


def test_sealing_many_values_is_cheap() -> None:
    # Guard against rebuilding AESGCM per value: 20 000 seals + opens should take well under 2 s.
    import time

    start = time.perf_counter()
    for i in range(20_000):
        row = str(i)
        SEALER.open(
            SEALER.seal(b"Jansen", table="t", column="c", row_id=row),
            table="t",
            column="c",
            row_id=row,
        )
    assert time.perf_counter() - start < 2.0


# -- many values of one column at once (the overdue report) ------------------------------------


def _name_blob(row_id: str, text: str, sealer: Sealer = SEALER) -> bytes:
    blob = sealer.seal_text(text, table="residents", column="name", row_id=row_id)
    assert blob is not None
    return blob


def _open_all(
    pairs: list[tuple[str, bytes | None]], sealer: Sealer = SEALER, column: str = "name"
) -> list[str | None]:
    return sealer.open_texts(
        [row_id for row_id, _ in pairs],
        [blob for _, blob in pairs],
        table="residents",
        column=column,
    )


@given(st.lists(st.tuples(st.uuids().map(str), st.text()), max_size=20))
def test_open_texts_gives_what_open_text_gives_in_order(names: list[tuple[str, str]]) -> None:
    pairs: list[tuple[str, bytes | None]] = [(i, _name_blob(i, text)) for i, text in names]
    assert _open_all(pairs) == [text for _, text in names]


def test_open_texts_opens_a_row_named_twice_each_time() -> None:
    row = "3f1c9a0e-0000-4000-8000-000000000020"
    blob = _name_blob(row, "Noor Öztürk")
    assert _open_all([(row, blob), (row, blob)]) == ["Noor Öztürk", "Noor Öztürk"]


def test_open_texts_marks_damaged_values_and_goes_on() -> None:
    good, flipped, moved, foreign = (f"3f1c9a0e-0000-4000-8000-00000000000{i}" for i in range(4))
    flipped_blob = bytearray(_name_blob(flipped, "Anouk van den Berg"))
    flipped_blob[-1] ^= 0x01
    other_key = Sealer(DataKey.generate())
    opened = _open_all(
        [
            (good, _name_blob(good, "Şükrü Yılmaz")),
            (flipped, bytes(flipped_blob)),
            (moved, _name_blob(good, "Anouk van den Berg")),  # another row's ciphertext
            (foreign, _name_blob(foreign, "Fatima el Amrani", other_key)),  # unknown key id
            ("empty", None),
            (good, b"not a sealed value"),
        ]
    )
    assert opened == ["Şükrü Yılmaz", None, None, None, "", None]


def test_open_texts_checks_the_column() -> None:
    row = WHERE["row_id"]
    assert _open_all([(row, _name_blob(row, "Daan de Vries"))], column="address") == [None]


def test_open_texts_needs_one_row_id_per_value() -> None:
    row = WHERE["row_id"]
    with pytest.raises(ValueError, match="one row id per value"):
        SEALER.open_texts([row, row], [_name_blob(row, "Daan")], table="residents", column="name")


def test_open_texts_refuses_when_locked() -> None:
    sealer = Sealer(DataKey.generate())
    sealer.wipe()
    with pytest.raises(LockedError):
        sealer.open_texts([], [], table="residents", column="name")


def test_open_texts_takes_any_bytes_like_and_every_key_of_a_rotation() -> None:
    old_key, new_key = DataKey.generate(), DataKey.generate()
    rotating = Sealer({old_key.key_id: old_key, new_key.key_id: new_key}, current=new_key.key_id)
    ids = [f"3f1c9a0e-0000-4000-8000-00000000001{i}" for i in range(7)]
    short = _name_blob(ids[5], "Kort")[:20]  # header complete, tag cut off
    wrong_version = b"\x02" + _name_blob(ids[6], "Versie", rotating)[1:]
    opened = _open_all(
        [
            (ids[0], _name_blob(ids[0], "Oud Sleutel", Sealer(old_key))),
            (ids[1], _name_blob(ids[1], "Nieuw Sleutel", rotating)),
            (ids[2], memoryview(_name_blob(ids[2], "Geheugen Zicht", rotating))),  # type: ignore[list-item]
            (ids[3], bytearray(_name_blob(ids[3], "Byte Rij", rotating))),  # type: ignore[list-item]
            (ids[4], b""),
            (ids[5], short),
            (ids[6], wrong_version),
        ],
        sealer=rotating,
    )
    assert opened == [
        "Oud Sleutel",
        "Nieuw Sleutel",
        "Geheugen Zicht",
        "Byte Rij",
        None,
        None,
        None,
    ]


@given(
    texts=st.dictionaries(st.uuids().map(str), st.text(max_size=30), min_size=1, max_size=12),
    damage=st.sampled_from(["none", "flip", "move", "empty", "other key", "short id"]),
    where=st.integers(min_value=0),
)
def test_open_texts_agrees_with_open_text_whatever_the_damage(
    texts: dict[str, str], damage: str, where: int
) -> None:
    """The all-at-once path (every value good, one key, one id length) and the one-by-one path
    give what ``open_text`` gives value by value; one bad value leaves the others opened."""
    pairs: list[tuple[str, bytes | None]] = [(i, _name_blob(i, t)) for i, t in texts.items()]
    index = where % len(pairs)
    row_id, blob = pairs[index]
    assert blob is not None
    if damage == "flip":
        pairs[index] = (row_id, blob[:-1] + bytes([blob[-1] ^ 1]))
    elif damage == "move":
        pairs[index] = (row_id, _name_blob("another row", "Sanne Bakker"))
    elif damage == "empty":
        pairs[index] = (row_id, None)
    elif damage == "other key":
        pairs[index] = (row_id, _name_blob(row_id, "Sanne Bakker", Sealer(DataKey.generate())))
    elif damage == "short id":
        pairs.append(("kort", _name_blob("kort", "Sanne Bakker")))

    def one(row_id: str, blob: bytes | None) -> str | None:
        try:
            return SEALER.open_text(blob, table="residents", column="name", row_id=row_id) or ""
        except DamagedRecordError:
            return None

    expected = [one(row_id, blob) for row_id, blob in pairs]
    assert _open_all(pairs) == expected
    if damage == "none":
        assert expected == list(texts.values())
