"""Benchmark 7: server ingest of 10,000 pushed mutations against a raw executemany INSERT of the
same rows into the same PostgreSQL, in the same run. Goal: ratio <= 3.

- **ours**: 1,000 synthetic case files with consent (10,000 upserts: resident, case, two
  participants, a meeting, five agreements each), pushed in batches of ``MAX_PUSH_BATCH`` (500)
  through the server's push path *in process*: each batch is parsed from its JSON body
  (``PushRequest.model_validate_json``, as FastAPI does), handed to ``server.sync_push.push`` on
  a new session, and committed, exactly what ``POST /sync/push`` does after the access token is
  checked. No HTTP: the transport is the same for any server and is measured by ``sync_load``.
- **baseline**: every row the push left behind (case access and members, dossier records, the
  change log, the applied-mutation guard, the team-lead read model and the push's audit rows) is
  read back and inserted again with psycopg's ``executemany`` into a fresh copy of the same
  database: the least any server could do to store the same rows.

Both start from a copy of one database that holds an organisation and a professional with an
enrolled device (made through the real API in process). The median of three rounds of each,
interleaved. Run alone with ``python -m bench.sync_ingest [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb
from sqlmodel import Session, select

from bench import sync_support
from bench.sync_support import (
    Organisation,
    bench_settings,
    case_file_mutations,
    consenting_case_files,
    new_database,
    postgres_cluster,
    psycopg_connect,
)
from server import sync_push
from server.app import create_app
from server.db import make_engine
from server.models.accounts import Account
from server.models.devices import TokenFamily
from server.principal import Principal
from sync.protocol import MAX_PUSH_BATCH, PushRequest

MUTATIONS = 10_000
ROUNDS = 3
# Tables a push writes rows into (sync_head and audit_head are one-row counters it updates).
TABLES = (
    "case_access",
    "case_member",
    "dossier_record",
    "change_log",
    "applied_mutation",
    "report_case",
    "report_participant",
    "report_meeting",
    "report_agreement",
    "report_measurement",
    "audit_event",
)


def _bodies(mutations: int, device_id: uuid.UUID) -> list[bytes]:
    files = consenting_case_files(mutations // 9 + 10)  # some have no meeting yet: < 10 records
    queued = [m for f in files for m in case_file_mutations(f)][:mutations]
    return [
        PushRequest(device_id=device_id, mutations=queued[i : i + MAX_PUSH_BATCH])
        .model_dump_json()
        .encode()
        for i in range(0, len(queued), MAX_PUSH_BATCH)
    ]


def _setup(base: str) -> tuple[str, Principal]:
    """The template database: an organisation, a professional on an enrolled device."""
    url = new_database(base, "ingest_template")
    settings = bench_settings(url)
    engine = make_engine(url)
    try:
        with TestClient(create_app(settings, engine=engine), client=("127.0.0.1", 50000)) as http:
            org = Organisation.bootstrap(settings, http)
            pro = org.enrolled_professional()
        with Session(engine) as session:
            account = session.get(Account, pro.account_id)
            family = session.exec(
                select(TokenFamily).where(TokenFamily.device_id == pro.device_id)
            ).one()
            assert account is not None
            principal = Principal(
                account_id=account.id,
                role=account.role,
                organisation_id=account.organisation_id,
                team_id=account.team_id,
                device_id=pro.device_id,
                family_id=family.id,
            )
    finally:
        engine.dispose()
    return url, principal


def _copy_of(template_url: str, name: str) -> str:
    base = template_url.rsplit("/", 1)[0]
    with psycopg_connect(f"{base}/postgres") as conn:
        conn.autocommit = True
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE ingest_template")
    return f"{base}/{name}"


def _ours(url: str, principal: Principal, bodies: list[bytes]) -> tuple[float, int]:
    engine = make_engine(url)
    applied = 0
    try:
        start = time.perf_counter()
        for body in bodies:
            request = PushRequest.model_validate_json(body)
            with Session(engine, expire_on_commit=False) as session:
                response = sync_push.push(session, principal, request)
                session.commit()
            applied += sum(1 for r in response.results if r.outcome == "applied")
        elapsed = time.perf_counter() - start
    finally:
        engine.dispose()
    return elapsed, applied


def _pushed_rows(url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    with psycopg_connect(url) as conn:
        for table in TABLES:
            where = " WHERE route = '/sync/push'" if table == "audit_event" else ""
            cur = conn.execute(f"SELECT * FROM {table}{where}")
            columns = [d.name for d in cur.description or ()]
            rows[table] = (columns, [tuple(map(_adapt, row)) for row in cur.fetchall()])
    return rows


def _adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict | list) else value


def _baseline(url: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    with psycopg_connect(url) as conn:
        start = time.perf_counter()
        with conn.cursor() as cur:
            for table, (columns, values) in rows.items():
                if not values:
                    continue
                marks = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                cur.executemany(sql, values)
        conn.commit()
        return time.perf_counter() - start


def run(mutations: int = MUTATIONS, rounds: int = ROUNDS) -> list[dict[str, Any]]:
    if not sync_support.postgres_available():
        return [_skipped("PostgreSQL is not available here")]
    with postgres_cluster() as base:
        template, principal = _setup(base)
        bodies = _bodies(mutations, principal.device_id)
        ours_samples: list[float] = []
        baseline_samples: list[float] = []
        for i in range(rounds):
            ours_url = _copy_of(template, f"ingest_ours_{i}")
            elapsed, applied = _ours(ours_url, principal, bodies)
            if applied != mutations:
                raise RuntimeError(f"{applied} of {mutations} mutations applied")
            ours_samples.append(elapsed)
            rows = _pushed_rows(ours_url)
            baseline_samples.append(_baseline(_copy_of(template, f"ingest_raw_{i}"), rows))
        written = sum(len(v) for _c, v in rows.values())
    ours = statistics.median(ours_samples)
    baseline = statistics.median(baseline_samples)
    return [
        {
            "benchmark": (
                f"server ingest of {mutations:,} pushed mutations, in process, PostgreSQL "
                f"(raw executemany of the same {written:,} rows)"
            ),
            "ours_ms": ours * 1000,
            "baseline_ms": baseline * 1000,
            "ratio": ours / baseline,
            "goal": "ratio <= 3",
        }
    ]


def _skipped(why: str) -> dict[str, Any]:
    return {
        "benchmark": f"server ingest: not run ({why})",
        "ours_ms": None,
        "baseline_ms": None,
        "ratio": None,
        "goal": "ratio <= 3",
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_ingest")
    parser.add_argument("--quick", action="store_true", help="1,000 mutations, one round")
    args = parser.parse_args()
    rows = run(1_000, 1) if args.quick else run()
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
