"""The baseline of the start-up benchmark: a bare Flet hello-world, served the way the app is.

``python -m bench.flet_hello_world PORT`` serves one ``Text`` on 127.0.0.1:PORT with the same
settings as ``main.py run --web`` (no CDN, no browser window opened by Flet).
"""

from __future__ import annotations

import os
import sys

import flet as ft

HELLO = "Hallo wereld"


def main(page: ft.Page) -> None:
    page.add(ft.Text(HELLO))


if __name__ == "__main__":
    os.environ["FLET_FORCE_WEB_SERVER"] = "true"
    ft.run(main, view=None, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
