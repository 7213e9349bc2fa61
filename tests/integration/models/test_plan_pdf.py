"""The plan PDF: exactly the signed texts, diacritics included; it verifies; forgeries do not."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter

from models import plan_pdf
from models.i18n import current_language, set_language
from models.plan import check_code
from models.signing import SignedPlan
from models.store import CaseStore
from models.verify import VerifyOutcome, format_report, run_verify_cli, verify_pdf
from tests.support.pdf_tamper import rewrite_content as _rewrite_content
from tests.support.pdf_tamper import rewrite_evidence as _rewrite_evidence
from tests.support.signatures import (
    NEIGHBOUR_NAME,
    RESIDENT_NAME,
    WITNESS_NAME,
    WITNESS_ROLE,
    a_plan_case_file,
    sign_all,
    signature_png,
)

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "pdf"
MAX_PDF_BYTES = 300_000


@pytest.fixture
def signed(store: CaseStore) -> SignedPlan:
    return sign_all(store, a_plan_case_file(agreements=10))


@pytest.fixture
def pdf(signed: SignedPlan) -> bytes:
    return plan_pdf.build_plan_pdf(signed, language="nl")


@pytest.fixture
def in_english() -> Iterator[None]:
    before = current_language()
    set_language("en")
    yield
    set_language(before)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- what is printed -------------------------------------------------------------------------------


def test_the_pdf_prints_exactly_the_signed_texts(signed: SignedPlan, pdf: bytes) -> None:
    assert len(signed.signatures) == 4 and len(signed.plan.agreements) == 10
    text = _text(pdf)
    for name in (RESIDENT_NAME, NEIGHBOUR_NAME, "Eliza de Bruijn-Öztürk"):
        assert name in text
    for word in ("İstanbul", "ğözleme", "(ı en İ:", "café \u2019t", "(ü, é, ë)"):
        assert word in text
    # Every signed text, in the order of the plan (line breaks are the layout's, not the text's).
    position = 0
    squashed = _squash(text)
    for expected in plan_pdf.visible_texts(signed.plan, signed.signatures, "nl"):
        found = squashed.find(_squash(expected), position)
        assert found >= 0, "a signed text is missing or out of order"
        position = found
    assert signed.check_code in text
    assert len(pdf) <= MAX_PDF_BYTES


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_poppler_reads_the_same_texts(signed: SignedPlan, pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    squashed = _squash(text)
    for expected in plan_pdf.visible_texts(signed.plan, signed.signatures, "nl"):
        assert _squash(expected) in squashed
    assert RESIDENT_NAME in text and NEIGHBOUR_NAME in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("language", ["nl", "en"])
def test_pages_are_rendered_for_a_person_to_look_at(signed: SignedPlan, language: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob(f"plan-{language}-*.png"):
        old.unlink()
    path = OUTPUT / f"plan-{language}.pdf"
    path.write_bytes(plan_pdf.build_plan_pdf(signed, language=language))
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(path), str(OUTPUT / f"plan-{language}")], check=True
    )
    pages = sorted(OUTPUT.glob(f"plan-{language}-*.png"))
    assert len(pages) == len(PdfReader(path).pages) >= 2


def test_english_labels_and_page_numbers(signed: SignedPlan, in_english: None) -> None:
    text = _text(plan_pdf.build_plan_pdf(signed))
    pages = len(PdfReader(io.BytesIO(plan_pdf.build_plan_pdf(signed))).pages)
    for label in ("I want", "I can", "I need", "Our agreements", "How to check this paper"):
        assert label in text
    assert f"page 1 of {pages}" in text and f"page {pages} of {pages}" in text
    assert verify_pdf(plan_pdf.build_plan_pdf(signed)).valid


def test_text_the_font_cannot_show_does_not_break_the_pdf(store: CaseStore) -> None:
    f = a_plan_case_file(agreements=1)
    f.meetings[0].wants = ["Ik wil fietsen \U0001f6b2 met 你好 en\x07 een bel.", "\ufeffNormaal."]
    signed = sign_all(store, f)
    pdf = plan_pdf.build_plan_pdf(signed, language="nl")
    text = _text(pdf)
    assert "Ik wil fietsen \ufffd met \ufffd\ufffd en\ufffd een bel." in text
    assert verify_pdf(pdf).valid


# -- verify ----------------------------------------------------------------------------------------


def test_verify_passes_and_says_who_signed(signed: SignedPlan, pdf: bytes) -> None:
    report = verify_pdf(pdf)
    assert report.outcome is VerifyOutcome.VALID, report.all_problems
    assert report.check_code == signed.check_code == check_code(signed.plan_hash)
    assert report.signers[0].name == RESIDENT_NAME
    assert len(report.signers) == 4 and all(s.valid for s in report.signers)
    assert report.plan is not None and report.plan == signed.plan
    assert all(s.witness is not None and s.witness.name == WITNESS_NAME for s in report.signers)


def test_the_pdf_names_the_witness_under_each_signature(signed: SignedPlan, pdf: bytes) -> None:
    text = _text(pdf)
    organisation = signed.signatures[0].record.witness
    assert organisation is not None
    line = f"Getuige: {WITNESS_NAME}, {WITNESS_ROLE}, {organisation.organisation}"
    assert _squash(text).count(_squash(line)) == 4
    printed = format_report(verify_pdf(pdf), "nl")
    assert printed.count(f"getuige: {WITNESS_NAME}, {WITNESS_ROLE}") == 4


def _edit_json(edit: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        evidence = json.loads(data)
        edit(evidence)
        return json.dumps(evidence, ensure_ascii=False).encode()

    return change


def test_an_untouched_rewrite_still_verifies(pdf: bytes) -> None:
    """The tamper helpers themselves do not break a PDF (so the failures below mean tampering)."""
    assert verify_pdf(_rewrite_evidence(pdf, lambda data: data)).valid
    assert verify_pdf(_rewrite_content(pdf, b"Afspraak 3", b"Afspraak 3")).valid


def test_a_changed_byte_of_printed_text_is_caught(signed: SignedPlan, pdf: bytes) -> None:
    tampered = _rewrite_content(pdf, b"Afspraak 3: samen", b"Afspraak 8: samen")
    report = verify_pdf(tampered)
    assert report.outcome is VerifyOutcome.INVALID
    # The embedded data is intact and every signature holds: only the printed text gives it away.
    assert report.plan_hash == signed.plan_hash
    assert all(s.valid for s in report.signers)
    assert len(report.problems) == 1


def test_a_changed_byte_of_the_embedded_plan_is_caught(pdf: bytes) -> None:
    def flip_a_letter(data: bytes) -> bytes:
        at = data.index(b"Afspraak 3")
        return data[:at] + b"B" + data[at + 1 :]

    assert verify_pdf(_rewrite_evidence(pdf, flip_a_letter)).outcome is VerifyOutcome.INVALID

    def change_due_date(evidence: dict[str, Any]) -> None:
        evidence["plan"]["agreements"][0]["due_date"] = "2030-01-01"

    report = verify_pdf(_rewrite_evidence(pdf, _edit_json(change_due_date)))
    assert report.outcome is VerifyOutcome.INVALID
    assert report.problems  # the fingerprint and the printed text no longer match


def test_a_recomputed_hash_does_not_help_a_forger(pdf: bytes) -> None:
    """Change the plan and its stated hash together: the signatures still give it away."""
    from models.plan import plan_from_json, plan_hash

    def forge(evidence: dict[str, Any]) -> None:
        evidence["plan"]["agreements"][0]["what"] = "Iets anders."
        evidence["plan_sha256"] = plan_hash(plan_from_json(evidence["plan"])).hex()

    report = verify_pdf(_rewrite_evidence(pdf, _edit_json(forge)))
    assert report.outcome is VerifyOutcome.INVALID
    assert all(not s.valid for s in report.signers)


@pytest.mark.parametrize(
    "field", ["signature", "image_sha256", "signer_name", "signed_at", "witness"]
)
def test_a_changed_signature_record_is_caught(pdf: bytes, field: str) -> None:
    def flip(evidence: dict[str, Any]) -> None:
        record = evidence["signatures"][2]
        value = record[field]
        if field == "signed_at":
            record[field] = value.replace(":00Z", ":01Z")
        elif field == "signer_name":
            record[field] = value + "x"
        elif field == "witness":
            record[field] = {**value, "name": "Iemand Anders"}
        else:
            record[field] = ("1" if value[0] != "1" else "2") + value[1:]

    report = verify_pdf(_rewrite_evidence(pdf, _edit_json(flip)))
    assert report.outcome is VerifyOutcome.INVALID
    assert not report.signers[2].valid
    assert report.signers[0].valid and report.signers[1].valid and report.signers[3].valid


def test_a_swapped_signature_drawing_is_caught(pdf: bytes) -> None:
    def swap(evidence: dict[str, Any]) -> None:
        evidence["signatures"][1]["image_png"] = base64.b64encode(signature_png(99)).decode()

    report = verify_pdf(_rewrite_evidence(pdf, _edit_json(swap)))
    assert report.outcome is VerifyOutcome.INVALID and not report.signers[1].valid


def test_a_paper_printed_from_another_plan_is_caught(signed: SignedPlan) -> None:
    """A forger prints other agreements but embeds the genuine, signed data."""
    plan = signed.plan
    other = replace(
        plan, agreements=(replace(plan.agreements[0], what="Iets anders."), *plan.agreements[1:])
    )
    forged = plan_pdf.render_plan_pdf(plan, signed.signatures, language="nl", visible_plan=other)
    report = verify_pdf(forged)
    assert report.outcome is VerifyOutcome.INVALID


def test_unreadable_files(tmp_path: Path, pdf: bytes) -> None:
    assert verify_pdf(b"not a pdf").outcome is VerifyOutcome.UNREADABLE
    assert verify_pdf(pdf[: len(pdf) // 3]).outcome is not VerifyOutcome.VALID
    assert verify_pdf(tmp_path / "missing.pdf").outcome is VerifyOutcome.UNREADABLE
    plain = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(plain)
    assert verify_pdf(plain.getvalue()).outcome is VerifyOutcome.UNREADABLE


@pytest.mark.parametrize("which", ["evidence", "signature"])
def test_a_newer_format_is_unreadable_here_not_changed(pdf: bytes, which: str) -> None:
    """A PDF from a newer app is not called changed (an older verify did that to format 2)."""

    def newer(evidence: dict[str, Any]) -> None:
        if which == "evidence":
            evidence["format"] = "keukentafel-evidence/2"
        else:
            evidence["signatures"][1]["format"] = "keukentafel-signature/3"

    report = verify_pdf(_rewrite_evidence(pdf, _edit_json(newer)))
    assert report.outcome is VerifyOutcome.UNREADABLE
    assert any("nieuwere versie" in p for p in report.problems)

    def unknown(evidence: dict[str, Any]) -> None:
        evidence["signatures"][1]["format"] = "something-else/1"

    assert verify_pdf(_rewrite_evidence(pdf, _edit_json(unknown))).outcome is VerifyOutcome.INVALID


def test_the_cli_prints_the_report_and_exits(
    tmp_path: Path, pdf: bytes, capsys: pytest.CaptureFixture[str], in_english: None
) -> None:
    good = tmp_path / "plan.pdf"
    good.write_bytes(pdf)
    assert run_verify_cli(good) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID") and RESIDENT_NAME in out and "check code" in out

    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(_rewrite_content(pdf, b"Afspraak 3: samen", b"Afspraak 8: samen"))
    assert run_verify_cli(bad) == 1
    assert capsys.readouterr().out.startswith("NOT VALID")

    assert run_verify_cli(tmp_path / "nothing.pdf") == 2
    assert capsys.readouterr().out.startswith("CANNOT CHECK")


def test_a_sealed_copy_of_the_pdf_is_kept(store: CaseStore, signed: SignedPlan, pdf: bytes) -> None:
    from models.signing import load_plan_pdf, save_plan_pdf

    assert load_plan_pdf(store, signed) is None
    save_plan_pdf(store, signed, pdf)
    assert load_plan_pdf(store, signed) == pdf
    assert pdf[:200] not in store.path.read_bytes()


def test_reprs_carry_no_names(signed: SignedPlan) -> None:
    shown = repr(signed)
    assert RESIDENT_NAME not in shown and NEIGHBOUR_NAME not in shown
    assert "Afspraak" not in shown and "İstanbul" not in shown
