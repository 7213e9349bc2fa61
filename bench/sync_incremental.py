"""Benchmark 6: incremental sync of one change with a dossier of 1,000 records against 100,000.
Goal: ratio <= 1.5 (the cost follows the change, not the dossier).

For each size N, a private PostgreSQL (as the server tests start it) and the server as a real
process (``python -m server``) on 127.0.0.1; an organisation and a professional made through the
real API; an app store (the real encrypted ``CaseStore``) enrolled with ``sync.cycle.enrol_device``.

**Seeding: the state a full sync leaves, made in bulk.** The store gets N/10 synthetic case files
with the resident's consent (``add_case_files``: up to ten records each, every one queued in the
outbox as usual). Pushing and pulling 100,000 records one by one would take most of an hour here,
so instead:

- the server's tables get, by COPY, exactly what ``server.sync_push`` writes when those outbox
  mutations arrive in order from this device: per case ``case_access`` (consent given, this
  account the creator) and ``case_member``; per mutation ``dossier_record`` (its fields, each
  field's last change ``[seq, device]``), ``change_log`` and ``applied_mutation`` (with the
  mutation's digest) under consecutive sequence numbers; ``sync_head`` at N; then the team-lead
  read model is filled with ``server.reports.projection.rebuild``. Only the audit rows of those
  pushes are left out (the audit log is append-only: nothing in a sync reads it back);
- the device gets what pulling its own changes back leaves: the outbox empty, ``sync_bases`` at
  each record's sequence number, and the pull cursor at N (its rows are already the same).

A first, untimed ``run_cycle`` checks the result: it must send nothing and receive nothing.

**Timed**: one local change (an agreement's note, through ``CaseStore.save_agreement``, with its
outbox row) plus one full ``run_cycle`` over real HTTP: token refresh, pull, push, pull. The
median of ``REPEAT`` runs, each changing another agreement; both sizes are set up side by side
and their runs interleaved, so that the load of a busy machine falls on both alike. Run alone with
``python -m bench.sync_incremental [--quick]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from psycopg.types.json import Jsonb
from sqlalchemy import insert
from sqlmodel import Session, select

from bench import sync_support
from bench.support import NOW, PASSPHRASE, TODAY
from bench.sync_support import (
    PASSWORD,
    Organisation,
    ServerProcess,
    bench_settings,
    consenting_case_files,
    new_database,
    postgres_cluster,
    psycopg_connect,
)
from models import outbox, sync_state
from models.crypto.kdf import default_params
from models.domain import Agreement
from models.store import CaseStore
from server.db import make_engine
from server.models.dossier import DossierRecord
from server.reports import projection
from sync import cycle
from sync.cycle import SyncState

SMALL, LARGE = 1_000, 100_000
REPEAT = 15


def _seed_store(store: CaseStore, records: int) -> list[Agreement]:
    files = consenting_case_files(max(1, records // 10))
    for start in range(0, len(files), 2_000):
        store.add_case_files(files[start : start + 2_000], today=TODAY, now=NOW)
    return [a for f in files for a in f.agreements]


def _copy(conn: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _seed_as_synced(store: CaseStore, database_url: str, account_id: uuid.UUID) -> int:
    """Write what a full push and pull of the store's outbox would leave; returns the head."""
    with store.reading() as (conn, sealer):
        account = sync_state.load_account(conn, sealer)
        assert account is not None
        queued = outbox.items(conn, sealer)
    device_id = uuid.UUID(account.device_id)
    device = str(device_id)
    now = datetime.now(UTC)
    with psycopg_connect(database_url) as pg:
        organisation_id = pg.execute(
            "SELECT organisation_id FROM account WHERE id = %s", (account_id,)
        ).fetchone()
        assert organisation_id is not None
        cases = list(dict.fromkeys(uuid.UUID(i.case_id) for i in queued))
        _copy(
            pg,
            "case_access",
            "case_id, organisation_id, created_by, consent_given",
            [(c, organisation_id[0], account_id, True) for c in cases],
        )
        _copy(pg, "case_member", "case_id, account_id", [(c, account_id) for c in cases])
        records: dict[tuple[str, str], list[Any]] = {}
        changes: list[tuple[Any, ...]] = []
        applied: list[tuple[Any, ...]] = []
        for seq, item in enumerate(queued, start=1):
            mutation = cycle._entry(item).mutation  # the mutation a push would send
            assert item.op == "upsert" and (item.entity.value, item.record_id) not in records
            records[(item.entity.value, item.record_id)] = [
                item.entity.value,
                item.record_id,
                item.case_id,
                Jsonb(item.fields),
                Jsonb({name: [seq, device] for name in item.fields}),
                seq,
            ]
            changes.append(
                (
                    seq,
                    item.entity.value,
                    item.record_id,
                    item.case_id,
                    "upsert",
                    Jsonb(item.fields),
                    device_id,
                    item.mutation_id,
                    now,
                )
            )
            applied.append((device_id, item.mutation_id, mutation.digest(), seq))
        _copy(
            pg,
            "dossier_record",
            "entity, record_id, case_id, fields, last_change, seq",
            [tuple(r) for r in records.values()],
        )
        _copy(
            pg,
            "change_log",
            "seq, entity, record_id, case_id, op, fields, origin_device, mutation_id, server_time",
            changes,
        )
        _copy(pg, "applied_mutation", "device_id, mutation_id, digest, seq", applied)
        head = len(queued)
        pg.execute("UPDATE sync_head SET seq = %s WHERE id = 1", (head,))
        pg.commit()
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            projection.rebuild(conn)
        with Session(engine) as session:  # the ORM reads back what COPY wrote
            sample = session.exec(select(DossierRecord).limit(1)).one()
            assert sample.last_change and sample.seq >= 1
    finally:
        engine.dispose()
    with store.writing() as (conn, _sealer):
        outbox.remove(conn, [i.mutation_id for i in queued])
        bases = [
            {"entity": e, "record_id": r, "base_seq": row[5]} for (e, r), row in records.items()
        ]
        for start in range(0, len(bases), 10_000):
            conn.execute(insert(outbox.BASES), bases[start : start + 10_000])
        sync_state.set_cursor(conn, head)
    return head


class _Dossier:
    """One size: its database, server process and enrolled, synced device store."""

    def __init__(self, base: str, records: int, folder: Path, stack: ExitStack) -> None:
        url = new_database(base, f"incremental_{records}")
        settings = bench_settings(url)
        server = stack.enter_context(ServerProcess(settings, folder / f"server-{records}.log"))
        http = stack.enter_context(httpx.Client(base_url=server.url, timeout=60))
        org = Organisation.bootstrap(settings, http)
        email, account_id = org.professional()
        self.store = CaseStore.create(
            folder / f"device-{records}" / "keukentafel.db",
            PASSPHRASE,
            now=NOW,
            kdf_params=default_params(),
        )
        stack.callback(self.store.close)
        cycle.enrol_device(self.store, server.url, org.code(), email=email, password=PASSWORD)
        self.agreements = _seed_store(self.store, records)
        self.head = _seed_as_synced(self.store, url, account_id)
        check = cycle.run_cycle(self.store)
        if check.state is not SyncState.SYNCED or check.waiting or self.cursor() != self.head:
            raise RuntimeError(f"the seeded state is not a synced one: {check}")
        self.changes = 0
        self.samples: list[float] = []

    def cursor(self) -> int:
        with self.store.reading() as (conn, _sealer):
            return sync_state.cursor(conn)

    def one_change(self) -> None:
        """Time one local change and one full cycle."""
        i = self.changes
        changed = dataclasses.replace(self.agreements[i * 7 % len(self.agreements)], note=f"{i}")
        start = time.perf_counter()
        self.store.save_agreement(changed)
        status = cycle.run_cycle(self.store)
        self.samples.append(time.perf_counter() - start)
        self.changes += 1
        if status.state is not SyncState.SYNCED or status.waiting:
            raise RuntimeError(f"the change did not sync: {status}")
        if self.cursor() != self.head + self.changes:
            raise RuntimeError("each change must come back as exactly one server change")


def run(small: int = SMALL, large: int = LARGE, repeat: int = REPEAT) -> list[dict[str, Any]]:
    if not sync_support.postgres_available():
        return [_skipped("PostgreSQL is not available here")]
    with (
        ExitStack() as stack,
        postgres_cluster() as base,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        baseline = _Dossier(base, small, folder, stack)
        ours = _Dossier(base, large, folder, stack)
        for _round in range(repeat):  # interleaved: the machine's load hits both alike
            baseline.one_change()
            ours.one_change()
        small_s, large_s = statistics.median(baseline.samples), statistics.median(ours.samples)
        stack.close()  # servers and stores before the cluster and the folder
    return [
        {
            "benchmark": (
                f"incremental sync of one change, dossier of {ours.head:,} records "
                f"(baseline: {baseline.head:,}), HTTP + PostgreSQL"
            ),
            "ours_ms": large_s * 1000,
            "baseline_ms": small_s * 1000,
            "ratio": large_s / small_s,
            "goal": "ratio <= 1.5",
        }
    ]


def _skipped(why: str) -> dict[str, Any]:
    return {
        "benchmark": f"incremental sync: not run ({why})",
        "ours_ms": None,
        "baseline_ms": None,
        "ratio": None,
        "goal": "ratio <= 1.5",
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_incremental")
    parser.add_argument("--quick", action="store_true", help="1,000 vs 10,000 records")
    args = parser.parse_args()
    rows = run(SMALL, 10_000, 5) if args.quick else run()
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
