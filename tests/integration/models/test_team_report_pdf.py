"""The team report PDF, read back: every figure, a story, the overdue list, diacritics intact.

Pages are also rendered to PNG in ``test-output/team-report/`` for a person to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from models import team_report as tr
from models.i18n import current_language
from models.team_report_pdf import build_team_report_pdf
from sync.team_protocol import MonitoringFigures
from tests.support.team_reports import (
    DIACRITIC_PROFESSIONAL,
    DIACRITIC_RESIDENT,
    STORY_OUTCOME,
    STORY_QUESTION,
    TEAM_NAME,
    an_overdue_report,
    some_figures,
)

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "team-report"


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


def test_every_figure_and_a_story_are_printed_in_dutch() -> None:
    figures = some_figures()
    overdue = an_overdue_report()
    pdf = build_team_report_pdf(overdue, figures, language="nl")
    text = _text(pdf)
    squashed = _squash(text)
    assert "Teamrapportage" in text
    assert TEAM_NAME in text
    # the MDO figures
    for value in ("23", "17", "13 van 17 (76%)", "11,5 dagen", "4"):
        assert _squash(value) in squashed, value
    # the agreement figures
    for value in ("39", "24", "19 van 39 (49%)", "23,0 dagen", "6"):
        assert _squash(value) in squashed, value
    # wellbeing the programme's way, with the residents behind each figure
    assert _squash("3,5 → 8,3 → 8,5 (n = 12 · 10 · 7)") in squashed
    for n in (12, 10, 7):
        assert f"n = {n}" in text
    # Positive Health averages and the organisations
    for dimension in figures.positive_health:
        assert tr.decimal(dimension.average, "nl") in text
    for name in ("GGD Hart voor Brabant", "BrabantWonen", "ONS Welzijn"):
        assert name in text
    # a story, in the resident's words, and the overdue list grouped with diacritics intact
    assert _squash(STORY_QUESTION) in squashed
    assert _squash(STORY_OUTCOME) in squashed
    assert _squash(DIACRITIC_RESIDENT) in squashed  # a narrow column may wrap it
    assert DIACRITIC_PROFESSIONAL in text
    for item in overdue.items:
        assert _squash(item.resident_name) in squashed
    # page numbers on every page
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"{number} van {len(pages)}" in page.extract_text()
    assert current_language() == "nl"


def test_english_when_asked_and_the_language_is_restored() -> None:
    before = current_language()
    pdf = build_team_report_pdf(an_overdue_report(), some_figures(), language="en")
    text = _text(pdf)
    assert "Team report" in text
    assert _squash("3.5 → 8.3 → 8.5") in _squash(text)
    assert _squash("13 of 17 (76%)") in _squash(text)
    assert "days late" in text
    assert current_language() == before


@pytest.mark.parametrize(
    ("language", "mark"), [("nl", "(doet niet meer mee)"), ("en", "(no longer taking part)")]
)
def test_an_owner_taken_off_the_case_heads_a_group_of_their_own(language: str, mark: str) -> None:
    report = an_overdue_report()
    item = next(i for i in report.items if i.agreement_id is not None and i.professional_name)
    removed = item.model_copy(
        update={"owner_removed": True, "professional_id": None, "professional_name": "Kees Smit"}
    )
    items = [removed if i is item else i for i in report.items]
    pdf = build_team_report_pdf(
        report.model_copy(update={"items": items}), some_figures(), language=language
    )
    squashed = _squash(_text(pdf))
    assert _squash(f"Kees Smit {mark}") in squashed  # the group's heading
    assert _squash(removed.resident_name) in squashed and _squash(removed.what or "") in squashed
    assert squashed.count(_squash(mark)) == 1  # nobody else is marked


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_diacritics(tmp_path: Path) -> None:
    pdf = build_team_report_pdf(an_overdue_report(), some_figures(), language="nl")
    text = _pdftotext(pdf, tmp_path)
    for word in ("Şükrü", "Öztürk-Çelik", "Zoë", "Haïdari", "Ségolène", "→"):
        assert word in text


def test_without_measurements_or_overdue_list_it_still_reads_well() -> None:
    figures: MonitoringFigures = some_figures(measured=False, stories=0)
    pdf = build_team_report_pdf(None, figures, language="nl")
    text = _text(pdf)
    assert TEAM_NAME in text
    assert "Positieve Gezondheid" not in text and "Positive Health" not in text
    assert tr.DASH in text  # the wellbeing line: nobody measured
    assert "Te laat" not in text and "Overdue and due soon" not in text


def test_many_items_and_stories_run_over_pages_with_numbers() -> None:
    pdf = build_team_report_pdf(
        an_overdue_report(items=60), some_figures(stories=12), language="nl"
    )
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 4
    assert f"{len(pages)} van {len(pages)}" in pages[-1].extract_text()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("language", ["nl", "en"])
def test_render_pages_to_png_for_a_person_to_look_at(language: str) -> None:
    pdf = build_team_report_pdf(an_overdue_report(), some_figures(stories=3), language=language)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"team-report-{language}.pdf"
    path.write_bytes(pdf)
    for old in OUTPUT.glob(f"team-report-{language}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(path), str(OUTPUT / f"team-report-{language}")],
        check=True,
    )
    pngs = sorted(OUTPUT.glob(f"team-report-{language}-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(pdf)).pages)
    assert all(p.stat().st_size > 5_000 for p in pngs)
