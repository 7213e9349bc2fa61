"""Server settings from the environment (prefix ``KEUKENTAFEL_``), passed in as a dependency.

Nothing reads the environment at import time: ``create_app(settings)`` takes a ``Settings``, and
routes get it through ``SettingsDep``. Outside development the settings refuse the built-in
development secret, so a production server can never start with a key that is in the repository.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-never-use-in-production-0123456789"
DEFAULT_DATABASE_URL = "sqlite:///keukentafel-server.db"
ARGON2_FLOOR_KIB = 19 * 1024  # OWASP's floor for Argon2id: m=19 MiB, t=2, p=1


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEUKENTAFEL_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias="DATABASE_URL",  # the conventional name, without the prefix
    )
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    host: str = "127.0.0.1"
    port: int = 8000
    # uvicorn serves https itself when both are set (else: a TLS-terminating proxy in front).
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    # Peers whose X-Forwarded-Proto header is believed (the TLS-terminating reverse proxy).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    token_audience: str = "keukentafel-dossier"
    access_token_minutes: int = Field(default=10, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=90)
    enrolment_code_hours: int = Field(default=72, ge=1, le=24 * 14)
    # Argon2id for account passwords; RFC 9106's second recommendation by default.
    argon2_memory_kib: int = Field(default=64 * 1024, ge=ARGON2_FLOOR_KIB)
    argon2_time_cost: int = Field(default=3, ge=2)
    argon2_parallelism: int = Field(default=4, ge=1)
    # API4 limits (server/limits.py): body sizes in bytes, attempts per window per IP / account.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_push_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    rate_limit_login_per_ip: int = Field(default=30, ge=1)
    rate_limit_login_per_account: int = Field(default=10, ge=1)
    rate_limit_refresh_per_ip: int = Field(default=600, ge=1)
    rate_limit_refresh_per_account: int = Field(default=60, ge=1)
    rate_limit_enrol_per_ip: int = Field(default=20, ge=1)
    rate_limit_sync_per_device: int = Field(default=300, ge=1)  # push and pull together
    # The team lead's dashboard routes (JSON, CSV, PDF) per device; the PDF also on its own.
    rate_limit_team_per_device: int = Field(default=60, ge=1)
    rate_limit_team_pdf_per_device: int = Field(default=6, ge=1)
    # The team report PDF: at most this many table rows (overdue items, organisations, stories);
    # above it 422 report_too_large (server/limits.py). 500 rows are about 30 pages.
    max_report_pdf_rows: int = Field(default=500, ge=1)
    # Refused bearer tokens (missing, bad, expired, revoked) per IP: each writes an audit row.
    rate_limit_refused_auth_per_ip: int = Field(default=60, ge=1)
    # Requests inside the app at once; keep it below the database connection pool's size.
    max_concurrent_requests: int = Field(default=15, ge=1)
    # Of those, pushes: they are applied one at a time under the sync lock anyway.
    max_concurrent_pushes: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _no_default_secrets_outside_development(self) -> Self:
        if self.env is Environment.DEVELOPMENT:
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET:
            raise ValueError("KEUKENTAFEL_SECRET_KEY must be set outside development")
        if len(secret) < 32:
            raise ValueError("KEUKENTAFEL_SECRET_KEY must be at least 32 characters")
        return self
