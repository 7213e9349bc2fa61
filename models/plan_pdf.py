"""The plan on paper: a PDF for the resident, in plain Dutch (B1) or English, large type.

Why it looks like this: many residents read poorly, so the body text is 14 pt, sentences are short
and the structure follows the meeting (who was there, the three questions, the agreements, the
signatures). The paper must also prove itself, so it shows exactly the signed texts and ends with
the plan's SHA-256 and a short check code, and carries the evidence inside the file:

- an embedded file ``keukentafel-plan.json`` (a PDF "attachment", in the catalogue's
  ``/Names /EmbeddedFiles`` tree) with the plan, its hash, the language, and each signature record
  with the drawn PNG (base64) and the device's public key: ``models.verify`` needs nothing else;
- the hash and check code also in the document's Subject and Keywords, for a quick look.

The font is DejaVu Sans, shipped in ``assets/fonts`` (no system font needed): it covers Dutch,
Turkish, Polish and most Latin, Greek and Cyrillic text. A character it cannot show (an emoji, a
control character) is printed as U+FFFD instead of breaking the PDF; ``displayable`` is the one
rule for that, and verify uses it too when it compares the printed text with the signed text.

reportlab has no public API for embedded files, so ``_attach`` builds the PDF objects with
reportlab's own ``pdfdoc`` classes; the verify round-trip tests fail if a reportlab upgrade
breaks that.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from babel.dates import format_date, format_datetime
from reportlab.graphics.charts.spider import SpiderChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFStream,
    PDFString,
    PDFZCompress,
)
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from models.calendar import AMSTERDAM
from models.domain import ParticipantRole
from models.i18n import _, current_language
from models.plan import Plan, check_code, plan_hash, plan_to_json
from models.signing import Signature, SignatureRecord, SignedPlan

EVIDENCE_FILENAME: Final = "keukentafel-plan.json"
EVIDENCE_FORMAT_PREFIX: Final = "keukentafel-evidence/"
EVIDENCE_FORMAT: Final = EVIDENCE_FORMAT_PREFIX + "1"
FONT_DIR: Final = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT: Final = "KeukentafelSans"
FONT_BOLD: Final = "KeukentafelSans-Bold"
REPLACEMENT: Final = "\ufffd"

BODY_SIZE: Final = 14
MARGIN: Final = 20 * mm
CONTENT_WIDTH: Final = A4[0] - 2 * MARGIN
SIGNATURE_BOX: Final = (70 * mm, 25 * mm)


# -- fonts and text --------------------------------------------------------------------------------


@functools.cache
def _fonts() -> frozenset[int]:
    """Register the embedded fonts once per process; returns the code points they can show."""
    regular = TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf"))
    bold = TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
    return frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)


def displayable(text: str) -> str:
    """``text`` as printed: NFC, with characters the font lacks (and control characters) as U+FFFD.

    Line breaks and tabs become spaces: a plan item is one paragraph.
    """
    covered = _fonts()
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in "\n\r\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") or ord(char) not in covered:
            out.append(REPLACEMENT)
        else:
            out.append(char)
    return "".join(out)


def format_day(day: date, language: str) -> str:
    return format_date(day, "d MMMM y", locale=language)


def format_moment(moment: datetime, language: str) -> str:
    """A signing time as people read it: Amsterdam wall-clock time."""
    return format_datetime(moment, "d MMMM y, HH:mm", tzinfo=AMSTERDAM, locale=language)


def group_hex(digest: bytes) -> str:
    text = digest.hex()
    return " ".join(text[i : i + 8] for i in range(0, len(text), 8))


def health_dimension_labels() -> dict[str, str]:
    return {
        "bodily_functions": _("Body"),
        "mental_wellbeing": _("Mental wellbeing"),
        "meaningfulness": _("Meaning"),
        "quality_of_life": _("Quality of life"),
        "participation": _("Taking part"),
        "daily_functioning": _("Daily life"),
    }


def witness_texts(record: SignatureRecord) -> list[str]:
    """The signed witness values as printed under a signature: name, role, organisation."""
    w = record.witness
    return [] if w is None else [t for t in (w.name, w.role, w.organisation) if t]


def _witness_line(record: SignatureRecord) -> str | None:
    w = record.witness
    if w is None:
        return None
    who = ", ".join(t for t in (w.name, w.role, w.organisation) if t)
    return _("Witness: {who}").format(who=who)


def visible_texts(plan: Plan, signatures: Sequence[Signature], language: str) -> list[str]:
    """Every signed value exactly as the PDF prints it, in the order it is printed.

    ``models.verify`` looks for these, in this order, in the text extracted from a PDF.
    """
    texts: list[str] = [format_day(plan.meeting_date, language)]
    for p in plan.participants:
        texts += [p.name] + [t for t in (p.relation, p.organisation) if t]
    for items in (plan.wants, plan.strengths, plan.needs):
        texts += list(items)
    for a in plan.agreements:
        texts += [a.what] + ([a.outside_norm_reason] if a.outside_norm_reason else [])
        texts += [a.owner_name, format_day(a.due_date, language)]
    if plan.positive_health:
        texts += [str(score) for _dim, score in plan.positive_health]
    for s in signatures:
        texts += [s.record.signer_name, format_moment(s.record.signed_at, language)]
        texts += witness_texts(s.record)
    digest = plan_hash(plan)
    texts += [check_code(digest), group_hex(digest)]
    return [displayable(t) for t in texts if t]


# -- evidence --------------------------------------------------------------------------------------


def evidence(plan: Plan, signatures: Sequence[Signature], language: str) -> dict[str, Any]:
    """What ``models.verify`` reads from the PDF: plan, hash and the signature records."""
    digest = plan_hash(plan)
    return {
        "format": EVIDENCE_FORMAT,
        "language": language,
        "plan": plan_to_json(plan),
        "plan_sha256": digest.hex(),
        "check_code": check_code(digest),
        "signatures": [
            {**s.record.to_json(), "image_png": base64.b64encode(s.image).decode("ascii")}
            for s in signatures
        ],
    }


def _attach(canvas: Canvas, name: str, data: bytes) -> None:
    """Embed ``data`` as a file attachment named ``name`` (PDF 1.7 section 7.11.4)."""
    doc = canvas._doc
    stream = PDFStream(
        PDFDictionary(
            {
                "Type": "/EmbeddedFile",
                "Subtype": "/application#2Fjson",
                "Params": PDFDictionary({"Size": len(data)}),
            }
        ),
        content=data,
        filters=[PDFZCompress],
    )
    spec = PDFDictionary(
        {
            "Type": "/Filespec",
            "F": PDFString(name),
            "UF": PDFString(name),
            "Desc": PDFString("Keukentafel plan and signatures (verify with: keukentafel verify)"),
            "EF": PDFDictionary({"F": doc.Reference(stream)}),
            "AFRelationship": "/Data",
        }
    )
    doc.Catalog.Names = PDFDictionary(
        {
            "EmbeddedFiles": PDFDictionary(
                {"Names": PDFArray([PDFString(name), doc.Reference(spec)])}
            )
        }
    )


def numbered_canvas(
    footer: Callable[[int, int], str],
    *,
    font_size: int = 12,
    baseline: float = 10 * mm,
    before_save: Callable[[Canvas], None] | None = None,
) -> type[Canvas]:
    """A canvas that writes ``footer(page, pages)`` ("page X of Y") at the foot of every page.

    ``before_save`` runs once, after the last page, before the file is written (the plan PDF
    embeds its evidence there). Shared by the plan PDF and the team report.
    """

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, font_size)
                self.setFillColor(colors.black)
                self.drawCentredString(A4[0] / 2, baseline, footer(number, total))
                super().showPage()
            if before_save is not None:
                before_save(self)
            super().save()

    return NumberedCanvas


def _canvas_maker(footer: Callable[[int, int], str], attachment: bytes) -> type[Canvas]:
    """The plan's numbered canvas, which embeds the evidence at save."""
    return numbered_canvas(
        footer, before_save=lambda canvas: _attach(canvas, EVIDENCE_FILENAME, attachment)
    )


# -- layout ----------------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        _fonts()
        self.body = ParagraphStyle(
            "body", fontName=FONT, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.35, alignment=TA_LEFT
        )
        self.item = ParagraphStyle(
            "item",
            parent=self.body,
            leftIndent=8 * mm,
            bulletIndent=2 * mm,
            bulletFontName=FONT,
            spaceAfter=3,
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=12, leading=16)
        self.cell = ParagraphStyle("cell", parent=self.body, leading=BODY_SIZE * 1.25)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell, fontName=FONT_BOLD)
        self.title = ParagraphStyle(
            "title", parent=self.body, fontName=FONT_BOLD, fontSize=24, leading=30, spaceAfter=6
        )
        self.heading = ParagraphStyle(
            "heading",
            parent=self.body,
            fontName=FONT_BOLD,
            fontSize=18,
            leading=23,
            spaceBefore=14,
            spaceAfter=6,
            keepWithNext=1,
        )
        self.heading_free = ParagraphStyle("heading_free", parent=self.heading, keepWithNext=0)
        self.code = ParagraphStyle(
            "code", parent=self.body, fontName=FONT_BOLD, fontSize=22, leading=28
        )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (never markup): escaped, and shown in the embedded font."""
    return Paragraph(escape(displayable(text)), style)


def role_label(role: str) -> str:
    return {
        ParticipantRole.RESIDENT.value: _("resident"),
        ParticipantRole.NETWORK.value: _("network"),
        ParticipantRole.PROFESSIONAL.value: _("professional"),
    }.get(role, role)


def _list_section(title: str, items: Sequence[str], st: _Styles) -> list[Flowable]:
    out: list[Flowable] = [_p(title, st.heading)]
    if not items:
        out.append(_p(_("(nothing written down)"), st.body))
    for item in items:
        out.append(Paragraph(escape(displayable(item)), st.item, bulletText="\u2022"))
    return out


def _agreements(plan: Plan, st: _Styles, language: str) -> list[Flowable]:
    # Not keep-with-next: that would push the whole table to the next page. Start on a new page
    # only when the heading and the first rows would not fit.
    out: list[Flowable] = [CondPageBreak(60 * mm), _p(_("Our agreements"), st.heading_free)]
    if not plan.agreements:
        return [*out, _p(_("No agreements were made."), st.body)]
    rows: list[list[Any]] = [
        [_p(_("What"), st.cell_head), _p(_("Who"), st.cell_head), _p(_("Ready by"), st.cell_head)]
    ]
    for a in plan.agreements:
        what: list[Flowable] = [_p(a.what, st.cell)]
        if a.outside_norm_reason:
            what.append(_p(_("Takes longer than six weeks, because:"), st.cell_head))
            what.append(_p(a.outside_norm_reason, st.cell))
        rows.append(
            [what, _p(a.owner_name, st.cell), _p(format_day(a.due_date, language), st.cell)]
        )
    table = Table(
        rows,
        colWidths=[CONTENT_WIDTH * 0.44, CONTENT_WIDTH * 0.26, CONTENT_WIDTH * 0.30],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.75, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    out.append(table)
    return out


def _health(plan: Plan, st: _Styles) -> list[Flowable]:
    if not plan.positive_health:
        return []
    labels = health_dimension_labels()
    names = [labels.get(d, d) for d, _s in plan.positive_health]
    scores = [s for _d, s in plan.positive_health]
    drawing = Drawing(CONTENT_WIDTH * 0.55, 75 * mm)
    chart = SpiderChart()
    chart.x, chart.y = 18 * mm, 8 * mm
    chart.width, chart.height = CONTENT_WIDTH * 0.55 - 36 * mm, 60 * mm
    # A second, invisible strand at 10 fixes the scale at 0..10 (the chart scales to its maximum).
    chart.data = [scores, [10] * len(scores)]
    chart.labels = [displayable(n) for n in names]
    chart.strands[0].fillColor = colors.HexColor("#9ccbe8")
    chart.strands[0].strokeColor = colors.HexColor("#1f5f8b")
    chart.strands[0].strokeWidth = 2
    chart.strands[1].fillColor = None
    chart.strands[1].strokeColor = colors.lightgrey
    chart.strands[1].strokeWidth = 0.5
    chart.spokeLabels.fontName = FONT
    chart.spokeLabels.fontSize = 11
    chart.strandLabels.fontName = FONT
    drawing.add(chart)
    legend = Table(
        [[_p(n, st.cell), _p(str(s), st.cell)] for n, s in zip(names, scores, strict=True)],
        colWidths=[CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.1],
    )
    legend.setStyle(
        TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT"), ("TOPPADDING", (0, 0), (-1, -1), 1)])
    )
    side = Table([[drawing, legend]], colWidths=[CONTENT_WIDTH * 0.58, CONTENT_WIDTH * 0.42])
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return [
        KeepTogether(
            [
                _p(_("Positive Health"), st.heading),
                _p(_("How you scored yourself (0 = very bad, 10 = very good):"), st.body),
                side,
            ]
        )
    ]


def _signatures(
    plan: Plan, signatures: Sequence[Signature], st: _Styles, language: str
) -> list[Flowable]:
    out: list[Flowable] = [_p(_("Signatures"), st.heading)]
    if not signatures:
        return [*out, _p(_("Nobody has signed yet."), st.body)]
    for s in signatures:
        image = Image(io.BytesIO(s.image))
        w, h = ImageReader(io.BytesIO(s.image)).getSize()
        scale = min(SIGNATURE_BOX[0] / w, SIGNATURE_BOX[1] / h)
        image.drawWidth, image.drawHeight = w * scale, h * scale
        text = [
            _p(s.record.signer_name, st.cell_head),
            _p(role_label(s.record.role), st.cell),
            _p(format_moment(s.record.signed_at, language), st.cell),
        ]
        witness = _witness_line(s.record)
        if witness is not None:
            text.append(_p(witness, st.cell))
        row = Table([[text, image]], colWidths=[CONTENT_WIDTH - SIGNATURE_BOX[0] - 6 * mm, None])
        row.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.75, colors.grey),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        out.append(KeepTogether([row, Spacer(1, 3 * mm)]))
    return out + _not_signed(plan, signatures, st)


def _not_signed(plan: Plan, signatures: Sequence[Signature], st: _Styles) -> list[Flowable]:
    """Who took part but did not sign this version (the plan holds for those who did)."""
    signed = {s.record.signer_id for s in signatures}
    missing = [p for p in plan.participants if p.id not in signed]
    if not missing:
        return []
    out: list[Flowable] = [_p(_("These people took part but did not sign:"), st.body)]
    for p in missing:
        label = p.relation or role_label(p.role)
        out.append(
            Paragraph(
                f"{escape(displayable(p.name))} ({escape(displayable(label))})",
                st.item,
                bulletText="\u2022",
            )
        )
    out.append(Spacer(1, 3 * mm))
    return out


def _check_section(plan: Plan, st: _Styles) -> list[Flowable]:
    digest = plan_hash(plan)
    return [
        KeepTogether(
            [
                _p(_("How to check this paper"), st.heading),
                _p(_("Check code:"), st.body),
                _p(check_code(digest), st.code),
                Spacer(1, 2 * mm),
                _p(
                    _(
                        "Everyone who signed above signed exactly this text. Do you want to know "
                        "if nothing has changed? Ask your care worker to open the plan in the app. "
                        "The app shows a check code. It must be the same as the code above."
                    ),
                    st.body,
                ),
                Spacer(1, 2 * mm),
                _p(
                    _(
                        "The PDF file can check itself: keukentafel verify FILE. "
                        "The fingerprint of the plan (SHA-256) is:"
                    ),
                    st.body,
                ),
                _p(group_hex(digest), st.small),
            ]
        )
    ]


def render_plan_pdf(
    plan: Plan,
    signatures: Sequence[Signature],
    *,
    language: str | None = None,
    visible_plan: Plan | None = None,
) -> bytes:
    """The PDF of ``plan`` with its ``signatures``, in ``language`` (default: the app's language).

    ``visible_plan`` prints another plan than the one embedded: only for tests that forge papers.
    """
    language = language or current_language()
    shown = visible_plan or plan
    st = _Styles()
    resident = next((p for p in shown.participants if p.role == "resident"), None)
    story: list[Flowable] = [_p(_("Our kitchen-table plan"), st.title)]
    if resident is not None:
        story.append(_p(resident.name, st.heading))
    story += [
        _p(_("Meeting on {date}").format(date=format_day(shown.meeting_date, language)), st.body),
        _p(_("Version {number}").format(number=shown.version), st.body),
        _p(_("Who took part"), st.heading),
    ]
    for p in shown.participants:
        parts = [p.relation or role_label(p.role)] + ([p.organisation] if p.organisation else [])
        story.append(
            Paragraph(
                f"<b>{escape(displayable(p.name))}</b> ({escape(displayable(', '.join(parts)))})",
                st.item,
                bulletText="\u2022",
            )
        )
    story += _list_section(_("I want"), shown.wants, st)
    story += _list_section(_("I can"), shown.strengths, st)
    story += _list_section(_("I need"), shown.needs, st)
    story += _agreements(shown, st, language)
    story += _health(shown, st)
    story += _signatures(shown, signatures, st, language)
    story += _check_section(shown, st)

    digest = plan_hash(plan)
    attachment = json.dumps(
        evidence(plan, signatures, language), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=_("Kitchen-table plan, version {number}").format(number=plan.version),
        author="Keukentafel",
        subject=_("Check code {code}").format(code=check_code(digest)),
        keywords=f"keukentafel-plan sha256:{digest.hex()}",
        creator="Keukentafel",
        lang=language,
    )
    page_of = _("page {number} of {total}")
    doc.build(
        story,
        canvasmaker=_canvas_maker(
            lambda n, total: page_of.format(number=n, total=total), attachment
        ),
    )
    return buffer.getvalue()


def build_plan_pdf(signed: SignedPlan, *, language: str | None = None) -> bytes:
    """The PDF of a frozen version with all its signatures."""
    return render_plan_pdf(signed.plan, signed.signatures, language=language)
