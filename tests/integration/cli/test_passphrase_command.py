"""`python main.py passphrase`: change the passphrase or PIN from the command line, as a user does.

Run as a separate process with no OS key store (the ``fail`` keyring backend, as on these
machines), so the store is passphrase-only and a PIN is not allowed. The passphrases come from the
environment, or are typed at a real terminal (a pseudo-terminal) the way a person types them.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.datafolder import STORE_FILENAME
from models.errors import WrongPassphraseError
from models.store import CaseStore

REPO = Path(__file__).resolve().parents[3]
OLD = "de oude lange wachtzin"
NEW = "een nieuwe lange wachtzin"


def env_for(home: Path, **extra: str) -> dict[str, str]:
    return {
        "KEUKENTAFEL_HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **extra,
    }


def run(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        env=env_for(home, **extra),
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def unlocks(home: Path, passphrase: str) -> bool:
    """Whether ``passphrase`` opens the case file (a failure counts, as in the app)."""
    store = CaseStore.open(home / STORE_FILENAME)
    try:
        store.unlock(passphrase, now=datetime.now(UTC))
    except WrongPassphraseError:
        return False
    finally:
        store.close()
    return True


def failed_unlocks(home: Path) -> int:
    store = CaseStore.open(home / STORE_FILENAME)
    try:
        return store.unlock_status(now=datetime.now(UTC)).failures
    finally:
        store.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    result = run(tmp_path, "init", KEUKENTAFEL_PASSPHRASE=OLD)
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_change_from_the_environment_then_only_the_new_one_unlocks(home: Path) -> None:
    result = run(home, "passphrase", KEUKENTAFEL_PASSPHRASE=OLD, KEUKENTAFEL_NEW_PASSPHRASE=NEW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Uw wachtzin is gewijzigd. Ontgrendel voortaan met de nieuwe."
    assert not unlocks(home, OLD)
    assert unlocks(home, NEW)


def test_a_wrong_current_passphrase_is_one_line_and_counts_as_a_failed_unlock(
    home: Path,
) -> None:
    result = run(
        home, "passphrase", KEUKENTAFEL_PASSPHRASE="niet de goede", KEUKENTAFEL_NEW_PASSPHRASE=NEW
    )
    assert result.returncode == 1
    assert result.stderr == (
        "keukentafel: Uw huidige wachtzin of pincode klopt niet. Er is niets gewijzigd.\n"
    )
    assert failed_unlocks(home) == 1
    assert unlocks(home, OLD)  # and a good unlock resets the count
    assert failed_unlocks(home) == 0


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ("48214821", "een pincode is hier niet veilig"),  # passphrase-only: no PIN
        (OLD, "dezelfde als de huidige"),
    ],
    ids=["pin-without-key-store", "unchanged"],
)
def test_a_new_passphrase_that_breaks_a_rule_is_refused(home: Path, new: str, words: str) -> None:
    result = run(home, "passphrase", KEUKENTAFEL_PASSPHRASE=OLD, KEUKENTAFEL_NEW_PASSPHRASE=new)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and words in result.stderr.lower()
    assert failed_unlocks(home) == 0
    assert unlocks(home, OLD)


def test_without_the_new_one_and_without_a_terminal(home: Path) -> None:
    result = run(home, "passphrase", KEUKENTAFEL_PASSPHRASE=OLD)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "KEUKENTAFEL_NEW_PASSPHRASE" in result.stderr
    assert unlocks(home, OLD)


def test_no_case_file_yet(tmp_path: Path) -> None:
    result = run(tmp_path, "passphrase", KEUKENTAFEL_PASSPHRASE=OLD, KEUKENTAFEL_NEW_PASSPHRASE=NEW)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nog geen dossier" in result.stderr
    assert not (tmp_path / STORE_FILENAME).exists()


def test_help_names_the_command_and_its_environment(tmp_path: Path) -> None:
    overview = run(tmp_path, "--help")
    assert overview.returncode == 0 and "passphrase" in overview.stdout
    result = run(tmp_path, "--lang", "en", "passphrase", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "KEUKENTAFEL_PASSPHRASE" in text and "KEUKENTAFEL_NEW_PASSPHRASE" in text
    assert "counts as a failed unlock" in text


# -- typed at a terminal --------------------------------------------------------------------


def in_terminal(home: Path, answers: list[str]) -> tuple[int, str]:
    """Run `passphrase` on a pseudo-terminal; type each answer after the next prompt appears.

    ``getpass`` flushes what was typed ahead, so each answer waits for its prompt (": ").
    """
    controller, terminal = pty.openpty()

    def take_terminal() -> None:  # the child's controlling terminal, so getpass finds /dev/tty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "passphrase"],
        env=env_for(home),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        preexec_fn=take_terminal,
    )
    os.close(terminal)
    output, pending, deadline = b"", list(answers), time.monotonic() + 60
    prompts_seen = 0
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 1024)
                except OSError:  # the child has gone and closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if pending and output.count(b": ") > prompts_seen:
                prompts_seen += 1
                time.sleep(0.1)  # getpass switches echo off after writing its prompt
                os.write(controller, pending.pop(0).encode() + b"\n")
            if process.poll() is not None and not ready:
                break
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return code, output.decode(errors="replace")


def test_typed_at_a_terminal_asks_the_new_one_twice(home: Path) -> None:
    code, output = in_terminal(home, [OLD, NEW, NEW])
    assert code == 0, output
    assert "Huidige wachtzin of pincode: " in output
    assert "Nieuwe wachtzin of pincode: " in output and "Typ hem nog een keer" in output
    assert NEW not in output and OLD not in output  # nothing typed is echoed
    assert unlocks(home, NEW)


def test_typed_twice_differently_changes_nothing(home: Path) -> None:
    code, output = in_terminal(home, [OLD, NEW, NEW + "!"])
    assert code == 1
    assert "De twee wachtzinnen zijn niet gelijk. Er is niets gewijzigd." in output
    assert unlocks(home, OLD)
