"""The team report on paper: the monitoring figures with the stories behind them, and what is late.

Twice a year a team lead reports what the way of working achieves: "tellen en vertellen",
figures together with the stories behind them. This PDF is that report, made from the server's
answers (``sync.team_protocol``) by the app (export on the dashboard) and by the server
(``GET /api/v1/team/report.pdf``), so both give the same paper.

Layout, in reading order: title, team, period and "as of"; the MDO figures and the agreement
figures as tables; wellbeing per moment as a bar chart with the programme's line
"3,5 → 8,3 → 8,5" and the number of residents under each bar; Positive Health as a spider chart
(only dimensions someone was measured on; left out when nobody was); agreements per organisation
as horizontal bars (made, done, overdue now) with a table; then the stories (question and
outcome, only of residents who consented); last the overdue list, grouped by professional.

Like the plan PDF (``models.plan_pdf``): DejaVu Sans embedded (every Dutch, Turkish, Polish
diacritic prints), text through ``displayable``, large type (12-14 pt body), "page X of Y" on every
page, Dutch by default and English when asked. Charts are reportlab graphics: vectors in the PDF,
no images, no extra dependency.

``language`` switches the process-wide language (``models.i18n``) for the build and restores it
afterwards; the server serves one request at a time per worker thread only for this function's
duration, which is what the app's one-user-at-a-time i18n model allows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Final
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.spider import SpiderChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from models import team_report as tr
from models.i18n import _, current_language, set_language
from models.plan_pdf import (
    FONT,
    FONT_BOLD,
    displayable,
    format_moment,
    health_dimension_labels,
    numbered_canvas,
)
from sync.team_protocol import MonitoringFigures, OverdueReport

MARGIN: Final = 18 * mm
CONTENT_WIDTH: Final = A4[0] - 2 * MARGIN
BODY_SIZE: Final = 13
GREEN: Final = colors.HexColor("#1B5E20")
LIGHT_GREEN: Final = colors.HexColor("#81C784")
ORANGE: Final = colors.HexColor("#E65100")
BLUE: Final = colors.HexColor("#1f5f8b")
LIGHT_BLUE: Final = colors.HexColor("#9ccbe8")
ROW_SHADE: Final = colors.HexColor("#F1F5F1")


@contextmanager
def _speaking(language: str | None) -> Iterator[str]:
    before = current_language()
    if language:
        set_language(language)
    try:
        yield current_language()
    finally:
        set_language(before)


# -- styles and small pieces -----------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        displayable("")  # registers the fonts
        self.body = ParagraphStyle(
            "body", fontName=FONT, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.35
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=11, leading=14)
        self.intro = ParagraphStyle("intro", parent=self.small, keepWithNext=1)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=12, leading=15)
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.cell, fontName=FONT_BOLD)
        self.title = ParagraphStyle(
            "title", parent=self.body, fontName=FONT_BOLD, fontSize=24, leading=30, spaceAfter=4
        )
        self.heading = ParagraphStyle(
            "heading",
            parent=self.body,
            fontName=FONT_BOLD,
            fontSize=17,
            leading=22,
            spaceBefore=12,
            spaceAfter=6,
            keepWithNext=1,
        )
        self.subheading = ParagraphStyle(
            "subheading",
            parent=self.heading,
            fontSize=14,
            leading=18,
            spaceBefore=8,
            spaceAfter=3,
        )
        self.big = ParagraphStyle(
            "big", parent=self.body, fontName=FONT_BOLD, fontSize=20, leading=26, textColor=GREEN
        )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(displayable(text)), style)


def _rows_table(rows: Sequence[tuple[str, str]], st: _Styles) -> Table:
    table = Table(
        [[_p(label, st.cell), _p(value, st.cell_bold)] for label, value in rows],
        colWidths=[CONTENT_WIDTH * 0.62, CONTENT_WIDTH * 0.38],
    )
    table.setStyle(
        TableStyle(
            [
                ("ROWBACKGROUNDS", (0, 0), (-1, -1), [ROW_SHADE, colors.white]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _canvas_maker(footer: Callable[[int, int], str]) -> type[Canvas]:
    """A canvas that writes "page X of Y" at the foot of every page."""
    return numbered_canvas(footer, font_size=11, baseline=9 * mm)


# -- sections --------------------------------------------------------------------------------------


def _heading(
    overdue: OverdueReport | None, figures: MonitoringFigures, st: _Styles, language: str
) -> list[Flowable]:
    out: list[Flowable] = [
        _p(_("Team report"), st.title),
        _p(figures.team_name, st.heading),
        _p(
            _("Period: {period}").format(
                period=tr.period_text(figures.start, figures.end, language)
            ),
            st.body,
        ),
        _p(
            _("Figures as of {moment}").format(moment=format_moment(figures.as_of, language)),
            st.body,
        ),
    ]
    if overdue is not None:
        out.append(
            _p(
                _("Overdue list as of {moment}").format(
                    moment=format_moment(overdue.as_of, language)
                ),
                st.body,
            )
        )
    return out


def _counts(figures: MonitoringFigures, st: _Styles, language: str) -> list[Flowable]:
    return [
        _p(_("MDOs"), st.heading),
        _rows_table(tr.mdo_rows(figures, language), st),
        _p(_("Agreements"), st.heading),
        _rows_table(tr.agreement_rows(figures, language), st),
    ]


def _wellbeing(figures: MonitoringFigures, st: _Styles, language: str) -> list[Flowable]:
    out: list[Flowable] = [
        _p(_("Wellbeing"), st.heading),
        _p(_("Average score (0 to 10) the residents gave themselves, per moment:"), st.body),
        _p(tr.wellbeing_line(figures.wellbeing, language), st.big),
    ]
    shown = tr.measured(figures.wellbeing)
    if not shown:
        out.append(_p(_("Nobody was measured in this period."), st.body))
        return out
    height = 70 * mm
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 16 * mm
    chart.width, chart.height = CONTENT_WIDTH - 20 * mm, height - 24 * mm
    chart.data = [[f.average or 0.0 for f in shown]]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 10, 2
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 10
    chart.categoryAxis.categoryNames = [
        f"{displayable(tr.moment_label(f.moment))}\nn = {f.residents}" for f in shown
    ]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 11
    chart.categoryAxis.labels.dy = -4
    chart.categoryAxis.labels.leading = 13
    chart.bars[0].fillColor = GREEN
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = lambda v: tr.decimal(v, language)
    chart.barLabels.fontName = FONT_BOLD
    chart.barLabels.fontSize = 13
    chart.barLabels.nudge = 9
    chart.barWidth = 14
    drawing.add(chart)
    out.append(KeepTogether([drawing]))
    return out


def _health(figures: MonitoringFigures, st: _Styles, language: str) -> list[Flowable]:
    shown = [d for d in figures.positive_health if d.average is not None and d.residents > 0]
    if not shown:
        return []
    labels = health_dimension_labels()
    names = [labels.get(d.dimension, d.dimension) for d in shown]
    drawing = Drawing(CONTENT_WIDTH * 0.55, 78 * mm)
    chart = SpiderChart()
    chart.x, chart.y = 18 * mm, 8 * mm
    chart.width, chart.height = CONTENT_WIDTH * 0.55 - 36 * mm, 62 * mm
    scores = [d.average or 0.0 for d in shown]
    chart.data = [scores, [10.0] * len(scores)]  # the invisible strand fixes the scale at 0..10
    chart.labels = [displayable(n) for n in names]
    chart.strands[0].fillColor = LIGHT_BLUE
    chart.strands[0].strokeColor = BLUE
    chart.strands[0].strokeWidth = 2
    chart.strands[1].fillColor = None
    chart.strands[1].strokeColor = colors.lightgrey
    chart.strands[1].strokeWidth = 0.5
    chart.spokeLabels.fontName = FONT
    chart.spokeLabels.fontSize = 10
    chart.strandLabels.fontName = FONT
    drawing.add(chart)
    legend = Table(
        [[_p(_("Dimension"), st.cell_bold), _p(_("Average"), st.cell_bold), _p("n", st.cell_bold)]]
        + [
            [
                _p(n, st.cell),
                _p(tr.decimal(d.average, language), st.cell),
                _p(str(d.residents), st.cell),
            ]
            for n, d in zip(names, shown, strict=True)
        ],
        colWidths=[CONTENT_WIDTH * 0.19, CONTENT_WIDTH * 0.19, CONTENT_WIDTH * 0.05],
    )
    legend.setStyle(
        TableStyle([("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("TOPPADDING", (0, 0), (-1, -1), 1)])
    )
    side = Table([[drawing, legend]], colWidths=[CONTENT_WIDTH * 0.57, CONTENT_WIDTH * 0.43])
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return [
        KeepTogether(
            [
                _p(_("Positive Health"), st.heading),
                _p(_("Average per dimension (0 to 10), of the residents measured:"), st.body),
                side,
            ]
        )
    ]


def _organisations(figures: MonitoringFigures, st: _Styles) -> list[Flowable]:
    rows = figures.per_organisation
    if not rows:
        return []
    names = [tr.organisation_name(o.organisation_id, o.organisation_name) for o in rows]
    row_height = 9 * mm
    height = len(rows) * row_height + 26 * mm
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 52 * mm, 18 * mm
    chart.width, chart.height = CONTENT_WIDTH - 58 * mm, height - 22 * mm
    # reportlab draws the first category and the first series at the bottom: reverse both, so
    # the organisations read top-down and each shows made, done, overdue from the top.
    chart.data = [
        [o.overdue_now for o in reversed(rows)],
        [o.done for o in reversed(rows)],
        [o.made for o in reversed(rows)],
    ]
    chart.categoryAxis.categoryNames = [displayable(n) for n in reversed(names)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 10
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 9
    chart.valueAxis.forceZero = 1
    for index, colour in enumerate((ORANGE, LIGHT_GREEN, BLUE)):
        chart.bars[index].fillColor = colour
        chart.bars[index].strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 4
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 52 * mm, 8
    legend.alignment = "right"
    legend.fontName = FONT
    legend.fontSize = 10
    legend.columnMaximum = 1
    legend.deltax = 40 * mm
    legend.colorNamePairs = [
        (BLUE, displayable(_("made"))),
        (LIGHT_GREEN, displayable(_("done"))),
        (ORANGE, displayable(_("overdue now"))),
    ]
    drawing.add(legend)
    table = Table(
        [
            [
                _p(_("Organisation"), st.cell_bold),
                _p(_("made"), st.cell_bold),
                _p(_("done"), st.cell_bold),
                _p(_("overdue now"), st.cell_bold),
            ]
        ]
        + [
            [
                _p(n, st.cell),
                _p(str(o.made), st.cell),
                _p(str(o.done), st.cell),
                _p(str(o.overdue_now), st.cell),
            ]
            for n, o in zip(names, rows, strict=True)
        ],
        colWidths=[
            CONTENT_WIDTH * 0.46,
            CONTENT_WIDTH * 0.16,
            CONTENT_WIDTH * 0.16,
            CONTENT_WIDTH * 0.22,
        ],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [ROW_SHADE, colors.white]),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ]
        )
    )
    return [
        _p(_("Agreements per organisation"), st.heading),
        KeepTogether([drawing]),
        Spacer(1, 10),
        table,
    ]


def _stories(figures: MonitoringFigures, st: _Styles) -> list[Flowable]:
    head: list[Flowable] = [
        _p(_("The stories behind the figures"), st.heading),
        _p(_("In their own words, from residents who agreed to share them."), st.intro),
    ]
    if not figures.stories:
        return [*head, _p(_("No stories to share in this period."), st.body)]
    out: list[Flowable] = []
    for number, story in enumerate(figures.stories, start=1):
        block = Table(
            [
                [_p(_("Story {number}").format(number=number), st.subheading)],
                [_p(_("The question"), st.cell_bold)],
                [_p(story.question, st.body)],
                [_p(_("What came of it"), st.cell_bold)],
                [_p(story.outcome or tr.DASH, st.body)],
            ],
            colWidths=[CONTENT_WIDTH],
        )
        block.setStyle(
            TableStyle(
                [
                    ("LINEBEFORE", (0, 0), (0, -1), 3, LIGHT_GREEN),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        # The heading stays with the first story: never alone at the foot of a page.
        out += [KeepTogether([*head, block]) if number == 1 else KeepTogether([block])]
        out.append(Spacer(1, 6))
    return out


def _overdue(overdue: OverdueReport | None, st: _Styles, language: str) -> list[Flowable]:
    if overdue is None:
        return []
    out: list[Flowable] = [
        _p(_("Overdue and due soon"), st.heading),
        _p(
            _("As of {moment}, grouped by professional, most late first.").format(
                moment=format_moment(overdue.as_of, language)
            ),
            st.small,
        ),
    ]
    if not overdue.items:
        out.append(_p(_("Nothing is overdue or due soon."), st.body))
        return out
    for group in tr.group_items(overdue.items, tr.Grouping.PROFESSIONAL):
        head = _p(f"{group.name} · {tr.group_summary(group)}", st.subheading)
        rows = [
            [
                _p(item.resident_name, st.cell),
                _p(tr.item_text(item), st.cell),
                _p(tr.short_day(item.due, language), st.cell),
                _p(tr.lateness(item.days_late), st.cell_bold if tr.is_late(item) else st.cell),
            ]
            for item in group.items
        ]
        table = Table(
            rows,
            colWidths=[
                CONTENT_WIDTH * 0.24,
                CONTENT_WIDTH * 0.40,
                CONTENT_WIDTH * 0.16,
                CONTENT_WIDTH * 0.20,
            ],
        )
        table.setStyle(
            TableStyle(
                [
                    ("ROWBACKGROUNDS", (0, 0), (-1, -1), [ROW_SHADE, colors.white]),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        out += [head, table]
    return out


# -- the document ----------------------------------------------------------------------------------


def build_team_report_pdf(
    overdue: OverdueReport | None, figures: MonitoringFigures, *, language: str | None = None
) -> bytes:
    """The team report for ``figures`` (and the overdue list when given), in ``language``
    (default: the app's language)."""
    with _speaking(language) as lang:
        st = _Styles()
        story: list[Flowable] = []
        story += _heading(overdue, figures, st, lang)
        story += _counts(figures, st, lang)
        story += _wellbeing(figures, st, lang)
        story += _health(figures, st, lang)
        story += _organisations(figures, st)
        story += _stories(figures, st)
        story += _overdue(overdue, st, lang)
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=_("Team report {team}, {period}").format(
                team=figures.team_name, period=tr.period_text(figures.start, figures.end, lang)
            ),
            author="Keukentafel",
            creator="Keukentafel",
            lang=lang,
        )
        page_of = _("page {number} of {total}")
        doc.build(
            story,
            canvasmaker=_canvas_maker(lambda n, total: page_of.format(number=n, total=total)),
        )
        return buffer.getvalue()
