"""Signed plans leave evidence on the dossier (SQLite, PostgreSQL).

``models.signing.sign_plan`` queues the frozen plan version (on its first signature) and each
signature in the transaction that writes them; a sync sends them like any change of a case with
consent. The dossier keeps them immutable (``server.sync_push``): the same content again is a
duplicate, other content or a delete is refused ``frozen``, a signature made with another key than
the one the tablet registered is refused ``unknown_signing_key``. They are push-only: no pull
returns them (``server.sync_pull``). A lost tablet so leaves the dossier the plan it signed, with
the witness and the drawn signatures.

The tablets talk to the app in uvicorn in a thread (``live_url``) over real HTTP.
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, col, select

from models import outbox, signing
from models.changes import Entity as ModelEntity
from models.domain import Consent, ParticipantRole
from models.store import CaseStore
from server.models.accounts import Role
from server.models.devices import Device
from server.models.dossier import ChangeRow, DossierRecord
from sync import cycle
from sync.cycle import SyncState
from sync.protocol import PUSH_ONLY, Entity, PullRequest
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker, make_professional
from tests.support.factories import NOW, TODAY
from tests.support.signatures import (
    WITNESS_NAME,
    WITNESS_ROLE,
    a_plan_case_file,
    sign_all,
    signature_png,
)

EVIDENCE = sorted(e.value for e in PUSH_ONLY)


def enrol(store: CaseStore, world: World, url: str, who: Professional) -> None:
    cycle.enrol_device(
        store, url, world.code(who.org), email=who.email, password=who.password, label="tablet"
    )


def kept(world: World, entity: Entity) -> dict[str, dict[str, Any]]:
    """The dossier's records of ``entity``: record id -> fields."""
    with Session(world.engine) as session:
        rows = session.exec(select(DossierRecord).where(DossierRecord.entity == entity.value))
        return {str(r.record_id): r.fields for r in rows if r.deleted_seq is None}


def logged(world: World, record_id: str) -> int:
    """How many changes of ``record_id`` the change log holds."""
    with Session(world.engine) as session:
        rows = session.exec(
            select(ChangeRow.seq).where(col(ChangeRow.record_id) == uuid.UUID(record_id))
        )
        return len(rows.all())


def queue(store: CaseStore, entity: ModelEntity, record_id: str, case_id: str, **kw: Any) -> None:
    with store.writing() as (conn, sealer):
        outbox.append(
            conn, sealer, entity=entity, record_id=record_id, case_id=case_id, now=NOW, **kw
        )


def held_back(store: CaseStore) -> dict[str, str]:
    """Held-back changes: record id -> reason."""
    return {h.record_id: h.reason for h in cycle.local_status(store).held_back}


def test_a_signed_plan_reaches_the_dossier_as_immutable_evidence(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    tablet = new_store("tablet")
    enrol(tablet, world, live_url, professional)
    f = a_plan_case_file(agreements=2)
    [nurse] = [p for p in f.participants if p.role is ParticipantRole.PROFESSIONAL]
    nurse.account_id = str(colleague.account_id)  # the colleague sees the case on the server
    signed = sign_all(tablet, f)
    assert len(signed.signatures) == 4
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert cycle.local_status(tablet).waiting == 0

    # The dossier holds the frozen version, whole, and every signature with its witness and PNG.
    versions = kept(world, Entity.PLAN_VERSION)
    assert versions == {
        signed.version_id: {
            "case_id": f.case.id,
            "meeting_id": f.meetings[0].id,
            "version": 1,
            "plan_hash": signed.plan_hash.hex(),
            "plan_json": signed.plan_json.decode("utf-8"),
            "frozen_at": signing.utc_iso(signed.frozen_at),
        }
    }
    signatures = kept(world, Entity.PLAN_SIGNATURE)
    assert set(signatures) == {s.record.id for s in signed.signatures}
    organisation = tablet.organisations()[0].name
    for position, s in enumerate(signed.signatures):
        fields = signatures[s.record.id]
        assert fields["record"] == s.record.to_json()
        assert fields["record"]["witness"] == {
            "name": WITNESS_NAME,
            "organisation": organisation,
            "role": WITNESS_ROLE,
        }
        assert (fields["plan_version_id"], fields["position"]) == (signed.version_id, position)
        assert base64.b64decode(fields["image"]) == s.image
    with Session(world.engine) as session:
        device = session.exec(select(Device).where(col(Device.signing_key).is_not(None))).one()
    assert device.signing_key == signed.signatures[0].record.public_key.hex()

    # The same signature again (a new mutation id, e.g. a store restored): a duplicate, kept once.
    first = signed.signatures[0]
    fields = dict(signatures[first.record.id])
    queue(tablet, ModelEntity.PLAN_SIGNATURE, first.record.id, f.case.id, fields=fields)
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert (cycle.local_status(tablet).waiting, held_back(tablet)) == (0, {})
    assert logged(world, first.record.id) == 1

    # Changed content or a delete of a kept version or signature: refused, the dossier unchanged.
    second = signed.signatures[1]
    queue(
        tablet,
        ModelEntity.PLAN_SIGNATURE,
        second.record.id,
        f.case.id,
        fields={**signatures[second.record.id], "position": 0},
    )
    queue(tablet, ModelEntity.PLAN_VERSION, signed.version_id, f.case.id, fields={}, op="delete")
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert held_back(tablet) == {second.record.id: "frozen", signed.version_id: "frozen"}
    assert kept(world, Entity.PLAN_SIGNATURE) == signatures
    assert kept(world, Entity.PLAN_VERSION) == versions

    # A signature made with another key than the one the tablet registered: refused.
    own = signing.device_key(tablet, now=NOW)
    other = Ed25519PrivateKey.generate()
    forged_key = signing.DeviceKey(own.device_id, other.public_key().public_bytes_raw(), other)
    [resident] = [p for p in f.participants if p.role is ParticipantRole.RESIDENT]
    image = signature_png(9)
    forged = signing.make_signature(
        forged_key,
        signed.plan,
        signer_id=resident.id,
        image=image,
        signed_at=NOW,
        witness=first.record.witness,
    )
    with tablet.writing() as (conn, sealer):
        signing._queue_signature(conn, sealer, signed.version_id, 4, forged, image, now=NOW)
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert held_back(tablet)[forged.id] == "unknown_signing_key"
    assert forged.id not in kept(world, Entity.PLAN_SIGNATURE)

    # No pull returns them: not the colleague's tablet, not a pull from the start of the log.
    other_tablet = new_store("colleague")
    enrol(other_tablet, world, live_url, colleague)
    assert cycle.run_cycle(other_tablet).state is SyncState.SYNCED
    assert signing.signed_versions(other_tablet, f.meetings[0].id) == []
    login = world.login_new_device(
        world.code(colleague.org), colleague.email, colleague.account_id, Role.PROFESSIONAL
    )
    page = world.dossier(login).pull(PullRequest(cursor=0, limit=1000))
    assert page.done and any(c.case_id == uuid.UUID(f.case.id) for c in page.changes)
    assert not [c for c in page.changes if c.entity in PUSH_ONLY]
    with Session(world.engine) as session:  # while the change log holds them
        entities = set(session.exec(select(ChangeRow.entity)).all())
    assert set(EVIDENCE) <= entities


def test_a_signed_plan_of_a_case_without_consent_stays_on_the_tablet(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    tablet = new_store("tablet")
    enrol(tablet, world, live_url, professional)
    f = a_plan_case_file(agreements=1)
    f.case.consent = Consent(given=False, recorded_on=TODAY)
    sign_all(tablet, f)
    status = cycle.run_cycle(tablet)
    assert status.state is SyncState.SYNCED
    assert status.waiting == 0 and status.kept_on_device > 4  # the case, its records, the plan
    assert kept(world, Entity.PLAN_VERSION) == {}
    assert kept(world, Entity.PLAN_SIGNATURE) == {}
    with Session(world.engine) as session:
        assert not session.exec(
            select(ChangeRow.seq).where(col(ChangeRow.case_id) == uuid.UUID(f.case.id))
        ).all()

    # Once the resident consents, the evidence follows the case.
    consented = dataclasses.replace(f.case, consent=Consent(given=True, recorded_on=TODAY))
    tablet.update_case(consented, today=TODAY, now=NOW)
    assert cycle.run_cycle(tablet).state is SyncState.SYNCED
    assert len(kept(world, Entity.PLAN_VERSION)) == 1
    assert len(kept(world, Entity.PLAN_SIGNATURE)) == len(f.participants)
