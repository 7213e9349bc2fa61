"""The command line, run as a user runs it: a separate process, its output and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.factories import PASSPHRASE

REPO = Path(__file__).resolve().parents[3]


def run(
    home: Path, *args: str, passphrase: str | None = PASSPHRASE
) -> subprocess.CompletedProcess[str]:
    env = {
        "KEUKENTAFEL_HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if passphrase is not None:
        env["KEUKENTAFEL_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    result = run(home, "seed", "--cases", "80", "--today", "2026-11-24")
    assert result.returncode == 0, result.stderr
    assert "80" in result.stdout
    assert (
        "sleutelkluis" in result.stderr or "key store" in result.stderr
    )  # passphrase-only warning
    return home


def test_overdue_json_sorted_most_overdue_first(seeded: Path) -> None:
    result = run(seeded, "overdue", "--today", "2026-11-24", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    items = report["items"]
    assert {i["kind"] for i in items} == {"meeting", "agreement"}
    assert {i["state"] for i in items} == {"overdue", "due_soon"}
    days = [i["days_left"] for i in items]
    assert days == sorted(days)


def test_overdue_text_in_dutch_and_english(seeded: Path) -> None:
    dutch = run(seeded, "overdue", "--today", "2026-11-24")
    english = run(seeded, "--lang", "en", "overdue", "--today", "2026-11-24")
    assert dutch.returncode == english.returncode == 0
    assert "dagen te laat" in dutch.stdout
    assert "days late" in english.stdout


def test_wrong_passphrase_is_one_line_and_non_zero(seeded: Path) -> None:
    result = run(seeded, "overdue", passphrase="not the right passphrase")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_no_passphrase_and_no_terminal(seeded: Path) -> None:
    result = run(seeded, "overdue", passphrase=None)
    assert result.returncode == 1
    assert "KEUKENTAFEL_PASSPHRASE" in result.stderr


def test_bad_date_argument(seeded: Path) -> None:
    result = run(seeded, "overdue", "--today", "24-11-2026")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_no_store_yet(tmp_path: Path) -> None:
    result = run(tmp_path, "overdue")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["run", "init", "seed", "overdue"])
def test_help_on_every_command(tmp_path: Path, command: str) -> None:
    result = run(tmp_path, command, "--help")
    assert result.returncode == 0
    assert "usage:" in result.stdout
