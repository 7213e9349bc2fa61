"""The signing screen builds in every state, without a page (Flet controls are plain objects)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import flet as ft
import pytest

from models.i18n import current_language, set_language
from models.store import CaseStore
from tests.support.factories import NOW, TODAY, a_case_file
from tests.unit.ui.test_signing_viewmodel import Clock, scribble
from ui.viewmodels import signing as sv
from ui.views.signing import SigningView, with_signing_banner


@pytest.fixture(autouse=True)
def dutch() -> Iterator[None]:
    before = current_language()
    set_language("nl")
    yield
    set_language(before)


def texts(control: ft.Control) -> list[str]:
    """Every text and button label in a control tree."""
    found: list[str] = []

    def walk(c: object) -> None:
        if isinstance(c, ft.Text) and c.value:
            found.append(c.value)
        content = getattr(c, "content", None)
        if isinstance(content, str):
            found.append(content)
        elif content is not None:
            walk(content)
        for child in getattr(c, "controls", None) or []:
            walk(child)

    walk(control)
    return found


def view(vm: sv.SigningViewModel, width: float) -> SigningView:
    return SigningView(
        vm, width=width, on_back=lambda: None, on_meeting=lambda: None, on_activity=lambda: None
    )


@pytest.mark.parametrize("width", [390, 1024, 1280])
def test_the_screen_in_each_state(store: CaseStore, width: float) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = sv.SigningViewModel.open(store, f.case.id, now=Clock())
    shown = texts(view(vm, width).control)
    assert "Handtekening 1 van 3" in shown and f.participants[0].name in shown
    assert {"Wissen", "Ondertekenen", "Terug naar het overleg"} <= set(shown)

    vm.sign()  # empty pad: the message shows next to the pad
    assert "Het vak is nog leeg. Zet eerst uw handtekening in het vak." in texts(
        view(vm, width).control
    )
    for _n in range(3):
        scribble(vm)
        assert vm.sign()
    done = texts(view(vm, width).control)
    assert "Het plan is ondertekend" in done and "Pdf maken" in done
    assert "Terug naar het overleg" not in done
    vm.pdf_busy = True
    assert "De pdf wordt gemaakt …" in texts(view(vm, width).control)
    vm.pdf_busy = False
    asyncio.run(vm.make_pdf())
    ready = texts(view(vm, width).control)  # a new screen offers the kept copy at once
    assert "Pdf opslaan of delen" in ready and "Pdf maken" not in ready


def test_the_case_screen_banner(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    body = ft.Text("case")
    assert with_signing_banner(body, None, lambda: None) is body
    entry = sv.signing_entry(store, f.case.id)
    shown = texts(with_signing_banner(body, entry, lambda: None))
    assert "Het plan is nog niet ondertekend." in shown and "Plan ondertekenen" in shown


def test_a_banner_without_action_has_no_button() -> None:
    banner = with_signing_banner(
        ft.Text("case"), sv.SigningEntry("Record x is damaged.", "", signed=False), lambda: None
    )
    buttons: list[ft.FilledButton] = []

    def walk(c: object) -> None:
        if isinstance(c, ft.FilledButton):
            buttons.append(c)
        content = getattr(c, "content", None)
        if content is not None and not isinstance(content, str):
            walk(content)
        for child in getattr(c, "controls", None) or []:
            walk(child)

    walk(banner)
    assert [b.visible for b in buttons] == [False]


def test_an_earlier_signed_version_offers_its_pdf(store: CaseStore) -> None:
    from dataclasses import replace
    from datetime import timedelta

    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = sv.SigningViewModel.open(store, f.case.id, now=Clock())
    for _n in range(3):
        scribble(vm)
        assert vm.sign()
    assert "Pdf van versie 1 opslaan" not in texts(view(vm, 1280).control)
    agreement = f.agreements[0]
    store.save_agreement(replace(agreement, due_date=agreement.due_date + timedelta(days=1)))
    vm = sv.SigningViewModel.open(store, f.case.id, now=Clock())
    for width in (390, 1280):
        shown = texts(view(vm, width).control)
        assert "Eerdere versies" in shown and "Pdf van versie 1 opslaan" in shown
        assert "Versie 1 is ondertekend voordat het plan veranderde." in shown


def test_finishing_without_the_others_shows_who_did_not_sign(store: CaseStore) -> None:
    f = a_case_file()
    store.add_case_files([f], today=TODAY, now=NOW)
    vm = sv.SigningViewModel.open(store, f.case.id, now=Clock())
    assert "Afronden zonder de anderen" not in texts(view(vm, 1280).control)
    scribble(vm)
    assert vm.sign()
    assert "Afronden zonder de anderen" in texts(view(vm, 390).control)
    vm.finish_partly()
    shown = texts(view(vm, 1280).control)
    assert "Het plan is ondertekend" in shown and "1 van de 3 heeft getekend." in shown
    assert any(t.startswith("Niet getekend: ") for t in shown) and "Pdf maken" in shown
    assert any(t.endswith(" · heeft niet getekend") for t in shown)
    assert not any(t.endswith(" · tekent nu") for t in shown)
