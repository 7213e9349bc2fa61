"""`python main.py verify FILE`, run as a separate process the way a person would use it."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from models import plan_pdf
from models.store import CaseStore
from tests.support.pdf_tamper import rewrite_content
from tests.support.signatures import RESIDENT_NAME, a_plan_case_file, sign_all
from ui.viewmodels.settings import SettingsViewModel

REPO = Path(__file__).resolve().parents[3]


def verify(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *extra, "verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_verify_command(store: CaseStore, tmp_path: Path) -> None:
    signed = sign_all(store, a_plan_case_file(agreements=3))
    good = tmp_path / "plan.pdf"
    good.write_bytes(plan_pdf.build_plan_pdf(signed, language="nl"))

    result = verify(good)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GELDIG" in result.stdout and RESIDENT_NAME in result.stdout
    english = verify(good, "--lang", "en")
    assert english.returncode == 0 and "VALID" in english.stdout

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(
        rewrite_content(good.read_bytes(), b"Afspraak 2: samen", b"Afspraak 9: samen")
    )
    result = verify(tampered)
    assert result.returncode == 1, result.stdout
    assert "NIET GELDIG" in result.stdout

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    result = verify(junk)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr

    missing = verify(tmp_path / "nothing-here.pdf")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_the_key_settings_shows_is_the_one_verify_prints(store: CaseStore, tmp_path: Path) -> None:
    """A signed PDF can be traced to the tablet: its Settings show the key verify names."""
    signed = sign_all(store, a_plan_case_file(agreements=1))
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(plan_pdf.build_plan_pdf(signed, language="nl"))
    shown = SettingsViewModel(store, idle_lock=timedelta(minutes=5)).signing_key_text
    assert len(shown) == 16 and int(shown, 16) >= 0
    result = verify(pdf)
    assert result.returncode == 0
    keys = set(re.findall(r"sleutel ([0-9a-f]{16})", result.stdout))
    assert keys == {shown}  # every signature of the plan was made with this device's key
