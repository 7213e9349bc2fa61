"""The gettext catalogues are complete (every text in the code, Dutch and English) and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po

from models.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, _, current_language, set_language

REPO = Path(__file__).resolve().parents[3]


def _messages_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("models", "sync", "ui"):
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            REPO / folder, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    for _lineno, message, _comments, _context in _extract_file(REPO / "main.py"):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _extract_file(path: Path) -> list[tuple[int, str | tuple[str, ...], list[str], str | None]]:
    with path.open("rb") as f:
        return list(extract("python", f))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated_and_compiled(language: str) -> None:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as f:
        catalogue = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]): m.string
        for m in catalogue
        if m.id and not m.fuzzy
    }
    missing = sorted(m for m in _messages_in_code() if not translated.get(m))
    assert missing == [], "run `make catalogs` and translate these"

    compiled = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    for message in catalogue:
        if message.id and isinstance(message.id, str) and message.string:
            assert compiled.gettext(message.id) == message.string, "run `make catalogs`"


def test_dutch_is_the_default_and_english_switches() -> None:
    assert current_language() == "nl"
    assert _("That passphrase or PIN is not right.") == "Die wachtzin of pincode klopt niet."
    set_language("en")
    try:
        assert _("That passphrase or PIN is not right.") == "That passphrase or PIN is not right."
    finally:
        set_language("nl")
    with pytest.raises(ValueError):
        set_language("de")
