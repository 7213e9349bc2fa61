"""Nothing personal in the files on disk or in the logs (MASVS STORAGE-1/2)."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from models import queries
from models.demo_data import demo_case_files
from models.errors import WrongPassphraseError
from models.store import CaseStore
from tests.support.factories import NOW, PASSPHRASE, TODAY, a_case_file, canary

REPO = Path(__file__).resolve().parents[3]


def _needles(texts: set[str]) -> list[bytes]:
    # SQLite stores text as UTF-8; look for UTF-16 too in case a value slipped in some other way.
    return [t.encode(enc) for t in texts for enc in ("utf-8", "utf-16-le") if len(t) >= 4]


def test_no_personal_text_in_db_wal_or_shm(store: CaseStore, store_path: Path) -> None:
    files = list(demo_case_files(60, today=TODAY, seed=7))
    store.add_case_files(files, today=TODAY, now=NOW)
    texts: set[str] = set()
    for f in files:
        texts |= {f.case.resident.name, f.case.question, f.case.resident.address}
        texts |= {p.name for p in f.participants}
        for m in f.meetings:
            texts |= set(m.wants + m.strengths + m.needs)
        texts |= {a.what for a in f.agreements}
    texts.discard("")
    # Scan while the store is open, so the write-ahead log still holds the recent pages.
    paths = [store_path, Path(f"{store_path}-wal"), Path(f"{store_path}-shm")]
    assert paths[1].exists() and paths[1].stat().st_size > 0
    raw = b"".join(p.read_bytes() for p in paths if p.exists())
    found = [n for n in _needles(texts) if n in raw]
    assert found == []
    # And the check can fail: the sealed names really are in there once opened.
    assert {r.resident_name for r in queries.case_summaries(store, today=TODAY)} >= {
        f.case.resident.name for f in files
    }


def test_canaries_never_reach_the_logs(
    store: CaseStore, store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level, sqlalchemy included
    name, question, what = canary("Naam"), canary("Vraag"), canary("Afspraak")
    f = a_case_file(name=name, question=question, what=what)
    store.add_case_files([f], today=TODAY, now=NOW)
    queries.case_summaries(store, today=TODAY, search=name[:10])
    queries.overdue(store, today=TODAY + timedelta(days=60))
    queries.case_file(store, f.case.id)
    # Failures log too: a damaged record and a wrong passphrase.
    with sqlite3.connect(store_path) as conn:
        conn.execute("update residents set name = x'00'")
    queries.case_summaries(store, today=TODAY)
    store.close()
    s = CaseStore.open(store_path)
    with pytest.raises(WrongPassphraseError):
        s.unlock(name, now=NOW)
    s.close()

    assert caplog.records, "expected some log output to check"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for value in (name, question, what):
        assert value not in logged


def test_cli_error_output_has_no_personal_data(tmp_path: Path) -> None:
    """Even an unexpected error prints its type only, not a message that may hold data."""
    env = {
        "KEUKENTAFEL_HOME": str(tmp_path),
        "KEUKENTAFEL_PASSPHRASE": PASSPHRASE,
        "PATH": "/usr/bin:/bin",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    run = [sys.executable, str(REPO / "main.py")]
    seeded = subprocess.run(
        [*run, "seed", "--cases", "5"], env=env, capture_output=True, check=False, text=True
    )
    assert seeded.returncode == 0, seeded.stderr
    db = tmp_path / "keukentafel.db"
    with sqlite3.connect(db) as conn:  # break a plaintext column so the query fails unexpectedly
        # sorts before any real date, so the query returns it and parsing it fails
        conn.execute("update agreements set due_date = '0000-Kanarie', status = 'open'")
    result = subprocess.run([*run, "overdue"], env=env, capture_output=True, check=False, text=True)
    assert result.returncode == 2
    assert "Kanarie" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
