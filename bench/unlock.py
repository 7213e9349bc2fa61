"""Benchmark 3: unlock time with the chosen KDF parameters, and peak memory of the process.

Each measurement runs in a fresh process so peak memory (ru_maxrss) belongs to that step alone. The
baseline is a process that imports the same modules and opens the store without unlocking.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.support import NOW, PASSPHRASE
from models.crypto.kdf import default_params
from models.store import CaseStore

REPO = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
from datetime import datetime, UTC
from pathlib import Path
from models.store import CaseStore
store = CaseStore.open(Path(sys.argv[1]))
start = time.perf_counter()
if sys.argv[2] == "unlock":
    store.unlock(sys.argv[3], now=datetime.now(UTC))
elapsed = time.perf_counter() - start
# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child would report its parent's peak.
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": elapsed, "peak_mib": peak_kib / 1024}))
"""


def _child(path: Path, mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode, PASSPHRASE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def run() -> list[dict[str, Any]]:
    params = default_params()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "unlock.db"
        CaseStore.create(path, PASSPHRASE, now=NOW, kdf_params=params).close()
        unlocks = sorted(_child(path, "unlock")["seconds"] for _ in range(5))
        unlocked = _child(path, "unlock")
        locked = _child(path, "open")
    label = f"{params.algorithm} m={params.memory_kib} KiB t={params.iterations} p={params.lanes}"
    return [
        {
            "benchmark": f"unlock ({label})",
            "ours_ms": unlocks[len(unlocks) // 2] * 1000,
            "baseline_ms": None,
            "ratio": None,
            "goal": "interactive (< 1 s)",
        },
        {
            "benchmark": "peak memory: open + unlock vs open only (MiB)",
            "ours_ms": unlocked["peak_mib"],
            "baseline_ms": locked["peak_mib"],
            "ratio": unlocked["peak_mib"] / locked["peak_mib"],
            "goal": "report",
        },
    ]
