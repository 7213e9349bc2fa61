"""A process killed with SIGKILL in the middle of writes leaves a store that opens, intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keyring.backends.fail
import pytest

from models import queries
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, floor_kdf_params

REPO = Path(__file__).resolve().parents[3]

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date, datetime, UTC
    from pathlib import Path
    from models.demo_data import demo_case_files
    from models.store import CaseStore

    store = CaseStore.open(Path(sys.argv[1]))
    store.unlock(sys.argv[2], now=datetime.now(UTC))
    today = date.fromisoformat(sys.argv[3])
    for i, f in enumerate(demo_case_files(100_000, today=today, seed=11)):
        # Alternate single-case and 20-case transactions.
        batch = [f] if i % 2 else [f, *[next(iter(demo_case_files(1, today=today, seed=i)))
                                        for _ in range(19)]]
        store.add_case_files(batch, today=today, now=datetime.now(UTC))
        for g in batch:  # only after the commit returned
            print(g.case.id, flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_during_writes_keeps_every_committed_case(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # passphrase-only: a child sees no keyring
    try:
        path = tmp_path / "k.db"
        CaseStore.create(path, PASSPHRASE, now=NOW, kdf_params=floor_kdf_params()).close()
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), PASSPHRASE, TODAY.isoformat()],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        )
        assert child.stdout is not None
        committed: list[str] = []
        deadline = time.monotonic() + 60
        while len(committed) < 300 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            committed.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)
        rest, errors = child.communicate()
        committed += [line for line in rest.split() if line]
        assert len(committed) >= 300, errors

        store = CaseStore.open(path)
        store.unlock(PASSPHRASE, now=NOW)
        on_disk = {s.case_id for s in queries.case_summaries(store, today=TODAY)}
        assert not any(s.damaged for s in queries.case_summaries(store, today=TODAY))
        store.close()
        assert set(committed) <= on_disk
        # Whole transactions only: every case on disk is complete enough to open.
        store = CaseStore.open(path)
        store.unlock(PASSPHRASE, now=NOW)
        for case_id in list(on_disk)[:50]:
            queries.case_file(store, case_id)
        store.close()
    finally:
        keyring.set_keyring(previous)
