"""Benchmark 5: the team-lead overdue list and monitoring figures on PostgreSQL (issue #6).

A private PostgreSQL cluster is started the way the server tests do
(``tests/integration/server/postgres.sh``), migrated, and filled straight into the read model with
COPY: 50,000 cases (one team lead's team: the worst case, every case is theirs), 250,000
agreements, 150,000 participants and about 94,000 measurements, two years of contacts, then
``VACUUM ANALYZE`` (the steady state autovacuum keeps). Then, on one SQLAlchemy session like a
request's:

- **overdue**: ``server.reports.overdue.overdue_report`` (team scoping, both queries, the wire
  models) against a baseline that only fetches the same agreement and case rows by the same
  filters, without scoping, joins or models;
- **monitoring**: ``server.reports.monitoring.monitoring_figures`` for the default half year
  against ``SELECT count(*)`` over the same cases and agreements of the period.

Server time only: no HTTP and no audit rows (the audit log adds one row per case shown). Goal:
<= 300 ms each. Run alone with ``python -m bench.team_reports [--quick]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text
from sqlmodel import Session

from bench.support import median_seconds
from server.db import make_engine, migrate
from server.models.accounts import Role
from server.principal import Principal
from server.reports.monitoring import monitoring_figures
from server.reports.overdue import overdue_report
from server.reports.scope import default_period, team_case_ids

CASES = 50_000
AGREEMENTS_PER_CASE = 5
PROFESSIONALS = 20
TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SCRIPT = Path(__file__).resolve().parent.parent / "tests" / "integration" / "server" / "postgres.sh"
ORGANISATIONS = ("ggd", "pantein", "brabantzorg", "ons-welzijn")

BASELINE_OVERDUE = [
    "SELECT agreement_id, case_id, due_date FROM report_agreement "
    "WHERE status = 'open' AND due_date <= :horizon",
    "SELECT case_id, contact_date FROM report_case WHERE first_held_on IS NULL "
    "AND no_meeting_decided_on IS NULL AND closed_on IS NULL AND contact_date <= :latest",
]
BASELINE_MONITORING = [
    "SELECT count(*) FROM report_case WHERE contact_date BETWEEN :start AND :end",
    "SELECT count(*) FROM report_agreement WHERE meeting_held_on BETWEEN :start AND :end",
]


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterator[tuple[Any, ...]]
) -> int:
    count = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _held(i: int) -> date | None:
    """The day case number ``i``'s MDO was held; None for every 20th ("no MDO needed") and for
    those whose MDO day is still to come."""
    contact = TODAY - timedelta(days=i % 730)
    held = contact + timedelta(days=i % 17)
    return None if i % 20 == 0 or held > TODAY else held


def _seed(conn: psycopg.Connection[Any], cases: int) -> tuple[Principal, int]:
    org, team, lead = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pros = [uuid.uuid4() for _ in range(PROFESSIONALS)]
    now = NOW
    conn.execute(
        "INSERT INTO organisation (id, name, created_at) VALUES (%s, %s, %s)",
        (org, "Zorg Oss", now),
    )
    conn.execute(
        "INSERT INTO team (id, name, organisation_id) VALUES (%s, %s, %s)", (team, "Wijkteam", org)
    )
    accounts = [(lead, Role.TEAM_LEAD.value)] + [(p, Role.PROFESSIONAL.value) for p in pros]
    _copy(
        conn,
        "account",
        "id, email, role, organisation_id, team_id, password_hash, active, created_at",
        ((a, f"{a}@example.org", role, org, team, "x", True, now) for a, role in accounts),
    )
    ids = [uuid.uuid4() for _ in range(cases)]
    creator = [pros[i % PROFESSIONALS] for i in range(cases)]
    _copy(
        conn,
        "case_access",
        "case_id, organisation_id, created_by, consent_given",
        ((ids[i], org, creator[i], True) for i in range(cases)),
    )
    _copy(
        conn,
        "case_member",
        "case_id, account_id",
        ((ids[i], creator[i]) for i in range(cases)),
    )
    participants: list[tuple[Any, ...]] = []
    meetings: list[tuple[Any, ...]] = []
    agreements: list[tuple[Any, ...]] = []
    measurements: list[tuple[Any, ...]] = []
    case_rows: list[tuple[Any, ...]] = []
    # Cases without an MDO have no agreements: the held ones get a sixth until the total is
    # AGREEMENTS_PER_CASE per case (250,000 for 50,000 cases).
    held_cases = sum(1 for i in range(cases) if _held(i) is not None)
    extra = min(held_cases, AGREEMENTS_PER_CASE * (cases - held_cases))
    for i, case_id in enumerate(ids):
        contact = TODAY - timedelta(days=i % 730)
        org_slug = ORGANISATIONS[i % len(ORGANISATIONS)]
        resident, pro, network = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        participants += [
            (resident, case_id, "resident", f"Bewoner {i}", None, None),
            (
                pro,
                case_id,
                "professional",
                f"Professional {i % PROFESSIONALS}",
                org_slug,
                creator[i],
            ),
            (network, case_id, "network", f"Buurvrouw {i}", None, None),
        ]
        measurements.append(
            (uuid.uuid4(), case_id, "contact", contact, contact.toordinal(), 1 + i % 10)
            + (None,) * 6
        )
        no_meeting = contact + timedelta(days=3) if i % 20 == 0 else None
        first_held = _held(i)
        closed = None
        if first_held is not None:
            meeting = uuid.uuid4()
            meetings.append((meeting, case_id, first_held))
            all_done = True
            count = AGREEMENTS_PER_CASE + (1 if extra > 0 else 0)
            extra -= 1
            for j in range(count):
                due = first_held + timedelta(days=7 * (j + 1))
                status, done_on, done_days = "open", None, None
                if (i + j) % 37 == 0:
                    status = "cancelled"
                elif due <= TODAY and (i * 7 + j) % 50 != 0:
                    status, done_on = "done", due - timedelta(days=(i + j) % 4)
                    done_days = (done_on - first_held).days
                all_done = all_done and status != "open"
                owner = (
                    (pro, f"Pro {i % PROFESSIONALS}", creator[i], org_slug),
                    (network, f"Buurvrouw {i}", None, None),
                    (resident, f"Bewoner {i}", None, None),
                )[j % 3]
                agreements.append(
                    (
                        uuid.uuid4(),
                        case_id,
                        meeting,
                        *owner,
                        f"Afspraak {j}",
                        due,
                        status,
                        done_on,
                        first_held,
                        done_days,
                    )
                )
            six_weeks = first_held + timedelta(days=42)
            if six_weeks <= TODAY:
                scores = tuple(3 + (i + k) % 8 for k in range(6))
                day, wellbeing = six_weeks.toordinal(), 4 + i % 7
                measurements.append(
                    (uuid.uuid4(), case_id, "six_weeks", six_weeks, day, wellbeing, *scores)
                )
            if all_done and contact < TODAY - timedelta(days=90):
                closed = first_held + timedelta(days=40)
        case_rows.append(
            (
                case_id,
                resident,
                f"Bewoner {i}",
                contact,
                first_held,
                None if first_held is None else (first_held - contact).days,
                no_meeting,
                closed,
                org_slug,
                True,
                "Ik wil weer grip op mijn geld.",
                "Het gaat beter." if closed else "",
            )
        )
    _copy(
        conn,
        "report_case",
        "case_id, resident_id, resident_name, contact_date, first_held_on, mdo_days, "
        "no_meeting_decided_on, closed_on, organisation_id, consent_given, question, closing_note",
        iter(case_rows),
    )
    _copy(
        conn,
        "report_participant",
        "participant_id, case_id, role, name, organisation_id, account_id",
        iter(participants),
    )
    _copy(conn, "report_meeting", "meeting_id, case_id, held_on", iter(meetings))
    total = _copy(
        conn,
        "report_agreement",
        "agreement_id, case_id, meeting_id, owner_id, owner_name, owner_account_id, "
        "owner_organisation_id, what, due_date, status, done_on, meeting_held_on, done_days",
        iter(agreements),
    )
    _copy(
        conn,
        "report_measurement",
        "measurement_id, case_id, moment, taken_on, taken_day, wellbeing, ph_bodily_functions, "
        "ph_mental_wellbeing, ph_meaningfulness, ph_quality_of_life, ph_participation, "
        "ph_daily_functioning",
        iter(measurements),
    )
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps a database in
    principal = Principal(
        account_id=lead,
        role=Role.TEAM_LEAD,
        organisation_id=org,
        team_id=team,
        device_id=uuid.uuid4(),
        family_id=uuid.uuid4(),
    )
    return principal, total


def _measure(url: str, principal: Principal, cases: int, agreements: int) -> list[dict[str, Any]]:
    engine = make_engine(url)
    start, end = default_period(TODAY)
    params = {
        "horizon": TODAY + timedelta(days=3),
        "latest": TODAY + timedelta(days=3 - 14),
        "start": start,
        "end": end,
    }
    team_id, team_name = principal.team_id or uuid.uuid4(), "Wijkteam"
    with Session(engine) as session:

        def overdue() -> int:
            report = overdue_report(
                session,
                team_case_ids(principal),
                team_id=team_id,
                team_name=team_name,
                today=TODAY,
                now=NOW,
            )
            return len(report.items)

        def monitoring() -> int:
            figures = monitoring_figures(
                session,
                team_case_ids(principal),
                team_id=team_id,
                team_name=team_name,
                start=start,
                end=end,
                today=TODAY,
                now=NOW,
            )
            return figures.contacts

        def baseline(statements: list[str]) -> None:
            for sql in statements:
                session.execute(text(sql), params).all()

        items, contacts = overdue(), monitoring()  # warm the caches and the plans
        samples: dict[str, list[float]] = {k: [] for k in ("o", "ob", "m", "mb")}
        for _round in range(11):  # interleaved, then the median of each
            samples["o"].append(median_seconds(overdue, repeat=1))
            samples["ob"].append(median_seconds(lambda: baseline(BASELINE_OVERDUE), repeat=1))
            samples["m"].append(median_seconds(monitoring, repeat=1))
            samples["mb"].append(median_seconds(lambda: baseline(BASELINE_MONITORING), repeat=1))
    engine.dispose()
    ms = {k: statistics.median(v) * 1000 for k, v in samples.items()}
    size = f"PostgreSQL, {cases:,} cases / {agreements:,} agreements"
    return [
        {
            "benchmark": f"team overdue list ({size}, {items:,} items)",
            "ours_ms": ms["o"],
            "baseline_ms": ms["ob"],
            "ratio": ms["o"] / ms["ob"],
            "goal": "<= 300 ms",
        },
        {
            "benchmark": f"team monitoring figures, half year ({size}, {contacts:,} contacts)",
            "ours_ms": ms["m"],
            "baseline_ms": ms["mb"],
            "ratio": ms["m"] / ms["mb"],
            "goal": "<= 300 ms",
        },
    ]


def run(cases: int = CASES) -> list[dict[str, Any]]:
    subprocess.run(["sh", str(SCRIPT), "install"], check=True)
    folder = tempfile.mkdtemp(prefix="keukentafel-bench-pg-")
    try:
        started = subprocess.run(
            ["sh", str(SCRIPT), "start", folder], check=True, capture_output=True, text=True
        )
        port = int(started.stdout.strip().splitlines()[-1])
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
        ) as admin:
            admin.execute("CREATE DATABASE keukentafel_bench")
        url = f"postgresql://postgres@127.0.0.1:{port}/keukentafel_bench"
        migrate(url)
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="keukentafel_bench"
        ) as conn:
            principal, agreements = _seed(conn, cases)
        return _measure(url, principal, cases, agreements)
    finally:
        subprocess.run(["sh", str(SCRIPT), "stop", folder], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.team_reports")
    parser.add_argument("--quick", action="store_true", help="5,000 cases, for a smoke check")
    args = parser.parse_args()
    for row in run(5_000 if args.quick else CASES):
        print(
            f"{row['benchmark']}: {row['ours_ms']:.1f} ms, baseline {row['baseline_ms']:.1f} ms, "
            f"ratio {row['ratio']:.2f} (goal {row['goal']})"
        )


if __name__ == "__main__":
    main()
