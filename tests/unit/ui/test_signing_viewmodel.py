"""The signing flow's view-model: pad, order of signers, errors, versions, the PDF."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from PIL import Image

from models import queries, signing
from models.domain import CaseFile, Meeting, ParticipantRole
from models.errors import DamagedRecordError, RecordNotFoundError
from models.i18n import current_language, set_language
from models.profile import Profile, save_profile
from models.store import CaseStore
from models.verify import verify_pdf
from tests.support.factories import NOW, TODAY, a_case_file
from ui.viewmodels import signing as sv


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def dutch() -> Iterator[None]:
    before = current_language()
    set_language("nl")
    yield
    set_language(before)


@pytest.fixture
def case(store: CaseStore) -> CaseFile:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    return f


def scribble(vm: sv.SigningViewModel, x0: float = 20, y0: float = 60) -> None:
    """A signature-like zigzag of two strokes."""
    vm.draw_start(x0, y0)
    for i in range(1, 12):
        vm.draw_to(x0 + 12 * i, y0 + (15 if i % 2 else -15))
    vm.draw_start(x0 + 20, y0 + 40)
    vm.draw_to(x0 + 120, y0 + 42)


# -- the pad and its PNG -----------------------------------------------------------------------


def test_an_empty_pad_a_dot_or_a_slip_is_empty() -> None:
    pad = sv.SignaturePad()
    assert pad.is_empty
    pad.start(10, 10)
    assert pad.is_empty  # a dot
    pad.extend(15, 12)
    assert pad.is_empty  # a slip of 5 px
    pad.extend(40, 30)
    assert not pad.is_empty
    pad.clear()
    assert pad.is_empty and pad.strokes == []


def test_points_stay_inside_the_pad() -> None:
    pad = sv.SignaturePad(width=300, height=200)
    pad.extend(-20, 50)  # a move without a start starts a stroke
    pad.extend(400, 250)
    assert pad.strokes == [[(0.0, 50.0), (300.0, 200.0)]]


def test_the_png_is_cropped_to_the_drawing_and_transparent_around_it() -> None:
    strokes = [[(100.0, 50.0), (160.0, 80.0), (200.0, 60.0)], [(120.0, 90.0)]]
    png = sv.render_signature_png(strokes)
    assert png.startswith(signing.PNG_MAGIC)
    image = Image.open(io.BytesIO(png))
    margin = 2 * sv.PNG_MARGIN
    assert image.size == (
        (100 + margin) * sv.PNG_SCALE,
        (40 + margin) * sv.PNG_SCALE,
    )
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]  # transparent corner
    inked = image.getchannel("A").getbbox()
    assert inked is not None
    # the ink reaches to within the margin of every edge: cropped to the bounding box
    left, top, right, bottom = inked
    edge = sv.PNG_MARGIN * sv.PNG_SCALE
    assert left <= edge and top <= edge
    assert right >= image.size[0] - edge and bottom >= image.size[1] - edge
    assert sv.render_signature_png(strokes) == png  # the same strokes give the same PNG
    with pytest.raises(ValueError):
        sv.render_signature_png([])


# -- who signs ----------------------------------------------------------------------------------


def test_the_resident_signs_first_then_the_others_present(
    store: CaseStore, case: CaseFile, dutch: None
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    resident, daughter, nurse = case.participants
    assert [s.participant_id for s in vm.signers] == [resident.id, daughter.id, nurse.id]
    assert vm.current is not None and vm.current.participant_id == resident.id
    assert not any(s.signed for s in vm.signers)
    assert vm.progress_text == "Handtekening 1 van 3"
    assert vm.version_text and "1" in vm.version_text


def test_only_people_present_sign(store: CaseStore) -> None:
    f = a_case_file()
    nurse = f.participants[2]
    f.meetings[0].present.remove(nurse.id)
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = sv.SigningViewModel.open(store, f.case.id, now=Clock())
    assert nurse.id not in [s.participant_id for s in vm.signers]
    assert len(vm.signers) == 2


def test_signing_an_empty_pad_is_refused_with_a_message(
    store: CaseStore, case: CaseFile, dutch: None
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert not vm.sign()
    assert vm.error == "Het vak is nog leeg. Zet eerst uw handtekening in het vak."
    vm.draw_start(10, 10)
    assert not vm.sign()  # a dot is not a signature
    assert vm.error
    assert signing.signed_versions(store, case.meetings[0].id) == []  # nothing stored
    scribble(vm)
    assert vm.error is None  # drawing enough ink takes the message away


def test_clear_and_redo(store: CaseStore, case: CaseFile) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    vm.draw_start(0, 10)
    vm.draw_to(500, 150)  # a slip across the whole pad
    vm.clear()
    assert vm.pad.is_empty and vm.error is None
    assert not vm.sign()
    scribble(vm, 40, 80)
    assert vm.sign()
    record = signing.signed_plan(store, case.meetings[0].id).signatures[0]
    image = Image.open(io.BytesIO(record.image))
    # only the redone drawing is in the signature: the scribble is 132 px wide, the slip 500
    assert image.size[0] == (132 + 2 * sv.PNG_MARGIN) * sv.PNG_SCALE


def test_everyone_signs_in_turn_then_the_pdf_is_made_and_kept(
    store: CaseStore, case: CaseFile
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    names = [s.name for s in vm.signers]
    for n in range(3):
        assert vm.current is not None and vm.current.name == names[n]
        scribble(vm)
        assert vm.sign(), vm.error
        assert vm.pad.is_empty  # a fresh pad for the next person
        assert vm.signed_count == n + 1
        assert vm.signers[n].signed and vm.signers[n].signed_at
    assert vm.done and vm.current is None
    assert not vm.sign()
    assert not vm.can_return_to_meeting
    assert vm.kept_pdf() is None  # no PDF made yet
    assert vm.file_name == f"keukentafel-plan-{case.meetings[0].held_on}-v1.pdf"

    assert asyncio.run(vm.make_pdf())
    assert vm.pdf is not None and not vm.pdf_busy and vm.pdf_error is None
    report = verify_pdf(vm.pdf)
    assert report.valid, report.all_problems
    assert [s.name for s in report.signers] == names
    assert vm.kept_pdf() == vm.pdf
    again = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert again.done and again.kept_pdf() == vm.pdf


def test_a_change_after_signing_makes_a_new_version_to_sign(
    store: CaseStore, case: CaseFile, dutch: None
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    for _n in range(3):
        scribble(vm)
        assert vm.sign()
    agreement = case.agreements[0]
    store.save_agreement(replace(agreement, due_date=agreement.due_date + timedelta(days=1)))
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert vm.status.changed_since_signed
    assert "Versie 1" in vm.version_text and "versie 2" in vm.version_text
    assert vm.current is not None and vm.current.participant_id == case.participants[0].id
    assert not any(s.signed for s in vm.signers)
    scribble(vm)
    assert vm.sign()
    assert signing.signed_versions(store, case.meetings[0].id) == [1, 2]
    assert len(signing.signed_plan(store, case.meetings[0].id, 1).signatures) == 3  # old kept


def test_a_stale_screen_shows_the_models_refusal(store: CaseStore, case: CaseFile) -> None:
    """Two screens on one plan: the second cannot sign the resident twice; it says so."""
    first = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    second = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    scribble(first)
    assert first.sign()
    scribble(second)
    assert not second.sign()
    assert second.error == signing.AlreadySignedError().message
    assert second.current is not None and second.current.participant_id == case.participants[1].id
    assert second.pad.is_empty  # the next person does not inherit the resident's drawing


def test_a_failed_pdf_says_so_and_keeps_the_signatures(
    store: CaseStore, case: CaseFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert not asyncio.run(vm.make_pdf())  # not everyone has signed
    for _n in range(3):
        scribble(vm)
        vm.sign()

    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(sv, "build_plan_pdf", broken)
    assert not asyncio.run(vm.make_pdf())
    assert vm.pdf is None and vm.pdf_error and not vm.pdf_busy
    assert len(signing.signed_plan(store, case.meetings[0].id).signatures) == 3
    monkeypatch.undo()
    assert asyncio.run(vm.make_pdf()) and vm.pdf_error is None


def test_back_to_the_meeting_only_before_the_first_signature(
    store: CaseStore, case: CaseFile
) -> None:
    meeting = case.meetings[0]
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert vm.can_return_to_meeting
    vm.return_to_meeting()
    assert queries.case_file(store, case.case.id).meetings[0].progress == sv.READBACK
    store.save_meeting(replace(meeting, progress=sv.DONE))
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    scribble(vm)
    vm.sign()
    assert not vm.can_return_to_meeting
    vm.return_to_meeting()
    assert queries.case_file(store, case.case.id).meetings[0].progress == sv.DONE


# -- which meeting, and the case screen's line ---------------------------------------------------


def test_the_last_held_finished_meeting_is_signed() -> None:
    f = a_case_file()
    old = f.meetings[0]
    newer = Meeting(case_id=f.case.id, held_on=TODAY, progress=sv.DONE)
    running = Meeting(case_id=f.case.id, held_on=TODAY, progress="wants")
    planned = Meeting(case_id=f.case.id)
    f.meetings += [newer, running, planned]
    assert sv.signable_meeting(f) is newer
    f.meetings = [running, planned]
    assert sv.signable_meeting(f) is None
    f.meetings = [old]
    assert sv.signable_meeting(f) is old


def test_no_held_meeting_no_signing(store: CaseStore) -> None:
    f = a_case_file(held_on=None)
    store.add_case_files([f], today=TODAY, now=NOW)
    assert sv.signing_entry(store, f.case.id) is None
    with pytest.raises(RecordNotFoundError):
        sv.SigningViewModel.open(store, f.case.id, now=Clock())


def test_the_case_screen_line_follows_the_signing(store: CaseStore, case: CaseFile) -> None:
    entry = sv.signing_entry(store, case.case.id)
    assert entry is not None and not entry.signed and entry.action
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    scribble(vm)
    vm.sign()
    partly = sv.signing_entry(store, case.case.id)
    assert partly is not None and not partly.signed and "1" in partly.text
    assert partly.action != entry.action
    for _n in range(2):
        scribble(vm)
        vm.sign()
    signed = sv.signing_entry(store, case.case.id)
    assert signed is not None and signed.signed
    agreement = case.agreements[1]
    store.save_agreement(replace(agreement, what=agreement.what + " Ook op dinsdag."))
    changed = sv.signing_entry(store, case.case.id)
    assert changed is not None and not changed.signed and "2" in changed.text


def test_role_text_names_relation_and_organisation(store: CaseStore, case: CaseFile) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    roles = {s.participant_id: s.role for s in vm.signers}
    resident, daughter, nurse = case.participants
    assert nurse.role is ParticipantRole.PROFESSIONAL
    assert roles[resident.id] in ("Resident", "Bewoner")
    assert "dochter" in roles[daughter.id]
    assert "wijkverpleegkundige" in roles[nurse.id] and "—" in roles[nurse.id]


def test_a_damaged_signature_keeps_the_case_screen(
    store: CaseStore, case: CaseFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    def damaged(*args: object, **kwargs: object) -> signing.PlanStatus:
        raise DamagedRecordError("plan_signatures", "row-1", "signature")

    monkeypatch.setattr(signing, "plan_status", damaged)
    entry = sv.signing_entry(store, case.case.id)
    assert entry is not None and not entry.signed
    assert entry.action == "" and "row-1" in entry.text  # no button; the record is named


def test_an_earlier_signed_version_keeps_its_pdf_after_the_plan_changed(
    store: CaseStore, case: CaseFile
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert vm.earlier_versions == []
    for _n in range(3):
        scribble(vm)
        assert vm.sign()
    assert vm.earlier_versions == []  # the signed version is the current one
    agreement = case.agreements[0]
    store.save_agreement(replace(agreement, due_date=agreement.due_date + timedelta(days=1)))
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert vm.earlier_versions == [1]
    assert vm.earlier_file_name(1).endswith("-v1.pdf")

    pdf = asyncio.run(vm.earlier_pdf(1))
    assert pdf is not None and vm.pdf_error is None
    report = verify_pdf(pdf)
    assert report.valid, report.all_problems
    assert len(report.signers) == 3
    first = signing.signed_plan(store, case.meetings[0].id, 1)
    assert signing.load_plan_pdf(store, first) == pdf  # kept, and given again as it is
    assert asyncio.run(vm.earlier_pdf(1)) == pdf
    assert asyncio.run(vm.earlier_pdf(7)) is None and vm.pdf_error  # no such version: a message


def test_finishing_without_someone_who_will_not_sign(
    store: CaseStore, case: CaseFile, dutch: None
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert not vm.can_finish_partly  # the resident signs first
    vm.finish_partly()
    assert not vm.finished
    scribble(vm)
    assert vm.sign()  # the resident
    scribble(vm)
    assert vm.sign()  # the second person; the third will not sign
    assert vm.can_finish_partly and not vm.finished
    assert not asyncio.run(vm.make_pdf())
    vm.finish_partly()
    assert vm.finished and not vm.done
    assert vm.progress_text == "2 van de 3 hebben getekend."
    third = vm.signers[2].name
    assert vm.not_signed_text == f"Niet getekend: {third}."
    assert asyncio.run(vm.make_pdf()) and vm.pdf is not None
    report = verify_pdf(vm.pdf)
    assert report.valid, report.all_problems
    assert len(report.signers) == 2
    assert vm.kept_pdf() == vm.pdf

    # Later the third person signs after all: the kept PDF is dropped, a new one shows all three.
    later = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert not later.finished and later.current is not None
    assert later.current.name == third
    scribble(later)
    assert later.sign() and later.done
    assert later.kept_pdf() is None
    assert asyncio.run(later.make_pdf()) and later.pdf is not None
    assert len(verify_pdf(later.pdf).signers) == 3


def test_the_screen_names_the_witness_and_the_signature_carries_it(
    store: CaseStore, case: CaseFile, dutch: None
) -> None:
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert vm.witness_text is None  # no profile on this device (the first run makes one)
    organisation = store.organisations()[0]
    save_profile(store, Profile("Sanne de Vries", organisation.id, "wijkcoach"), now=NOW)
    vm = sv.SigningViewModel.open(store, case.case.id, now=Clock())
    assert vm.witness_text == (
        f"Getuige bij de handtekeningen: Sanne de Vries, wijkcoach, {organisation.name}."
    )
    scribble(vm)
    assert vm.sign()
    (made,) = signing.signed_plan(store, vm.meeting.id).signatures
    assert made.record.witness is not None and made.record.witness.name == "Sanne de Vries"
