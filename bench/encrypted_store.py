"""Benchmark 1: the encrypted store against the same schema unencrypted, side by side.

Insert 10,000 cases with 5 agreements each; load the "my cases" list; open one case.
The baseline is the same ``CaseStore`` code with a plaintext sealer, so the ratio is the cost of
encryption alone. Goal: ratio <= 1.10 (stretch <= 1.05).
"""

from __future__ import annotations

import functools
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.support import NOW, PASSPHRASE, TODAY, PlainSealer, median_seconds, synthetic_case_files
from models import queries
from models.crypto.kdf import default_params
from models.store import CaseStore

CASES = 10_000
BATCH = 1_000


def _make(folder: Path, name: str, plain: bool) -> CaseStore:
    store = CaseStore.create(folder / name, PASSPHRASE, now=NOW, kdf_params=default_params())
    if plain:
        store.file.adopt(PlainSealer())  # type: ignore[arg-type]  # the baseline: no encryption
    return store


def _open_all(store: CaseStore, case_ids: list[str]) -> None:
    for case_id in case_ids:
        queries.case_file(store, case_id)


def run(cases: int = CASES) -> list[dict[str, Any]]:
    files = list(synthetic_case_files(cases))
    ids = [f.case.id for f in files]
    rng = random.Random(1)
    picks = [rng.choice(ids) for _ in range(200)]
    results: dict[str, dict[str, float]] = {"encrypted": {}, "plain": {}}
    with tempfile.TemporaryDirectory() as tmp:
        stores = {
            "encrypted": _make(Path(tmp), "enc.db", plain=False),
            "plain": _make(Path(tmp), "plain.db", plain=True),
        }
        # Insert: alternate the two stores batch by batch so machine noise hits both alike.
        totals = {"encrypted": 0.0, "plain": 0.0}
        for number, start in enumerate(range(0, len(files), BATCH)):
            batch = files[start : start + BATCH]
            order = list(stores.items())
            for kind, store in order if number % 2 else reversed(order):
                totals[kind] += median_seconds(
                    functools.partial(store.add_case_files, batch, today=TODAY, now=NOW), repeat=1
                )
        for kind in stores:
            results[kind]["insert"] = totals[kind]
        # Reads: many short rounds, interleaved, and the median of all of them per store.
        samples: dict[str, dict[str, list[float]]] = {k: {"list": [], "open": []} for k in stores}
        for _round in range(9):
            for kind, store in stores.items():
                list_cases = functools.partial(queries.case_summaries, store, today=TODAY)
                samples[kind]["list"].append(median_seconds(list_cases, repeat=1))
                open_cases = functools.partial(_open_all, store, picks)
                samples[kind]["open"].append(median_seconds(open_cases, repeat=1) / len(picks))
        for kind in stores:
            results[kind]["case_list"] = statistics.median(samples[kind]["list"])
            results[kind]["open_case"] = statistics.median(samples[kind]["open"])
        for store in stores.values():
            store.close()
    return [
        {
            "benchmark": f"store: {label} ({cases:,} cases x 5 agreements)",
            "ours_ms": results["encrypted"][key] * 1000,
            "baseline_ms": results["plain"][key] * 1000,
            "ratio": results["encrypted"][key] / results["plain"][key],
            "goal": "ratio <= 1.10",
        }
        for key, label in (
            ("insert", "insert all"),
            ("case_list", "load case list"),
            ("open_case", "open one case"),
        )
    ]
