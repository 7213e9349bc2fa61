"""A signed plan version is never overwritten by sync (issue #5), on SQLite and PostgreSQL.

Plan versions and signatures are the device's own (models/signing.py): they reach the dossier as
push-only evidence but never come back in a pull, and migration 0004's triggers refuse any UPDATE
of a frozen version's evidence. What travels both ways are the records the plan is made of. So
when another professional on the case changes an agreement and the device that holds the signed
plan pulls that change:

- the pull applies it to the agreement (the live record), without a conflict or an error;
- the signed version stays exactly as signed: the same version number, canonical JSON and hash,
  every signature still verifies, and the PDF of that version (the kept copy and a new rendering)
  still verifies;
- the case now reports the plan as changed since signing: the plan as it stands is version 2,
  nobody has signed it, and it needs new signatures (the resident first), after which both
  versions exist side by side.

The server is the app in uvicorn in a thread (``live_url``): what is checked here is the device's
side, which does not depend on the server running as a process of its own.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from models import plan_pdf, queries, signing
from models.domain import ParticipantRole
from models.store import CaseStore
from models.verify import verify_pdf
from sync import cycle
from sync.cycle import SyncState
from tests.integration.server.world import World
from tests.integration.sync.conftest import Professional, StoreMaker, make_professional
from tests.support.factories import NOW
from tests.support.signatures import a_plan_case_file, sign_all, signature_png

CHANGED = "Samen met de buurvrouw de brieven van de gemeente lezen, elke dinsdag."


def enrol(store: CaseStore, world: World, url: str, who: Professional) -> None:
    cycle.enrol_device(
        store, url, world.code(who.org), email=who.email, password=who.password, label="tablet"
    )


def test_a_pulled_change_leaves_the_signed_plan_version_intact_and_asks_for_new_signatures(
    world: World, live_url: str, professional: Professional, new_store: StoreMaker
) -> None:
    colleague = make_professional(world, professional.org, "maatschappelijk-werker@example.org")
    a, b = new_store("a"), new_store("b")
    enrol(a, world, live_url, professional)
    enrol(b, world, live_url, colleague)

    # Device A holds the meeting: the colleague is on the case, everyone signs, A keeps the PDF.
    f = a_plan_case_file(agreements=3)
    [nurse] = [p for p in f.participants if p.role is ParticipantRole.PROFESSIONAL]
    nurse.account_id = str(colleague.account_id)  # makes the colleague a member on the server
    meeting = f.meetings[0]
    signed = sign_all(a, f)
    assert signing.signed_versions(a, meeting.id) == [1]
    pdf = plan_pdf.build_plan_pdf(signed, language="nl")
    signing.save_plan_pdf(a, signed, pdf)
    assert verify_pdf(pdf).valid
    assert signing.plan_status(a, f.case.id, meeting.id).is_signed

    assert cycle.run_cycle(a).state is SyncState.SYNCED
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert {x.id for x in queries.case_file(b, f.case.id).agreements} == {
        x.id for x in f.agreements
    }
    assert signing.signed_versions(b, meeting.id) == []  # signatures stay on the device

    # Device B changes one agreement's text and drops another, and syncs.
    first, second, _third = f.agreements
    b.save_agreement(dataclasses.replace(first, what=CHANGED))
    b.delete_agreement(second.id)
    status_b = cycle.run_cycle(b)
    assert (status_b.state, status_b.waiting, status_b.conflicts) == (SyncState.SYNCED, 0, 0)

    # Device A pulls both changes: applied to the records, no conflict, nothing held back.
    status_a = cycle.run_cycle(a)
    assert (status_a.state, status_a.waiting, status_a.conflicts) == (SyncState.SYNCED, 0, 0)
    assert status_a.held_back == ()
    pulled = {x.id: x.what for x in queries.case_file(a, f.case.id).agreements}
    assert pulled[first.id] == CHANGED and second.id not in pulled

    # The signed version is exactly as signed, and every signature on it still verifies.
    assert signing.signed_versions(a, meeting.id) == [1]
    kept = signing.signed_plan(a, meeting.id, 1)  # opens and checks hash and signatures
    assert (kept.version_id, kept.plan_json, kept.plan_hash) == (
        signed.version_id,
        signed.plan_json,
        signed.plan_hash,
    )
    assert kept.plan == signed.plan
    assert [s.record for s in kept.signatures] == [s.record for s in signed.signatures]
    for s in kept.signatures:
        assert signing.verify_signature(s.record, kept.plan_hash, s.image, s.record.public_key)
    signed_texts = {x.id: x.what for x in kept.plan.agreements}
    assert signed_texts[first.id] == first.what and second.id in signed_texts

    # The PDF of the signed version: the kept copy is untouched, a new rendering is the same
    # plan, and both verify.
    assert signing.load_plan_pdf(a, kept) == pdf
    again = verify_pdf(plan_pdf.build_plan_pdf(kept, language="nl"))
    assert again.valid and again.plan_hash == signed.plan_hash
    assert verify_pdf(pdf).valid

    # The case says the plan changed since signing: version 2, signed by nobody yet.
    status = signing.plan_status(a, f.case.id, meeting.id)
    assert status.changed_since_signed and not status.is_signed
    assert (status.signed_version, status.current_version) == (1, 2)
    assert set(status.waiting_for) == {p.id for p in f.participants}
    current = signing.current_plan(a, f.case.id, meeting.id)
    assert {x.id: x.what for x in current.agreements} == pulled
    assert status.current_hash != signed.plan_hash

    # New signatures make version 2, the resident first; version 1 keeps its own.
    [resident] = [p for p in f.participants if p.role is ParticipantRole.RESIDENT]
    with_daughter = next(p for p in f.participants if p.role is ParticipantRole.NETWORK)
    later = NOW + timedelta(days=1)
    with pytest.raises(signing.ResidentSignsFirstError):
        signing.sign_plan(
            a, f.case.id, meeting.id, signer_id=with_daughter.id, image=signature_png(7), now=later
        )
    signing.sign_plan(
        a, f.case.id, meeting.id, signer_id=resident.id, image=signature_png(8), now=later
    )
    assert signing.signed_versions(a, meeting.id) == [1, 2]
    assert signing.signed_plan(a, meeting.id, 1).plan_hash == signed.plan_hash
    assert signing.signed_plan(a, meeting.id, 2).plan == current
    assert signing.plan_status(a, f.case.id, meeting.id).is_signed

    # A's next sync sends version 2 and its signature (evidence for the dossier) and changes
    # nothing here; B's pull brings it no plan version (push-only).
    assert cycle.local_status(a).waiting == 2
    assert cycle.run_cycle(a).state is SyncState.SYNCED
    assert cycle.local_status(a).waiting == 0
    assert cycle.run_cycle(b).state is SyncState.SYNCED
    assert signing.signed_versions(b, meeting.id) == []
    assert signing.signed_plan(a, meeting.id, 1).plan_hash == signed.plan_hash
