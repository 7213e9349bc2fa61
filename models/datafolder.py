"""Where the case file lives on this device.

In order: ``KEUKENTAFEL_HOME`` (tests, scripts, a second profile), ``FLET_APP_STORAGE_DATA`` (set by
Flet on Android/iOS to the app's private data folder), else the platform's per-user app-data folder
(``~/.local/share/keukentafel`` on Linux, ``%LOCALAPPDATA%\\keukentafel`` on Windows).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_data_dir

STORE_FILENAME = "keukentafel.db"  # light on purpose: imported by the start-up path


def data_folder(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    for variable in ("KEUKENTAFEL_HOME", "FLET_APP_STORAGE_DATA"):
        if env.get(variable):
            return Path(env[variable]).expanduser()
    return Path(user_data_dir("keukentafel", appauthor=False))


def store_path(environ: Mapping[str, str] | None = None) -> Path:
    return data_folder(environ) / STORE_FILENAME
