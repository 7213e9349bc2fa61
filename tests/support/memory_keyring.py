"""An in-memory ``keyring`` backend for tests: a fake OS key store, never touching the real one."""

from __future__ import annotations

from typing import ClassVar

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Stores passwords in a class-level dict, so every instance sees the same "OS" key store."""

    priority = 1
    # keyring registers every backend subclass for auto-detection; with priority 1 this one would
    # beat the ``fail`` backend in any test that never asked for it. Tests opt in via the fixture.
    viable = False
    entries: ClassVar[dict[tuple[str, str], str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None
