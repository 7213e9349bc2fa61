"""Benchmark 8: 200 simulated devices syncing concurrently against the server on loopback for 60 s.

Goal: p95 latency <= 250 ms on this 2-core machine, and zero lost or duplicated mutations. Also
reported: throughput, p50/p99, the server's peak memory (VmHWM from /proc), and, because the
machine is shared and latencies follow its load, the server's CPU time per request in each phase
and the load average (1 min) at the phase's start and end.

- **Server**: a real process (``python -m server``) on 127.0.0.1 against a private PostgreSQL,
  started as the server tests start it. All devices share the address 127.0.0.1, so the per-IP
  limits on enrolment and login are raised for this run (``KEUKENTAFEL_RATE_LIMIT_*``); the
  per-account limits and everything else stay as shipped.
- **Set-up (untimed)**, all through the real API: an administrator (made like ``python -m server
  create-admin``) makes 200 professional accounts and 200 one-time codes; each device enrols with
  its code and logs in.
- **Load**: each device is an asyncio task with its own ``httpx.AsyncClient`` (its own
  connection). It waits a random think time (``THINK`` seconds, uniform), then syncs: it pushes
  what it has not had acknowledged yet plus 1-4 new changes (its first push creates its case with
  the resident's consent and the resident; later ones add agreements or edit one of its earlier
  ones), then pulls from its cursor until ``done``. Two phases of ``SECONDS`` each, on the same
  server and devices: first as the app does (its background sync runs every minute: a think time
  of 30-90 s), then a stress phase with a sync every 2-8 s per device, ten times denser.
  Every request's latency is recorded (push and pull alike). A request that fails or times out
  leaves its mutations unacknowledged: they are sent again next time, as the app does.
- **Check**: after the load, every device sends what is still unacknowledged until it is. Then, on
  the server: every acknowledged mutation is in the change log exactly once, nothing is there
  twice, and nothing the devices made is missing.

Run alone with ``python -m bench.sync_load [--quick]`` (``--quick``: 20 devices for 10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import sync_support
from bench.sync_support import (
    Enrolled,
    Organisation,
    ServerProcess,
    bench_settings,
    new_database,
    postgres_cluster,
    psycopg_connect,
)
from sync.protocol import (
    Entity,
    Mutation,
    Op,
    Outcome,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

DEVICES = 200
SECONDS = 60.0
THINK = (2.0, 8.0)
# The app syncs in the background every minute; then every 2-8 s, far denser (a stress test).
PHASES = (("as the app does, every 30-90 s", (30.0, 90.0)), ("stress, every 2-8 s", THINK))
TIMEOUT = 30.0
LOAD_ENV = {  # all devices share 127.0.0.1: raise the per-IP limits for the set-up only
    "KEUKENTAFEL_RATE_LIMIT_ENROL_PER_IP": "100000",
    "KEUKENTAFEL_RATE_LIMIT_LOGIN_PER_IP": "100000",
}


@dataclass
class Device:
    who: Enrolled
    rng: random.Random
    case_id: uuid.UUID = field(default_factory=uuid.uuid4)
    made: list[Mutation] = field(default_factory=list)
    unacknowledged: list[Mutation] = field(default_factory=list)
    acknowledged: set[uuid.UUID] = field(default_factory=set)
    refused: int = 0
    agreements: dict[uuid.UUID, int] = field(default_factory=dict)  # record -> server seq
    cursor: int = 0

    def new_changes(self) -> list[Mutation]:
        now = datetime.now(UTC)
        if not self.made:
            resident = uuid.uuid4()
            changes = [
                self._mutation(Entity.RESIDENT, resident, {"name": "Bewoner", "phone": ""}, now),
                self._mutation(
                    Entity.CASE,
                    self.case_id,
                    {
                        "resident_id": str(resident),
                        "contact_date": date(2026, 11, 1).isoformat(),
                        "question": "Ik wil weer grip op mijn geld.",
                        "consent_given": True,
                        "consent_recorded_on": date(2026, 11, 1).isoformat(),
                    },
                    now,
                ),
            ]
        else:
            changes = []
            for _ in range(self.rng.randint(1, 4)):
                if self.agreements and self.rng.random() < 0.3:
                    record, seq = self.rng.choice(list(self.agreements.items()))
                    fields: dict[str, Any] = {"status": "done", "done_on": "2026-11-24"}
                    changes.append(self._mutation(Entity.AGREEMENT, record, fields, now, seq))
                else:
                    due = date(2026, 11, 24) + timedelta(days=self.rng.randint(1, 42))
                    fields = {
                        "what": "Samen de post doorlopen.",
                        "status": "open",
                        "due_date": due.isoformat(),
                    }
                    changes.append(self._mutation(Entity.AGREEMENT, uuid.uuid4(), fields, now))
        self.made += changes
        return changes

    def _mutation(
        self,
        entity: Entity,
        record: uuid.UUID,
        fields: dict[str, Any],
        now: datetime,
        base: int | None = None,
    ) -> Mutation:
        return Mutation(
            mutation_id=uuid.uuid4(),
            entity=entity,
            record_id=record,
            case_id=self.case_id,
            op=Op.UPSERT,
            fields=fields,
            base_seq=base,
            device_time=now,
        )


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    by_path: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0
    syncs: int = 0


async def _post(
    http: httpx.AsyncClient, path: str, body: str, who: Enrolled, stats: Stats
) -> dict[str, Any] | None:
    headers = {**who.headers, "Content-Type": "application/json"}
    start = time.perf_counter()
    try:
        response = await http.post(path, content=body, headers=headers)
    except httpx.HTTPError:
        stats.failures += 1
        return None
    elapsed = time.perf_counter() - start
    stats.latencies.append(elapsed)
    stats.by_path.setdefault(path, []).append(elapsed)
    if response.status_code != 200:
        stats.failures += 1
        return None
    payload: dict[str, Any] = response.json()
    return payload


async def _sync(device: Device, http: httpx.AsyncClient, stats: Stats | None) -> bool:
    """One sync: push what is unacknowledged plus new changes, then pull. True when all pushed
    mutations were acknowledged."""
    record = stats if stats is not None else Stats()
    batch = device.unacknowledged + (device.new_changes() if stats is not None else [])
    device.unacknowledged = batch
    if batch:
        request = PushRequest(device_id=device.who.device_id, mutations=batch)
        body = await _post(http, "/sync/push", request.model_dump_json(), device.who, record)
        if body is None:
            return False
        response = PushResponse.model_validate(body)
        results = {r.mutation_id: r for r in response.results}
        waiting: list[Mutation] = []
        for m in batch:
            result = results.get(m.mutation_id)
            if result is not None and result.outcome in (Outcome.APPLIED, Outcome.DUPLICATE):
                device.acknowledged.add(m.mutation_id)
                if m.entity is Entity.AGREEMENT and result.server_seq is not None:
                    device.agreements[m.record_id] = result.server_seq
            elif result is not None:
                device.refused += 1  # never expected here: a bug in the server
            else:
                waiting.append(m)
        device.unacknowledged = waiting
    while True:
        pull = PullRequest(cursor=device.cursor, limit=500).model_dump_json()
        body = await _post(http, "/sync/pull", pull, device.who, record)
        if body is None:
            return False
        page = PullResponse.model_validate(body)
        device.cursor = page.cursor
        if page.done:
            break
    if stats is not None:
        stats.syncs += 1
    return not device.unacknowledged


async def _run_device(
    device: Device, url: str, deadline: float, stats: Stats, think: tuple[float, float]
) -> None:

    async def pause(seconds: float) -> None:  # never past the end of the phase
        await asyncio.sleep(max(0.0, min(seconds, deadline - time.monotonic())))

    # Plain http on loopback: no TLS, so no CA bundle to load (loading it for 200 clients at once
    # blocked the event loop for seconds and inflated every latency measured meanwhile).
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, verify=False) as http:
        await pause(device.rng.uniform(0, think[1]))  # the devices do not start in step
        while time.monotonic() < deadline:
            await _sync(device, http, stats)
            await pause(device.rng.uniform(*think))
        for _attempt in range(20):  # the check: send what is left until it is acknowledged
            if await _sync(device, http, None):
                break
            await asyncio.sleep(0.5)


async def _load(
    devices: list[Device], url: str, seconds: float, think: tuple[float, float]
) -> tuple[Stats, float]:
    stats = Stats()
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(*(_run_device(d, url, deadline, stats, think) for d in devices))
    return stats, seconds


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _check(database_url: str, devices: list[Device]) -> tuple[int, int, int, int]:
    """(acknowledged, lost, duplicated, never acknowledged) on the server's change log."""
    with psycopg_connect(database_url) as pg:
        rows = pg.execute("SELECT mutation_id FROM change_log").fetchall()
    on_server = Counter(uuid.UUID(str(r[0])) for r in rows)
    acknowledged = set().union(*(d.acknowledged for d in devices))
    made = {m.mutation_id for d in devices for m in d.made}
    lost = sum(1 for m in acknowledged if on_server[m] == 0)
    duplicated = sum(1 for m, n in on_server.items() if n > 1)
    pending = len(made - acknowledged)
    return len(acknowledged), lost, duplicated, pending


def run(
    devices: int = DEVICES,
    seconds: float = SECONDS,
    phases: tuple[tuple[str, tuple[float, float]], ...] = PHASES,
) -> list[dict[str, Any]]:
    if not sync_support.postgres_available():
        return [_skipped("PostgreSQL is not available here")]
    measured: list[tuple[str, Stats, float, int, float | None, tuple[str, str]]] = []
    with postgres_cluster() as base, tempfile.TemporaryDirectory() as tmp:
        url = new_database(base, "load")
        settings = bench_settings(url)
        log = Path(tmp) / "server.log"
        with (
            ServerProcess(settings, log, extra_env=LOAD_ENV) as server,
            httpx.Client(base_url=server.url, timeout=60) as http,
        ):
            org = Organisation.bootstrap(settings, http)
            simulated = [
                Device(who=org.enrolled_professional(), rng=random.Random(n))
                for n in range(devices)
            ]
            for name, think in phases:  # one after the other, on the same server and devices
                before = sum(len(d.acknowledged) for d in simulated)
                cpu_before, load_before = server.cpu_seconds(), _load_average()
                stats, elapsed = asyncio.run(_load(simulated, server.url, seconds, think))
                cpu_after = server.cpu_seconds()
                acked = sum(len(d.acknowledged) for d in simulated) - before
                cpu = None
                if cpu_before is not None and cpu_after is not None:
                    cpu = cpu_after - cpu_before
                loads = (load_before, _load_average())
                measured.append((name, stats, elapsed, acked, cpu, loads))
            peak_kib = server.peak_memory_kib()
        _acknowledged, lost, duplicated, pending = _check(url, simulated)
    refused = sum(d.refused for d in simulated)
    peak = f"{peak_kib / 1024:,.0f} MiB" if peak_kib is not None else "unknown"
    rows: list[dict[str, Any]] = []
    for name, stats, elapsed, acked, cpu, loads in measured:
        latencies = stats.latencies or [0.0]
        cpu_ms = cpu * 1000 / len(stats.latencies) if cpu is not None and stats.latencies else None
        cpu_text = f"{cpu_ms:,.1f} ms" if cpu_ms is not None else "unknown"
        p50, p95, p99 = (_percentile(latencies, q) * 1000 for q in (0.50, 0.95, 0.99))
        push95, pull95 = (
            _percentile(stats.by_path.get(p, [0.0]), 0.95) * 1000
            for p in ("/sync/push", "/sync/pull")
        )
        rows.append(
            {
                "benchmark": (
                    f"{devices} devices syncing for {seconds:.0f} s, {name} (HTTP + PostgreSQL): "
                    f"{stats.syncs:,} syncs, {len(stats.latencies) / elapsed:,.0f} requests/s, "
                    f"{acked / elapsed:,.0f} mutations/s; p50 {p50:,.0f} / p95 {p95:,.0f} / "
                    f"p99 {p99:,.0f} ms (p95 push {push95:,.0f}, pull {pull95:,.0f}); "
                    f"{stats.failures} failed requests (sent again); server peak {peak}, "
                    f"CPU {cpu_text} per request; load average {loads[0]} -> {loads[1]}; "
                    f"after all phases {lost} lost, {duplicated} duplicated, "
                    f"{pending} unacknowledged, {refused} refused"
                ),
                "ours_ms": p95,
                "baseline_ms": None,
                "ratio": None,
                "goal": "p95 <= 250 ms, 0 lost, 0 duplicated",
                "p50_ms": p50,
                "p99_ms": p99,
                "mean_ms": statistics.fmean(latencies) * 1000,
                "lost": lost,
                "duplicated": duplicated,
                "peak_kib": peak_kib,
                "server_cpu_ms_per_request": cpu_ms,
                "load_average": loads,
            }
        )
    return rows


def _load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _skipped(why: str) -> dict[str, Any]:
    return {
        "benchmark": f"sync load: not run ({why})",
        "ours_ms": None,
        "baseline_ms": None,
        "ratio": None,
        "goal": "p95 <= 250 ms, 0 lost, 0 duplicated",
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_load")
    parser.add_argument("--quick", action="store_true", help="20 devices for 10 s")
    args = parser.parse_args()
    rows = run(20, 10.0, (("every 1-3 s", (1.0, 3.0)),)) if args.quick else run()
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
