"""Where the case file lives: KEUKENTAFEL_HOME, then Flet's app storage, then the platform."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from models import datafolder
from models.datafolder import STORE_FILENAME, data_folder, store_path


def test_keukentafel_home_wins_over_flet_storage_and_the_platform(tmp_path: Path) -> None:
    env = {
        "KEUKENTAFEL_HOME": str(tmp_path / "home"),
        "FLET_APP_STORAGE_DATA": str(tmp_path / "flet"),
    }
    assert data_folder(env) == tmp_path / "home"
    assert store_path(env) == tmp_path / "home" / STORE_FILENAME


def test_flet_storage_wins_over_the_platform_folder(tmp_path: Path) -> None:
    env = {"FLET_APP_STORAGE_DATA": str(tmp_path / "flet")}
    assert data_folder(env) == tmp_path / "flet"
    assert data_folder({"KEUKENTAFEL_HOME": "", **env}) == tmp_path / "flet"  # empty: not set


def test_without_either_the_platform_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = Path(platformdirs.user_data_dir("keukentafel", appauthor=False))
    assert data_folder({}) == expected
    assert data_folder({"KEUKENTAFEL_HOME": "", "FLET_APP_STORAGE_DATA": ""}) == expected
    assert store_path({}) == expected / STORE_FILENAME
    assert expected.name == "keukentafel"
    # Where the platform says: follow it (e.g. XDG_DATA_HOME on Linux), not a fixed path.
    monkeypatch.setattr(datafolder, "user_data_dir", lambda *_a, **_k: "/elsewhere/keukentafel")
    assert data_folder({}) == Path("/elsewhere/keukentafel")


def test_a_home_folder_with_a_tilde_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/tester")
    assert data_folder({"KEUKENTAFEL_HOME": "~/kt"}) == Path("/home/tester/kt")


def test_the_process_environment_is_read_when_none_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLET_APP_STORAGE_DATA", str(tmp_path / "flet"))
    monkeypatch.setenv("KEUKENTAFEL_HOME", str(tmp_path / "home"))
    assert data_folder() == tmp_path / "home"
    monkeypatch.delenv("KEUKENTAFEL_HOME")
    assert store_path() == tmp_path / "flet" / STORE_FILENAME
