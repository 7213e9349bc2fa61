"""The tablet runs out of room in the middle of a meeting, in a real browser (#2, #3).

The case file lives on a small file system of its own (tmpfs, mounted by the test; CI runs as
root), which the test then fills to the last byte: SQLite gets the real ENOSPC from the kernel.
The app must say so in plain words, keep what was typed on the screen (every key, also those typed
after the message came), and save it once there is room again; after a restart the meeting resumes
with it.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSPHRASE, TABLET, App
from tests.e2e.test_journeys import set_up_device
from tests.e2e.test_meeting_journeys import RESIDENT, has_value, new_contact, type_line

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BLOCK = 4096  # tmpfs hands out whole pages


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    where = tmp_path / "small-disk"
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "--lazy", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the file system has no page left; return it (delete it for room)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * BLOCK)
    except OSError as error:
        assert error.errno == 28, error  # ENOSPC: full, as intended
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_a_full_tablet_mid_meeting_keeps_the_words_and_saves_them_later(
    make_server: Any, open_app: Any, small_disk: Path
) -> None:
    server = make_server(KEUKENTAFEL_HOME=str(small_disk))
    app: App = open_app(server, TABLET)
    set_up_device(app)
    new_contact(app)
    app.press("Overleg starten")
    app.see("Stap 1 van 7")
    app.press("Volgende")
    app.see("Stap 2 van 7")
    type_line(app, "Ik wil 1", "Weer zelf boodschappen doen")

    filler = fill(small_disk)
    box = app.textbox("Ik wil 1").first
    app.focus(box)
    app.p.keyboard.press("End")
    app.p.keyboard.type(" op de markt")  # each key is a save: the first one finds no room
    app.see("Opslaan lukte niet")
    app.see("Dit apparaat is vol")
    app.see("Wat u typte, staat nog op het scherm")
    app.shot("device-full")
    # The message is a bar that takes no focus: every key went on into the field, none was lost.
    assert box.input_value() == "Weer zelf boodschappen doen op de markt"
    app.see("Stap 2 van 7")
    app.press("OK", exact=True)

    filler.unlink()  # room again
    app.focus(box)
    app.p.keyboard.press("End")
    app.p.keyboard.type(" graag")
    typed = box.input_value()
    assert typed.startswith("Weer zelf boodschappen doen") and typed.endswith(" graag")
    app.p.wait_for_timeout(1_000)  # the last key's save
    app.shot("room-again")

    server.process.kill()  # type: ignore[union-attr]  # like a flat battery
    server.process.wait(timeout=10)  # type: ignore[union-attr]
    again: App = open_app(make_server(KEUKENTAFEL_HOME=str(small_disk)), TABLET)
    again.type_into("Wachtzin of pincode", PASSPHRASE)
    again.press("Ontgrendelen", exact=True)
    again.see("Mijn casussen")
    again.tap(again.p.get_by_role("button", name=re.compile(RESIDENT)).first)
    again.press("Overleg hervatten")
    again.see("Stap 2 van 7")
    has_value(again, "Ik wil 1", typed)  # every word, the ones typed while it was full as well
    again.shot("resumed")
