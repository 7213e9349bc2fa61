"""Translations through gettext catalogues: Dutch by default, English second.

Message ids in the code are English; ``assets/locales/<lang>/LC_MESSAGES/keukentafel.po`` holds the
translations (Babel extracts and compiles them, see the README). ``_`` translates at call time in
the
current language, so a message built when an error is raised speaks the language of that moment.
The language is process-wide state: the app has one user at a time.
"""

from __future__ import annotations

import gettext
from pathlib import Path
from typing import Final

DOMAIN: Final = "keukentafel"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "assets" / "locales"
LANGUAGES: Final = ("nl", "en")
DEFAULT_LANGUAGE: Final = "nl"

_translations: dict[str, gettext.NullTranslations] = {}
_current: list[str] = [DEFAULT_LANGUAGE]


def _catalogue(language: str) -> gettext.NullTranslations:
    if language not in _translations:
        _translations[language] = gettext.translation(
            DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True
        )
    return _translations[language]


def set_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    _current[0] = language


def current_language() -> str:
    return _current[0]


def _(message: str) -> str:
    """Translate ``message`` into the current language (the msgid itself if no translation)."""
    return _catalogue(_current[0]).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalogue(_current[0]).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translate later with ``_``)."""
    return message
