"""How the app starts: a window where possible, else served on 127.0.0.1 only (ui/launch.py).

Flet itself is replaced by a recorder here; tests/integration/cli/test_launch.py starts the real
thing as a process and looks at the socket it listens on.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import flet as ft
import pytest

from ui import launch


class FletRecorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.env_seen: dict[str, str | None] = {}

    def __call__(self, main: object, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        self.env_seen = {
            v: os.environ.get(v)
            for v in ("FLET_SERVER_IP", "FLET_SERVER_PORT", "FLET_FORCE_WEB_SERVER")
        }


@pytest.fixture
def flet_run(monkeypatch: pytest.MonkeyPatch) -> FletRecorder:
    recorder = FletRecorder()
    monkeypatch.setattr(launch.ft, "run", recorder)
    monkeypatch.setattr(launch, "_warm_up", lambda port=None: None)
    monkeypatch.delenv("FLET_FORCE_WEB_SERVER", raising=False)
    return recorder


def free_port() -> int:
    with socket.socket() as s:
        s.bind((launch.HOST, 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display rule is for Linux")
@pytest.mark.parametrize(
    ("display", "wayland", "expected"),
    [(None, None, False), ("", "", False), (":0", None, True), (None, "wayland-0", True)],
)
def test_a_display_is_x11_or_wayland(
    monkeypatch: pytest.MonkeyPatch, display: str | None, wayland: str | None, expected: bool
) -> None:
    for name, value in (("DISPLAY", display), ("WAYLAND_DISPLAY", wayland)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert launch.display_available() is expected


def test_no_desktop_client_when_flet_desktop_cannot_load(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = launch.importlib.import_module

    def fail_for_flet_desktop(name: str, package: str | None = None) -> Any:
        if name == "flet_desktop":
            raise ModuleNotFoundError(name)
        return real_import(name, package)

    monkeypatch.setattr(launch.importlib, "import_module", fail_for_flet_desktop)
    assert launch.desktop_client_available() is False


def test_no_desktop_client_when_the_download_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    class Offline:
        @staticmethod
        def ensure_client_cached() -> None:
            raise OSError("network is unreachable")

    monkeypatch.setattr(launch.importlib, "import_module", lambda name, package=None: Offline)
    before = socket.getdefaulttimeout()
    assert launch.desktop_client_available() is False
    assert socket.getdefaulttimeout() == before  # the download's time-out is put back


def test_without_a_display_it_serves_on_localhost_without_cdn(
    flet_run: FletRecorder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(launch, "display_available", lambda: False)
    monkeypatch.setattr(launch, "desktop_client_available", pytest.fail)  # not even tried
    monkeypatch.setenv("FLET_SERVER_IP", "0.0.0.0")
    monkeypatch.setenv("FLET_SERVER_PORT", "8080")
    port = free_port()
    assert launch.run(tmp_path / "k.db", port=port) == 0
    [call] = flet_run.calls
    assert call["view"] is None and call["host"] == "127.0.0.1" and call["port"] == port
    assert call["no_cdn"] is True and Path(call["assets_dir"]) == launch.ASSETS_DIR
    assert flet_run.env_seen == {
        "FLET_SERVER_IP": None,
        "FLET_SERVER_PORT": None,
        "FLET_FORCE_WEB_SERVER": "true",
    }
    assert f"http://127.0.0.1:{port}" in capsys.readouterr().out


def test_a_display_without_the_desktop_client_serves_on_localhost(
    flet_run: FletRecorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(launch, "display_available", lambda: True)
    monkeypatch.setattr(launch, "desktop_client_available", lambda: False)
    port = free_port()
    assert launch.run(tmp_path / "k.db", port=port) == 0
    [call] = flet_run.calls
    assert (call["view"], call["host"], call["no_cdn"]) == (None, "127.0.0.1", True)


def test_a_display_and_the_desktop_client_open_a_window(
    flet_run: FletRecorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(launch, "display_available", lambda: True)
    monkeypatch.setattr(launch, "desktop_client_available", lambda: True)
    monkeypatch.setenv("FLET_SERVER_IP", "0.0.0.0")
    assert launch.run(tmp_path / "k.db") == 0
    [call] = flet_run.calls
    assert call["view"] is ft.AppView.FLET_APP and "host" not in call
    assert flet_run.env_seen["FLET_SERVER_IP"] is None


def test_web_serves_even_with_a_window_possible(
    flet_run: FletRecorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(launch, "display_available", lambda: True)
    monkeypatch.setattr(launch, "desktop_client_available", lambda: True)
    assert launch.run(tmp_path / "k.db", web=True, port=free_port()) == 0
    assert flet_run.calls[0]["view"] is None


def test_a_busy_port_is_one_clear_line_and_exit_1(
    flet_run: FletRecorder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(launch, "display_available", lambda: False)
    with socket.socket() as busy:
        busy.bind((launch.HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not launch.port_free(port)
        assert launch.run(tmp_path / "k.db", port=port) == 1
    assert flet_run.calls == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(port) in err and "--port" in err
    assert launch.port_free(port)
