"""A second baseline of the start-up benchmark: the least any app can do on the same journey.

``python -m bench.flet_unlock_floor PORT`` serves, the way ``main.py run --web`` does (127.0.0.1,
no CDN), a bare Flet page with what the journey to *My cases* needs and nothing else: a passphrase
box and an *Ontgrendelen* button; on the press, one key derivation with the store's own Argon2id
settings (``models.crypto.kdf.default_params``, RFC 9106's second recommendation); then 30 list
tiles, as many as *My cases* draws first. No store, no SQL, no SQLAlchemy, no navigation.

The benchmark times it exactly like the app (typing not counted). Its ratio to the hello-world is
the floor of the start-up goal on this machine: what the required steps cost with no code of ours
around them. Synthetic tile texts only.
"""

from __future__ import annotations

import os
import sys

import flet as ft

from models.crypto.kdf import default_params, derive

TILES = 30
BOX_LABEL = "Wachtzin of pincode"
BUTTON = "Ontgrendelen"


def main(page: ft.Page) -> None:
    params = default_params()
    box = ft.TextField(label=BOX_LABEL, password=True, autofocus=True)

    def unlock(_event: ft.Event[ft.Button]) -> None:
        derive(box.value or "", params)
        page.controls.clear()
        page.add(
            ft.ListView(
                [
                    ft.ListTile(
                        title=ft.Text(f"Bewoner {n}"),
                        subtitle=ft.Text(f"Casus {n} · contact 1 dec"),
                        on_click=lambda _e: None,
                    )
                    for n in range(1, TILES + 1)
                ],
                expand=True,
            )
        )

    page.add(box, ft.Button(BUTTON, on_click=unlock))


if __name__ == "__main__":
    os.environ["FLET_FORCE_WEB_SERVER"] = "true"
    ft.run(main, view=None, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
