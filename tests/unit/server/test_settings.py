"""Settings refuse the development secret outside development (STYLE 6)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from server.settings import DEFAULT_DATABASE_URL, Environment, Settings


def test_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "KEUKENTAFEL_ENV", "KEUKENTAFEL_SECRET_KEY", "KEUKENTAFEL_HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.host == "127.0.0.1" and settings.port == 8000
    assert "never-use" not in repr(settings)  # the secret never prints


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEUKENTAFEL_ENV", "production")
    monkeypatch.delenv("KEUKENTAFEL_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="KEUKENTAFEL_SECRET_KEY must be set"):
        Settings()
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(secret_key=SecretStr("short"))
    monkeypatch.setenv("KEUKENTAFEL_SECRET_KEY", "p" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://dossier@db/keukentafel")
    settings = Settings()
    assert settings.database_url.startswith("postgresql://")


def test_argon2_parameters_have_a_floor() -> None:
    with pytest.raises(ValidationError):
        Settings(argon2_memory_kib=1024)


def test_the_report_pdf_row_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEUKENTAFEL_MAX_REPORT_PDF_ROWS", raising=False)
    assert Settings().max_report_pdf_rows == 500
    monkeypatch.setenv("KEUKENTAFEL_MAX_REPORT_PDF_ROWS", "120")
    assert Settings().max_report_pdf_rows == 120
    with pytest.raises(ValidationError):
        Settings(max_report_pdf_rows=0)
