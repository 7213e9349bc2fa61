"""Signatures: the device key, sign/verify, and frozen plan versions in the store."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from models import signing
from models.domain import CaseFile
from models.errors import DamagedRecordError
from models.plan import plan_from_case_file, plan_hash
from models.profile import Profile, save_profile
from models.signing import (
    PLAN_SIGNATURES,
    AlreadySignedError,
    DeviceKey,
    NotAParticipantError,
    ResidentSignsFirstError,
    SignatureImageError,
    SignatureProblem,
    SignatureRecord,
    Witness,
    make_signature,
    signature_problems,
    verify_signature,
)
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file
from tests.support.signatures import signature_png

WITNESS = Witness(
    name="Daan Verhoeven", organisation="Wijkteam Ruwaard", role="wijkverpleegkundige"
)


def _key() -> DeviceKey:
    private = Ed25519PrivateKey.generate()
    return DeviceKey("device-1", private.public_key().public_bytes_raw(), private)


def _flip(data: bytes, at: int = 0) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.fixture
def signed() -> tuple[DeviceKey, bytes, bytes, SignatureRecord]:
    f = a_case_file(name="Şükrü Yılmaz-Öztürk")
    plan = plan_from_case_file(f, f.meetings[0].id, version=1)
    key = _key()
    png = signature_png(1)
    record = make_signature(
        key, plan, signer_id=f.participants[0].id, image=png, signed_at=NOW, witness=WITNESS
    )
    return key, plan_hash(plan), png, record


# -- sign and verify, no store ---------------------------------------------------------------------


def test_round_trip(signed: tuple[DeviceKey, bytes, bytes, SignatureRecord]) -> None:
    key, digest, png, record = signed
    assert verify_signature(record, digest, png, key.public_key)
    assert record.signer_name == "Şükrü Yılmaz-Öztürk" and record.role == "resident"
    assert record.signed_at.utcoffset() == timedelta(0)
    assert record.image_sha256 == hashlib.sha256(png).digest()
    assert SignatureRecord.from_json(record.to_json()) == record


@pytest.mark.parametrize("at", [0, 15, 31])
def test_a_flipped_byte_in_the_plan_hash_fails(
    signed: tuple[DeviceKey, bytes, bytes, SignatureRecord], at: int
) -> None:
    key, digest, png, record = signed
    assert signature_problems(record, _flip(digest, at), png, key.public_key) == (
        SignatureProblem.PLAN_CHANGED,
    )


@pytest.mark.parametrize("at", [0, 100, -1])
def test_a_flipped_byte_in_the_image_fails(
    signed: tuple[DeviceKey, bytes, bytes, SignatureRecord], at: int
) -> None:
    key, digest, png, record = signed
    assert signature_problems(record, digest, _flip(png, at % len(png)), key.public_key) == (
        SignatureProblem.IMAGE_CHANGED,
    )


@pytest.mark.parametrize("at", [0, 31, 63])
def test_a_flipped_byte_in_the_signature_fails(
    signed: tuple[DeviceKey, bytes, bytes, SignatureRecord], at: int
) -> None:
    key, digest, png, record = signed
    forged = replace(record, signature=_flip(record.signature, at))
    assert signature_problems(forged, digest, png, key.public_key) == (
        SignatureProblem.BAD_SIGNATURE,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"signer_name": "Iemand Anders"},
        {"signer_id": "someone-else"},
        {"role": "professional"},
        {"signed_at": NOW + timedelta(seconds=1)},
        {"device_id": "device-2"},
        {"plan_version": 2},
        {"case_id": "another-case"},
        {"witness": replace(WITNESS, name="Iemand Anders")},
        {"witness": replace(WITNESS, organisation="Andere Organisatie")},
        {"witness": replace(WITNESS, role="huisarts")},
        {"witness": None},  # dropping the witness does not turn it into a valid format-1 record
    ],
)
def test_every_field_of_the_record_is_covered(
    signed: tuple[DeviceKey, bytes, bytes, SignatureRecord], change: dict[str, object]
) -> None:
    key, digest, png, record = signed
    assert not verify_signature(replace(record, **change), digest, png, key.public_key)


def test_a_record_without_a_witness_keeps_format_1_and_verifies() -> None:
    """Signatures made before witnesses were recorded still hold, in their own canonical form."""
    f = a_case_file()
    plan = plan_from_case_file(f, f.meetings[0].id, version=1)
    key, png = _key(), signature_png(1)
    old = make_signature(
        key, plan, signer_id=f.participants[0].id, image=png, signed_at=NOW, witness=None
    )
    assert old.to_json()["format"] == "keukentafel-signature/1" and "witness" not in old.to_json()
    assert verify_signature(old, plan_hash(plan), png, key.public_key)
    assert SignatureRecord.from_json(old.to_json()) == old


def test_the_witness_travels_in_the_json(
    signed: tuple[DeviceKey, bytes, bytes, SignatureRecord],
) -> None:
    _, _, _, record = signed
    data = record.to_json()
    assert data["format"] == "keukentafel-signature/2"
    assert data["witness"] == {
        "name": "Daan Verhoeven",
        "organisation": "Wijkteam Ruwaard",
        "role": "wijkverpleegkundige",
    }
    for broken in (
        {**data, "witness": {"name": "Daan Verhoeven"}},
        {**data, "witness": "Daan Verhoeven"},
        {k: v for k, v in data.items() if k != "witness"},
        {**data, "format": "keukentafel-signature/1"},  # format 1 carries no witness
    ):
        with pytest.raises(ValueError):
            SignatureRecord.from_json(broken)
    assert "Daan" not in repr(record.witness)


def test_another_device_key_fails(signed: tuple[DeviceKey, bytes, bytes, SignatureRecord]) -> None:
    _, digest, png, record = signed
    assert signature_problems(record, digest, png, _key().public_key) == (
        SignatureProblem.BAD_SIGNATURE,
    )
    assert signature_problems(record, digest, png, b"short") == (SignatureProblem.BAD_KEY,)


def test_the_name_is_signed_in_nfc(signed: tuple[DeviceKey, bytes, bytes, SignatureRecord]) -> None:
    key, digest, png, record = signed
    nfd = replace(record, signer_name=unicodedata.normalize("NFD", record.signer_name))
    assert nfd.signer_name != record.signer_name
    assert verify_signature(nfd, digest, png, key.public_key)


def test_refuses_what_cannot_be_signed() -> None:
    f = a_case_file()
    plan = plan_from_case_file(f, f.meetings[0].id, version=1)
    resident = f.participants[0].id
    with pytest.raises(SignatureImageError):
        make_signature(
            _key(), plan, signer_id=resident, image=b"GIF89a", signed_at=NOW, witness=WITNESS
        )
    with pytest.raises(NotAParticipantError):
        make_signature(
            _key(),
            plan,
            signer_id="stranger",
            image=signature_png(1),
            signed_at=NOW,
            witness=WITNESS,
        )
    with pytest.raises(ValueError):
        make_signature(
            _key(),
            plan,
            signer_id=resident,
            image=signature_png(1),
            signed_at=NOW.replace(tzinfo=None),
            witness=WITNESS,
        )


def test_the_private_key_never_shows() -> None:
    key = _key()
    secret = key._private.private_bytes_raw()
    assert "_private" not in repr(key) and secret.hex() not in repr(key)


# -- frozen versions in the store ------------------------------------------------------------------


def _sign(store: CaseStore, f: CaseFile, who: int, minute: int = 0) -> SignatureRecord:
    return signing.sign_plan(
        store,
        f.case.id,
        f.meetings[0].id,
        signer_id=f.participants[who].id,
        image=signature_png(who),
        now=NOW + timedelta(minutes=minute),
    )


def test_the_resident_signs_first_then_the_others(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    with pytest.raises(ResidentSignsFirstError):
        _sign(store, f, 1)
    assert signing.signed_versions(store, f.meetings[0].id) == []  # nothing frozen by a refusal

    _sign(store, f, 0)
    _sign(store, f, 2, minute=1)
    with pytest.raises(AlreadySignedError):
        _sign(store, f, 0, minute=2)
    status = signing.plan_status(store, f.case.id, f.meetings[0].id)
    assert status.current_version == 1 and status.signed_version == 1 and status.is_signed
    assert not status.changed_since_signed
    assert [s.participant_id for s in status.signers] == [
        f.participants[0].id,
        f.participants[2].id,
    ]
    assert status.waiting_for == (f.participants[1].id,)


def test_a_change_after_signing_makes_a_new_version(store: CaseStore) -> None:
    f = a_case_file()
    meeting = f.meetings[0]
    store.add_case_files([f], today=TODAY, now=NOW)
    first = _sign(store, f, 0)
    _sign(store, f, 1, minute=1)

    meeting.wants = [*meeting.wants, "Ik wil weer fietsen."]
    store.save_meeting(meeting)
    status = signing.plan_status(store, f.case.id, meeting.id)
    assert status.current_version == 2 and status.signed_version == 1
    assert status.changed_since_signed and not status.is_signed
    assert status.current_hash != first.plan_hash

    with pytest.raises(ResidentSignsFirstError):  # a new version: the resident first again
        _sign(store, f, 1, minute=2)
    second = _sign(store, f, 0, minute=3)
    assert second.plan_version == 2

    old = signing.signed_plan(store, meeting.id, version=1)
    new = signing.signed_plan(store, meeting.id)
    assert "Ik wil weer fietsen." not in old.plan.wants and "Ik wil weer fietsen." in new.plan.wants
    assert len(old.signatures) == 2 and len(new.signatures) == 1
    assert old.plan_hash == first.plan_hash
    assert signing.signed_versions(store, meeting.id) == [1, 2]
    status = signing.plan_status(store, f.case.id, meeting.id)
    assert status.current_version == 2 and status.is_signed and not status.changed_since_signed


def test_a_frozen_version_refuses_edits(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    _sign(store, f, 0)
    with store.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(text("UPDATE plan_versions SET plan_hash = 'x'"))
    with store.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(text("UPDATE plan_signatures SET signer_id = 'someone-else'"))
    with store.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(text("UPDATE plan_versions SET version = 7"))
    assert signing.signed_plan(store, f.meetings[0].id).plan.version == 1


def test_a_damaged_signature_row_is_reported(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    a = _sign(store, f, 0)
    b = _sign(store, f, 1, minute=1)
    with store.engine.begin() as conn:  # move one sealed image onto another row: must not open
        image = (
            conn.execute(PLAN_SIGNATURES.select().where(PLAN_SIGNATURES.c.id == a.id)).one().image
        )
        conn.execute(
            update(PLAN_SIGNATURES).where(PLAN_SIGNATURES.c.id == b.id).values(image=image)
        )
    with pytest.raises(DamagedRecordError):
        signing.signed_plan(store, f.meetings[0].id)


def test_the_device_key_is_made_once_and_sealed(store: CaseStore) -> None:
    key = signing.device_key(store, now=NOW)
    assert signing.device_key(store, now=NOW).public_key == key.public_key
    assert key.device_id == store.store_id
    store.lock()
    store.unlock(PASSPHRASE, now=NOW)
    assert signing.device_key(store, now=NOW).public_key == key.public_key
    with store.engine.connect() as conn:
        sealed = conn.execute(text("SELECT private_key FROM device_keys")).scalar_one()
    assert key._private.private_bytes_raw() not in sealed


def test_the_device_profile_witnesses_every_signature(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    organisation = store.organisations()[0]
    save_profile(
        store,
        Profile(name="Daan Verhoeven", organisation_id=organisation.id, role="wijkverpleegkundige"),
        now=NOW,
    )
    made = _sign(store, f, 0)
    expected = Witness("Daan Verhoeven", organisation.name, "wijkverpleegkundige")
    assert made.witness == expected
    (kept,) = signing.signed_plan(store, f.meetings[0].id).signatures
    assert kept.record.witness == expected and kept.record == made
    with store.engine.connect() as conn:  # sealed, like the signer's name
        sealed = conn.execute(text("SELECT witness FROM plan_signatures")).scalar_one()
    assert b"Daan" not in sealed


def test_a_witness_moved_to_another_signature_is_reported(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    save_profile(store, Profile(name="Daan Verhoeven", role="wijkverpleegkundige"), now=NOW)
    a = _sign(store, f, 0)
    save_profile(store, Profile(name="Sanne Bakker", role="schuldhulpmaatje"), now=NOW)
    b = _sign(store, f, 1, minute=1)
    assert a.witness is not None and b.witness is not None and a.witness != b.witness
    with store.engine.begin() as conn:  # swap the sealed witness (re-sealed for b's row)
        fake = store.sealer.seal(
            b'{"name":"Daan Verhoeven","organisation":"","role":"wijkverpleegkundige"}',
            table="plan_signatures",
            column="witness",
            row_id=b.id,
        )
        conn.execute(
            update(PLAN_SIGNATURES).where(PLAN_SIGNATURES.c.id == b.id).values(witness=fake)
        )
    with pytest.raises(DamagedRecordError):  # it opens, but the device signature says otherwise
        signing.signed_plan(store, f.meetings[0].id)


def test_without_a_profile_the_record_has_no_witness(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    assert _sign(store, f, 0).witness is None
    assert signing.signed_plan(store, f.meetings[0].id).signatures[0].record.witness is None
