"""Key wrapping: only the right passphrase, device secret, mode and store open the envelope."""

from __future__ import annotations

import os

import pytest

from models.crypto.kdf import KdfParams, derive
from models.crypto.keywrap import check_passphrase, combine, unwrap, wrap
from models.crypto.sealing import KEY_ID_SIZE, DataKey
from models.errors import ValidationError, WrongPassphraseError

PARAMS = KdfParams(
    algorithm="argon2id", salt=bytes(16), memory_kib=19 * 1024, iterations=2, lanes=1
)
STORE = "store-7d0c"
DEVICE_SECRET = bytes(range(32))
PASSPHRASE_KEY = derive("4821", PARAMS)


def test_right_passphrase_and_device_secret_unwrap() -> None:
    data_key = DataKey.generate()
    wrapped = wrap(combine(PASSPHRASE_KEY, DEVICE_SECRET), data_key, store_id=STORE)
    assert data_key.secret not in wrapped
    again = combine(derive("4821", PARAMS), DEVICE_SECRET)
    assert unwrap(again, wrapped, store_id=STORE) == data_key


def test_passphrase_only_round_trip() -> None:
    data_key = DataKey.generate()
    kek = combine(derive("een lange zin voor de tafel", PARAMS), None)
    assert unwrap(kek, wrap(kek, data_key, store_id=STORE), store_id=STORE) == data_key


def test_two_wraps_differ() -> None:
    kek = combine(PASSPHRASE_KEY, DEVICE_SECRET)
    data_key = DataKey.generate()
    assert wrap(kek, data_key, store_id=STORE) != wrap(kek, data_key, store_id=STORE)


WRAPPED = wrap(combine(PASSPHRASE_KEY, DEVICE_SECRET), DataKey.generate(), store_id=STORE)


@pytest.mark.parametrize(
    ("kek", "store_id"),
    [
        (combine(derive("4822", PARAMS), DEVICE_SECRET), STORE),
        (combine(PASSPHRASE_KEY, os.urandom(32)), STORE),
        (combine(PASSPHRASE_KEY, None), STORE),
        (combine(PASSPHRASE_KEY, DEVICE_SECRET), "store-other"),
        (PASSPHRASE_KEY, STORE),  # the passphrase key itself, not combined
    ],
    ids=["wrong passphrase", "wrong device secret", "mode confusion", "other store", "raw key"],
)
def test_anything_else_is_a_wrong_passphrase(kek: bytes, store_id: str) -> None:
    with pytest.raises(WrongPassphraseError):
        unwrap(kek, WRAPPED, store_id=store_id)


def test_mode_confusion_the_other_way() -> None:
    passphrase_only = wrap(combine(PASSPHRASE_KEY, None), DataKey.generate(), store_id=STORE)
    with pytest.raises(WrongPassphraseError):
        unwrap(combine(PASSPHRASE_KEY, DEVICE_SECRET), passphrase_only, store_id=STORE)


def test_modes_give_different_keks() -> None:
    # Even a device secret of all zeros must not reduce to the passphrase-only KEK.
    assert combine(PASSPHRASE_KEY, None) != combine(PASSPHRASE_KEY, bytes(32))


def test_damaged_or_relabelled_envelope_is_refused() -> None:
    kek = combine(PASSPHRASE_KEY, DEVICE_SECRET)
    relabelled = WRAPPED[:1] + os.urandom(16) + WRAPPED[17:]
    for bad in (WRAPPED[:-1], WRAPPED + b"\0", bytes([2]) + WRAPPED[1:], relabelled, b""):
        with pytest.raises(WrongPassphraseError):
            unwrap(kek, bad, store_id=STORE)
    assert unwrap(kek, WRAPPED, store_id=STORE).key_id == WRAPPED[1 : 1 + KEY_ID_SIZE]


def test_combine_refuses_wrong_sizes() -> None:
    with pytest.raises(ValueError):
        combine(b"short", None)
    with pytest.raises(ValueError):
        combine(PASSPHRASE_KEY, b"short")


@pytest.mark.parametrize(
    "passphrase",
    ["1234", "123456", "123456789012", "acht tek", "wachtwoord", "Zoë café", "1234567890123"],
)
def test_with_device_secret_a_pin_or_8_characters_will_do(passphrase: str) -> None:
    check_passphrase(passphrase, has_device_secret=True)


@pytest.mark.parametrize("passphrase", ["", "123", "12a4", "korter!", "        ", "١٢٣٤"])
def test_with_device_secret_too_short_is_refused(passphrase: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_passphrase(passphrase, has_device_secret=True)
    assert caught.value.for_field("passphrase")


@pytest.mark.parametrize(
    "passphrase", ["koffie en koek", "correcthorse", "1234 5678 90ab", "Zoë's café 12"]
)
def test_without_device_secret_a_long_passphrase_will_do(passphrase: str) -> None:
    check_passphrase(passphrase, has_device_secret=False)


@pytest.mark.parametrize(
    "passphrase",
    [
        "1234",
        "123456789012",
        "12345678901234567890",  # long, but digits only
        "wachtwoord",  # 10 characters
        "kort genoeg",  # 11 characters
        "            ",
    ],
)
def test_without_device_secret_pins_and_short_passphrases_are_refused(passphrase: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_passphrase(passphrase, has_device_secret=False)
    message = caught.value.for_field("passphrase")
    assert message and "12" in message


def test_characters_are_counted_after_nfc() -> None:
    # 12 code points as typed decomposed, 10 once composed: too short without a device secret.
    decomposed = "Zoe\u0308 cafe\u0301s!"
    assert len(decomposed) == 12
    with pytest.raises(ValidationError):
        check_passphrase(decomposed, has_device_secret=False)
