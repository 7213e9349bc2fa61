"""Passwords, random secrets and access tokens. Rules only; the database is the caller's.

- Account passwords: Argon2id (argon2-cffi), parameters from the settings, RFC 9106 by default.
- Random secrets (device secrets, enrolment codes, refresh tokens): ``secrets`` + SHA-256 digests.
- Access tokens: JWT, HS256 only (the algorithm is fixed on decode, never read from the token),
  ``exp``/``aud``/``iat``/``jti`` required. Claims carry ids only: no name, no e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.settings import Settings

ALGORITHM = "HS256"
ISSUER = "keukentafel-dossier"


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def hash_password(settings: Settings, password: str) -> str:
    return password_hasher(settings).hash(password)


def verify_password(settings: Settings, stored: str | None, password: str) -> bool:
    hasher = password_hasher(settings)
    if stored is None:
        # Unknown account: hash anyway, so the answer takes as long as for a known one and
        # response times do not tell which e-mail addresses have an account.
        hasher.hash(password)
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_enrolment_code() -> str:
    """20 characters from an alphabet without look-alikes (about 100 bits), in groups of five."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def normalise_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_id: uuid.UUID
    device_id: uuid.UUID
    family_id: uuid.UUID
    jti: uuid.UUID


def issue_access_token(settings: Settings, claims: AccessClaims, *, now: datetime) -> str:
    payload = {
        "iss": ISSUER,
        "aud": settings.token_audience,
        "sub": str(claims.account_id),
        "dev": str(claims.device_id),
        "fam": str(claims.family_id),
        "jti": str(claims.jti),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
    }
    return jwt.encode(payload, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


class InvalidToken(Exception):
    """The access token is missing, malformed, expired, or not ours."""


def read_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "aud", "iss", "sub", "jti"]},
        )
        return AccessClaims(
            account_id=uuid.UUID(payload["sub"]),
            device_id=uuid.UUID(payload["dev"]),
            family_id=uuid.UUID(payload["fam"]),
            jti=uuid.UUID(payload["jti"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
        raise InvalidToken from error
