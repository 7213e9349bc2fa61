"""The two documented commands: ``python -m server create-admin`` and ``python -m server``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from server.settings import ARGON2_FLOOR_KIB

ROOT = Path(__file__).resolve().parents[3]


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEUKENTAFEL_")}
    env.update(
        DATABASE_URL=database_url,
        KEUKENTAFEL_ARGON2_MEMORY_KIB=str(ARGON2_FLOOR_KIB),
        KEUKENTAFEL_ARGON2_TIME_COST="2",
        KEUKENTAFEL_ARGON2_PARALLELISM="1",
        **extra,
    )
    return env


@pytest.mark.slow
def test_create_admin_then_serve_and_log_in(database_url: str) -> None:
    env = _env(database_url, KEUKENTAFEL_ADMIN_PASSWORD="a long admin passphrase")
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "create-admin",
            "--email",
            "beheer@example.org",
            "--organisation",
            "Zorg Oss",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "a long admin passphrase" not in created.stdout + created.stderr
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "create-admin",
            "--email",
            "beheer@example.org",
            "--organisation",
            "Zorg Oss",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 1

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "server"],
        cwd=ROOT,
        env={**env, "KEUKENTAFEL_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"{url}/health").json() == {"status": "ok"}
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "server did not start"
                time.sleep(0.1)
        code = httpx.post(f"{url}/enrolment-codes")
        assert code.status_code == 401
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "beheer@example.org" not in output


def test_production_refuses_to_start_with_the_default_secret(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path / 'x.db'}", KEUKENTAFEL_ENV="production")
    result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "KEUKENTAFEL_SECRET_KEY" in result.stderr
