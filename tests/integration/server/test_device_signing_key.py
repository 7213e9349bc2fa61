"""Each tablet's public signing key on the dossier: sent once, shown as the fingerprint that
``python main.py verify`` prints, never replaced (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, func, select

from server.models.audit import AuditEvent
from tests.integration.server.world import World

PATH = "/devices/me/signing-key"


def new_key() -> str:
    return Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()


def fingerprint(key: str) -> str:
    return hashlib.sha256(bytes.fromhex(key)).hexdigest()[:16]


def listed(world: World, headers: dict[str, str]) -> dict[str, str | None]:
    answer = world.client.get("/devices", headers=headers)
    assert answer.status_code == 200
    return {d["id"]: d["signing_key_fingerprint"] for d in answer.json()}


def audit_rows(world: World) -> int:
    with Session(world.engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_a_device_sends_its_key_once_and_the_list_shows_its_fingerprint(world: World) -> None:
    org = world.organisation()
    tablet = world.member(org)
    assert listed(world, org.admin.headers)[str(tablet.device_id)] is None  # not sent yet

    key = new_key()
    before = audit_rows(world)
    answer = world.client.put(PATH, json={"public_key": key}, headers=tablet.headers)
    assert answer.status_code == 204
    assert listed(world, org.admin.headers)[str(tablet.device_id)] == fingerprint(key)
    assert audit_rows(world) == before + 1  # who set it, and when

    again = world.client.put(PATH, json={"public_key": key}, headers=tablet.headers)
    assert again.status_code == 204  # the same key: nothing changes (a resend is harmless)
    assert audit_rows(world) == before + 1


def test_another_key_is_refused_and_the_first_stays(world: World) -> None:
    org = world.organisation()
    tablet = world.member(org)
    first = new_key()
    assert world.client.put(PATH, json={"public_key": first}, headers=tablet.headers).is_success
    other = world.client.put(PATH, json={"public_key": new_key()}, headers=tablet.headers)
    assert other.status_code == 409 and other.json()["code"] == "signing_key_differs"
    assert listed(world, org.admin.headers)[str(tablet.device_id)] == fingerprint(first)


def test_only_a_logged_in_device_sends_only_its_own_key(world: World) -> None:
    org = world.organisation()
    tablet = world.member(org)
    assert world.client.put(PATH, json={"public_key": new_key()}).status_code == 401
    for bad in ("", "zz" * 32, new_key()[:-2], new_key().upper()):
        answer = world.client.put(PATH, json={"public_key": bad}, headers=tablet.headers)
        assert answer.status_code == 422, bad
    # Another organisation's administrator does not see this device at all.
    other = world.organisation("Ander")
    assert str(tablet.device_id) not in listed(world, other.admin.headers)
