"""The dossier checks signed-plan evidence before it keeps it (server/sync_push.py, SQLite and
PostgreSQL): a plan version's JSON must have its hash, a signature must hold for its drawn PNG, the
fields must be the tablet's, the PNG small, and once the device registered its signing key only
signatures made with that key are kept."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models import signing
from models.plan import canonical_bytes, plan_from_case_file, plan_hash
from server.sync_push import MAX_IMAGE_BASE64
from sync.protocol import Entity, Mutation, Op, Outcome, PushRequest
from tests.integration.server.world import HttpDossier, Login, World
from tests.support.signatures import a_plan_case_file, signature_png

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


class Tablet:
    """Just enough of a tablet: a login, a case with consent on the server, a plan and a key."""

    def __init__(self, world: World) -> None:
        self.login: Login = world.member(world.organisation("Zorg Oss"))
        self.server: HttpDossier = world.dossier(self.login)
        self.file = a_plan_case_file(agreements=1)
        self.case_id = self.file.case.id
        self.plan = plan_from_case_file(
            self.file, self.file.meetings[0].id, version=1, organisation_names={}
        )
        self.version_id = str(uuid.uuid4())
        self.key = key(str(self.login.device_id))
        [case] = self.push(Entity.CASE, self.case_id, {"consent_given": True})
        assert case.outcome is Outcome.APPLIED

    def push(
        self, entity: Entity, record_id: str, fields: dict[str, Any], op: Op = Op.UPSERT
    ) -> list[Any]:
        m = Mutation(
            mutation_id=uuid.uuid4(),
            entity=entity,
            record_id=uuid.UUID(record_id),
            case_id=uuid.UUID(self.case_id),
            op=op,
            fields=fields,
            device_time=NOW,
        )
        request = PushRequest(device_id=self.login.device_id, mutations=[m])
        return list(self.server.push(request).results)

    def version_fields(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "meeting_id": self.plan.meeting_id,
            "version": 1,
            "plan_hash": plan_hash(self.plan).hex(),
            "plan_json": canonical_bytes(self.plan).decode("utf-8"),
            "frozen_at": signing.utc_iso(NOW),
        }

    def signature(
        self, *, with_key: signing.DeviceKey | None = None, image: bytes | None = None
    ) -> tuple[str, dict[str, Any]]:
        image = image or signature_png(1)
        signer = self.plan.participants[0]
        record = signing.make_signature(
            with_key or self.key,
            self.plan,
            signer_id=signer.id,
            image=image,
            signed_at=NOW,
            witness=signing.Witness("Daan Verhoeven-Çelik", "Zorg Oss", "wijkverpleegkundige"),
        )
        return record.id, {
            "record": record.to_json(),
            "plan_version_id": self.version_id,
            "position": 0,
            "image": base64.b64encode(image).decode("ascii"),
        }


def key(device_id: str) -> signing.DeviceKey:
    private = Ed25519PrivateKey.generate()
    return signing.DeviceKey(device_id, private.public_key().public_bytes_raw(), private)


def reason(results: list[Any]) -> str | None:
    [result] = results
    return None if result.outcome is Outcome.APPLIED else str(result.reason)


@pytest.fixture
def tablet(world: World) -> Tablet:
    return Tablet(world)


def test_a_valid_version_and_signature_are_kept(tablet: Tablet) -> None:
    fields = tablet.version_fields()
    assert reason(tablet.push(Entity.PLAN_VERSION, tablet.version_id, fields)) is None
    assert reason(tablet.push(Entity.PLAN_SIGNATURE, *tablet.signature())) is None
    assert len(tablet.server.state()) == 3  # the case, the version, the signature


def test_a_version_whose_json_is_not_its_hash_is_refused(tablet: Tablet) -> None:
    fields = tablet.version_fields()
    fields["plan_json"] = fields["plan_json"].replace("rollator", "scootmobiel")
    assert reason(tablet.push(Entity.PLAN_VERSION, tablet.version_id, fields)) == "invalid_evidence"
    extra = {**tablet.version_fields(), "note": "x"}
    assert reason(tablet.push(Entity.PLAN_VERSION, tablet.version_id, extra)) == "invalid_evidence"
    too_long = {**tablet.version_fields(), "plan_json": "x" * 300_000}
    too_long["plan_hash"] = hashlib.sha256(too_long["plan_json"].encode()).hexdigest()
    assert reason(tablet.push(Entity.PLAN_VERSION, tablet.version_id, too_long)) == (
        "invalid_evidence"
    )


@pytest.mark.parametrize("change", ["image", "record", "size", "id"])
def test_a_signature_that_does_not_hold_is_refused(tablet: Tablet, change: str) -> None:
    record_id, fields = tablet.signature()
    if change == "image":  # another drawing than the one signed
        fields["image"] = base64.b64encode(signature_png(2)).decode("ascii")
    elif change == "record":  # the signer's name changed after signing
        fields["record"] = {**fields["record"], "signer_name": "Iemand Anders"}
    elif change == "size":
        big = signing.PNG_MAGIC + bytes(MAX_IMAGE_BASE64)
        record_id, fields = tablet.signature(image=big)
    else:  # sent under another record id than the one signed
        record_id = str(uuid.uuid4())
    assert reason(tablet.push(Entity.PLAN_SIGNATURE, record_id, fields)) == "invalid_evidence"
    assert len(tablet.server.state()) == 1


def test_once_a_key_is_registered_only_signatures_made_with_it_are_kept(
    world: World, tablet: Tablet
) -> None:
    registered = world.client.put(
        "/devices/me/signing-key",
        json={"public_key": tablet.key.public_key.hex()},
        headers=tablet.login.headers,
    )
    assert registered.status_code in (200, 204), registered.text
    other = key(tablet.key.device_id)
    assert reason(tablet.push(Entity.PLAN_SIGNATURE, *tablet.signature(with_key=other))) == (
        "unknown_signing_key"
    )
    assert reason(tablet.push(Entity.PLAN_SIGNATURE, *tablet.signature())) is None
