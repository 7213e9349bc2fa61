"""The command line, run as a user runs it: a separate process, its output and exit code."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import keyring
import pytest
from faker.providers.person.tr_TR import Provider as TurkishNames
from keyring.backends import fail

from main import build_parser
from models import queries
from models.datafolder import STORE_FILENAME
from models.deadlines import DeadlineState
from models.demo_data import DEMO_ROLE, MOROCCAN_FAMILY, MOROCCAN_GIVEN, demo_case_files
from models.domain import CaseStage
from models.i18n import current_language, set_language
from models.profile import load_profile
from models.store import CaseStore
from tests.support.factories import PASSPHRASE

REPO = Path(__file__).resolve().parents[3]
SEED_DAY = date(2026, 11, 24)
TURKISH_GIVEN = frozenset(TurkishNames.first_names)


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


def subcommands() -> dict[str, str]:
    """Every command ``main.py`` defines, with its one-line help, read from its own parser."""
    found = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(found) == 1
    helps = {a.dest: a.help or "" for a in found[0]._choices_actions}
    return {name: helps.get(name, "") for name in found[0].choices}


def test_the_command_list_is_read_from_the_parser() -> None:
    assert {"run", "init", "seed", "overdue", "verify", "enrol", "sync"} <= set(subcommands())


def test_top_level_help_lists_every_command_with_its_help(tmp_path: Path) -> None:
    result = run(tmp_path, "--lang", "en", "--help", passphrase=None)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: keukentafel")
    listed = " ".join(result.stdout.split())  # argparse wraps long help lines
    before = current_language()
    set_language("en")
    try:
        commands = subcommands()
    finally:
        set_language(before)
    for name, text in commands.items():
        assert text.strip(), f"command {name!r} has no help text"
        assert name in listed and " ".join(text.split()) in listed, name


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_help_on_every_command(tmp_path: Path, command: str) -> None:
    result = run(tmp_path, command, "--help", passphrase=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: keukentafel {command}")
    assert result.stderr == "" and "Traceback" not in result.stdout
    assert not (tmp_path / STORE_FILENAME).exists()  # --help touches nothing


# -- the demo data: names, stages and deadlines a demo needs ------------------------------------


@contextlib.contextmanager
def seeded_store(home: Path) -> Iterator[CaseStore]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # as the CLI ran
    store = CaseStore.open(home / STORE_FILENAME)
    try:
        store.unlock(PASSPHRASE, now=datetime.now(UTC))
        yield store
    finally:
        store.close()
        keyring.set_keyring(previous)


def test_seed_gives_every_stage_and_deadline_state(seeded: Path) -> None:
    with seeded_store(seeded) as store:
        summaries = queries.case_summaries(store, today=SEED_DAY)
        overdue = queries.overdue(store, today=SEED_DAY, include_due_soon=False)
        files = [queries.case_file(store, s.case_id) for s in summaries]
    assert len(summaries) == 80
    stages = Counter(s.stage for s in summaries)
    assert set(stages) >= {
        CaseStage.CONTACT,
        CaseStage.MEETING_PLANNED,
        CaseStage.MEETING_HELD,
        CaseStage.AGREEMENTS_RUNNING,
        CaseStage.CLOSED,
        CaseStage.NO_MEETING_NEEDED,
    }, stages
    kinds = Counter(item.kind for item in overdue)
    assert kinds[queries.OverdueKind.MEETING] >= 2 and kinds[queries.OverdueKind.AGREEMENT] >= 2
    assert all(item.deadline.state is DeadlineState.OVERDUE for item in overdue)
    assert any(s.meeting.state is DeadlineState.DUE_SOON for s in summaries)
    done_late = [a for f in files for a in f.agreements if a.done_on and a.done_on > a.due_date]
    assert done_late, "some agreements are done late"
    assert not any(s.damaged for s in summaries)


def test_seed_names_have_diacritics_and_turkish_and_moroccan_names(seeded: Path) -> None:
    with seeded_store(seeded) as store:
        summaries = queries.case_summaries(store, today=SEED_DAY)
        people = {
            p.name for s in summaries for p in queries.case_file(store, s.case_id).participants
        }
    residents = {s.resident_name or "" for s in summaries}
    names = residents | people
    with_diacritics = {
        n for n in names if any(unicodedata.decomposition(c) for c in n if c.isalpha())
    }
    assert len(with_diacritics) >= 3, names
    assert any(c in n for n in names for c in "şğıİŞĞ"), "Turkish letters"
    turkish = {n for n in residents if n.split()[0] in TURKISH_GIVEN}
    moroccan = {
        n
        for n in residents
        if n.split()[0] in MOROCCAN_GIVEN and any(n.endswith(f" {f}") for f in MOROCCAN_FAMILY)
    }
    assert turkish and moroccan, residents
    # Synthetic people with first and last names, no titles such as "Dr." or "Doç.".
    assert all(len(n.split()) >= 2 and "." not in n for n in residents)


# -- privacy: the CLI's errors and logs carry no names --------------------------------------


def seeded_names() -> set[str]:
    """The residents and participants ``seed --cases 80`` made (the generator is deterministic)."""
    files = demo_case_files(80, today=SEED_DAY, seed=2026)
    return {n for f in files for n in (f.case.resident.name, *(p.name for p in f.participants))}


def test_seed_and_overdue_print_no_names_outside_the_report(seeded: Path) -> None:
    names = seeded_names()
    surnames = {n.split()[-1] for n in names if len(n.split()[-1]) >= 5}
    stored = set()
    with seeded_store(seeded) as store:
        stored = {s.resident_name for s in queries.case_summaries(store, today=SEED_DAY)}
    assert stored <= names  # the scan looks for the names that really are in the store
    runs = {
        "seed again": run(seeded, "seed", "--cases", "2", "--seed", "9", "--today", "2026-11-24"),
        "overdue": run(seeded, "overdue", "--today", "2026-11-24"),
        "overdue json": run(seeded, "overdue", "--today", "2026-11-24", "--json"),
        "wrong passphrase": run(seeded, "overdue", passphrase="not the right passphrase"),
        "bad date": run(seeded, "overdue", "--today", "24-11-2026"),
        "english": run(seeded, "--lang", "en", "overdue", "--overdue-only"),
    }
    for label, result in runs.items():
        leaked = {n for n in names | surnames if n in result.stderr}
        assert leaked == set(), (label, leaked)
    for label in ("seed again", "wrong passphrase", "bad date"):
        leaked = {n for n in names | surnames if n in runs[label].stdout}
        assert leaked == set(), (label, leaked)
    # And the scan can fail: the overdue report itself does name the residents.
    assert any(n in runs["overdue"].stdout for n in names)


def test_a_device_set_up_by_seed_gets_a_synthetic_professional(tmp_path: Path) -> None:
    """Settings shows someone and a demo signature names a witness; seeding again keeps them."""
    assert run(tmp_path, "seed", "--cases", "1").returncode == 0
    with seeded_store(tmp_path) as store:
        profile = load_profile(store)
        assert profile is not None and profile.role == DEMO_ROLE and profile.name.strip()
        assert profile.organisation_id == store.organisations()[0].id
    assert run(tmp_path, "seed", "--cases", "1", "--seed", "7").returncode == 0
    with seeded_store(tmp_path) as store:
        assert load_profile(store) == profile
