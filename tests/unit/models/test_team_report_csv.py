"""The team-lead CSV exports: what Dutch Excel opens as it is, with no formula injection."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest

from models.team_report_csv import monitoring_csv, overdue_csv, safe_text
from sync.team_protocol import (
    HealthDimensionFigure,
    MonitoringFigures,
    OrganisationFigure,
    OverdueItem,
    OverdueKind,
    OverdueReport,
    Story,
    WellbeingFigure,
    WellbeingMoment,
)

TEAM = uuid.UUID("00000000-0000-4000-8000-000000000001")
CASE = uuid.UUID("00000000-0000-4000-8000-000000000002")
AS_OF = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def report() -> OverdueReport:
    return OverdueReport(
        team_id=TEAM,
        team_name="Wijkteam",
        today=date(2026, 11, 24),
        as_of=AS_OF,
        items=[
            OverdueItem(
                kind=OverdueKind.AGREEMENT_OVERDUE,
                case_id=CASE,
                agreement_id=CASE,
                resident_name='=HYPERLINK("x")',
                what='Post; rekeningen en "brieven"',
                due=date(2026, 10, 27),
                days_late=28,
                professional_name="Sanne de Vries",
                organisation_id="ggd",
                organisation_name="GGD Hart voor Brabant",
            ),
            OverdueItem(
                kind=OverdueKind.MDO_DUE_SOON,
                case_id=CASE,
                resident_name="Bewoner Één",
                due=date(2026, 11, 26),
                days_late=-2,
            ),
        ],
    )


def test_overdue_csv_in_dutch() -> None:
    table = rows(overdue_csv(report(), language="nl"))
    assert table[0][:3] == ["Wat is te laat", "Dagen te laat", "Uiterste datum"]
    assert table[1][:5] == [
        "Afspraak te laat",
        "28",
        "2026-10-27",
        '\'=HYPERLINK("x")',  # a formula is neutralised
        'Post; rekeningen en "brieven"',  # the separator inside a text is quoted, not split
    ]
    assert table[2][:4] == ["MDO moet bijna", "-2", "2026-11-26", "Bewoner Één"]
    assert table[2][8] == ""  # an MDO has no agreement number


def test_overdue_csv_in_english() -> None:
    assert rows(overdue_csv(report(), language="en"))[0][:2] == ["What is late", "Days late"]


def test_an_owner_taken_off_the_case_is_marked_in_either_language() -> None:
    first = report().items[0]
    removed = first.model_copy(update={"owner_removed": True, "professional_id": None})
    marked = report().model_copy(update={"items": [removed, first]})
    dutch = rows(overdue_csv(marked, language="nl"))
    assert dutch[0][5] == "Wie pakt het op"
    assert [row[5] for row in dutch[1:]] == [
        "Sanne de Vries (doet niet meer mee)",  # needs handing over
        "Sanne de Vries",
    ]
    english = rows(overdue_csv(marked, language="en"))
    assert english[1][5] == "Sanne de Vries (no longer taking part)"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        overdue_csv(report(), language="de")


@pytest.mark.parametrize(
    ("text", "shown"),
    [("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-", "'-"), ("@SUM", "'@SUM"), ("Gewoon", "Gewoon")],
)
def test_safe_text(text: str, shown: str) -> None:
    assert safe_text(text) == shown


def figures() -> MonitoringFigures:
    return MonitoringFigures(
        team_id=TEAM,
        team_name="Wijkteam",
        start=date(2026, 5, 25),
        end=date(2026, 11, 24),
        as_of=AS_OF,
        contacts=6,
        mdos_held=3,
        mdos_within_14_days=2,
        pct_mdos_within_14_days=200 / 3,
        median_days_contact_to_mdo=14.5,
        no_mdo_needed=1,
        agreements_made=5,
        agreements_done=0,
        agreements_done_within_six_weeks=0,
        pct_done_within_six_weeks=0.0,
        median_days_to_done=None,
        agreements_overdue_now=1,
        wellbeing=[
            WellbeingFigure(moment=m, average=a, residents=n)
            for m, a, n in zip(WellbeingMoment, (3.5, 8.25, None, None), (2, 1, 0, 0), strict=True)
        ],
        positive_health=[HealthDimensionFigure(dimension="meaningfulness", average=7, residents=1)],
        per_organisation=[
            OrganisationFigure(
                organisation_id=None, organisation_name=None, made=1, done=0, overdue_now=1
            )
        ],
        stories=[Story(case_id=CASE, question="Ik wil weer rust.", outcome="-Het is rustig.")],
    )


def test_monitoring_csv_one_row_per_figure() -> None:
    table = rows(monitoring_csv(figures(), language="nl"))
    assert table[0] == ["Onderdeel", "Cijfer", "Waarde", "Bewoners"]
    by_figure = {(r[0], r[1]): r[2:] for r in table[1:]}
    assert by_figure[("MDO's", "% MDO's binnen 14 dagen")] == ["66,7", ""]  # 2 / 3, one decimal
    assert by_figure[("MDO's", "Mediaan dagen van contact tot MDO")] == ["14,5", ""]
    assert by_figure[("Afspraken", "Mediaan dagen tot klaar")][0] == ""  # nothing done: no figure
    assert by_figure[("Welbevinden", "Bij het eerste contact")] == ["3,5", "2"]
    assert by_figure[("Welbevinden", "Na zes weken")] == ["", "0"]
    assert by_figure[("Per organisatie", "Bewoner en netwerk: nu te laat")] == ["1", ""]
    assert by_figure[("Verhalen", "Ik wil weer rust.")] == ["'-Het is rustig.", ""]
    assert by_figure[("Periode", "Van")] == ["2026-05-25", ""]


def test_monitoring_csv_in_english_uses_decimal_points() -> None:
    table = rows(monitoring_csv(figures(), language="en"))
    assert table[0] == ["Section", "Figure", "Value", "Residents"]
    assert ["MDOs", "% MDOs within 14 days", "66.7", ""] in table
