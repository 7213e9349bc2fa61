"""The signing screen: each participant signs in turn, then the plan PDF to save or share.

A thin view over ``ui.viewmodels.signing.SigningViewModel``. While people sign: the progress
("Signature 1 of 3"), which plan version is being signed, who signs now (name and role above the
pad), the pad, "Clear" and "Sign", and the list of everyone with a tick once they signed. When
everyone has signed: "The plan is signed", the check code, and "Make the PDF" (a progress ring
while it is made off the UI thread), then "Save the PDF" through the file picker (in a browser
this downloads the file; on a tablet it opens the system's save-or-share dialog).

Someone present may not want to sign, or may have left: once the resident has signed, "Finish
without the others" ends the signing for now (not stored: the case screen keeps saying "partly
signed", and they can still sign later). The PDF then holds the signatures made and names who did
not sign; a later signature drops the kept PDF so a new one shows everyone.

When the plan changed after it was signed, the earlier signed versions stay listed, each with
"Save the PDF of version N" (the kept copy, or made then and kept): what was signed then stays
available to the resident, next to the new version that needs new signatures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import flet as ft

from models.i18n import _
from ui.viewmodels.signing import SignerLine, SigningEntry, SigningViewModel
from ui.views.common import TOUCH, message
from ui.views.signature_pad import SignaturePadView

log = logging.getLogger(__name__)

BIG = 22
BUTTON_HEIGHT = 56


def _info(text: str) -> ft.Container:
    return ft.Container(
        content=ft.Text(text, size=16, color="#0B2E13"),
        bgcolor="#DCEFD9",
        border_radius=8,
        padding=12,
    )


class SigningView:
    def __init__(
        self,
        vm: SigningViewModel,
        *,
        width: float | None,
        on_back: Callable[[], Any],
        on_meeting: Callable[[], Any],
        on_activity: Callable[[], None],
    ) -> None:
        self.vm = vm
        self.on_back = on_back
        self.on_meeting = on_meeting
        self.touch = on_activity
        self.phone = width is not None and width < 600
        self.wide = width is None or width >= 900
        self.picker: ft.FilePicker | None = None  # a service: kept while the screen lives
        self.saved_note: str | None = None
        self.control = ft.Column(
            spacing=16,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        if vm.finished:
            vm.pdf = vm.kept_pdf()
        self.draw()

    # -- drawing -------------------------------------------------------------------------------

    def draw(self) -> None:
        self.control.controls = self._done() if self.vm.finished else self._signing()

    def _signer_list(self) -> ft.Control:
        def row(line: SignerLine) -> ft.Control:
            current = None if self.vm.finished else self.vm.current
            now = current is not None and current.participant_id == line.participant_id
            icon = (
                ft.Icon(ft.Icons.CHECK_CIRCLE, color="#1B5E20")
                if line.signed
                else ft.Icon(
                    ft.Icons.EDIT if now else ft.Icons.RADIO_BUTTON_UNCHECKED,
                    color="#1B5E20" if now else "#757575",
                )
            )
            detail = (
                _("signed {moment}").format(moment=line.signed_at)
                if line.signed
                else (
                    _("signs now")
                    if now
                    else (_("did not sign") if self.vm.finished else _("not signed yet"))
                )
            )
            return ft.Row(
                controls=[
                    icon,
                    ft.Column(
                        controls=[
                            ft.Text(line.name, size=18, weight=ft.FontWeight.W_600),
                            ft.Text(f"{line.role} · {detail}", size=14, color="#424242"),
                        ],
                        spacing=0,
                        tight=True,
                        expand=True,
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            )

        return ft.Column(controls=[row(line) for line in self.vm.signers], spacing=10, tight=True)

    def _head(self) -> list[ft.Control]:
        vm = self.vm
        progress = ft.ProgressBar(
            value=vm.signed_count / max(len(vm.signers), 1), bar_height=8, border_radius=4
        )
        progress.semantics_label = vm.progress_text
        version = f"{vm.meeting_text}. {vm.version_text}"
        return [
            ft.Column(
                controls=[ft.Text(vm.progress_text, size=18, weight=ft.FontWeight.W_600), progress],
                spacing=6,
            ),
            message(version) if vm.status.changed_since_signed else _info(version),
            *([ft.Text(vm.witness_text, size=16)] if vm.witness_text and not vm.done else []),
        ]

    def _columns(self, main: list[ft.Control], side: list[ft.Control]) -> list[ft.Control]:
        """Side by side on a wide tablet (the list of signers on the right), else one column."""
        if self.wide:
            return [
                ft.Row(
                    controls=[
                        ft.Column(
                            controls=main,
                            spacing=12,
                            expand=3,
                            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                        ),
                        ft.VerticalDivider(width=1),
                        ft.Column(controls=side, spacing=12, expand=2),
                    ],
                    spacing=24,
                    vertical_alignment=ft.CrossAxisAlignment.START,
                )
            ]
        return [*main, ft.Divider(), *side]

    def _signing(self) -> list[ft.Control]:
        vm = self.vm
        signer = vm.current
        assert signer is not None
        self.pad = SignaturePadView(
            vm.pad,
            label=_("Signature of {name}").format(name=signer.name),
            on_start=self._draw_start,
            on_move=self._draw_to,
            on_clear=self._clear,
            height=200 if self.phone else 260,
        )
        self.error = ft.Container(
            content=message(vm.error, error=True) if vm.error else None, visible=bool(vm.error)
        )
        sign = ft.FilledButton(
            content=_("Sign"),
            icon=ft.Icons.DRAW,
            on_click=self._sign,
            height=BUTTON_HEIGHT,
            style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=32)),
        )
        main: list[ft.Control] = [
            *self._head(),
            ft.Column(
                controls=[
                    ft.Text(_("Now signing"), size=16, color="#424242"),
                    ft.Text(signer.name, size=BIG + 6, weight=ft.FontWeight.BOLD),
                    ft.Text(signer.role, size=18),
                ],
                spacing=2,
            ),
            ft.Text(_("Sign with your finger in the white box, on the line."), size=BIG - 4),
            self.pad.control,
            self.error,
            ft.Row(
                controls=[self.pad.clear_button, sign],
                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
            ),
        ]
        side: list[ft.Control] = [
            ft.Text(_("Who signs"), size=20, weight=ft.FontWeight.BOLD),
            self._signer_list(),
        ]
        back: list[ft.Control] = []
        if vm.can_return_to_meeting:
            back.append(
                ft.OutlinedButton(
                    content=_("Back to the meeting"),
                    icon=ft.Icons.ARROW_BACK,
                    on_click=self._to_meeting,
                    height=TOUCH,
                )
            )
        back.append(
            ft.TextButton(
                content=_("Sign later"), icon=ft.Icons.SCHEDULE, on_click=self._back, height=TOUCH
            )
        )
        side.append(ft.Row(controls=back, wrap=True, spacing=12))
        if vm.can_finish_partly:
            side.append(
                ft.Text(
                    _(
                        "Does someone not want to sign, or did they leave? Finish without them. "
                        "The PDF shows who did not sign."
                    ),
                    size=16,
                )
            )
            side.append(
                ft.OutlinedButton(
                    content=_("Finish without the others"),
                    icon=ft.Icons.DONE_ALL,
                    on_click=self._finish_partly,
                    height=TOUCH,
                )
            )
        side.extend(self._earlier())
        return self._columns(main, side)

    def _earlier(self) -> list[ft.Control]:
        """Earlier signed versions of the plan, each with its PDF to save or share."""
        versions = self.vm.earlier_versions
        if not versions:
            return []
        controls: list[ft.Control] = [
            ft.Text(_("Earlier versions"), size=20, weight=ft.FontWeight.BOLD)
        ]
        for version in versions:
            controls.append(ft.Text(self.vm.earlier_text(version), size=16))
            controls.append(
                ft.OutlinedButton(
                    content=_("Save the PDF of version {version}").format(version=version),
                    icon=ft.Icons.HISTORY,
                    on_click=lambda _e, v=version: self._save_earlier(v),
                    height=TOUCH,
                )
            )
        if not self.vm.finished:  # the signed screen shows these next to its own PDF already
            controls += self._pdf_notes()
        return controls

    def _pdf_notes(self) -> list[ft.Control]:
        """Why a PDF was not made or not saved, if it was not."""
        notes = [self.vm.pdf_error, self.saved_note]
        return [message(note, error=True) for note in notes if note]

    def _done(self) -> list[ft.Control]:
        vm = self.vm
        side: list[ft.Control] = [
            ft.Text(_("Who signed"), size=20, weight=ft.FontWeight.BOLD),
            self._signer_list(),
            ft.Text(
                _("Check code: {code}").format(code=vm.check_code),
                size=18,
                weight=ft.FontWeight.W_600,
            ),
        ]
        controls: list[ft.Control] = [
            ft.Text(
                _("The plan is signed"), size=28 if self.phone else 34, weight=ft.FontWeight.BOLD
            ),
            *self._head(),
        ]
        if vm.not_signed_text:
            controls.append(ft.Text(vm.not_signed_text, size=18))
        controls.append(ft.Text(_("The plan on paper"), size=20, weight=ft.FontWeight.BOLD))
        if vm.pdf_busy:
            controls.append(
                ft.Row(
                    controls=[
                        ft.ProgressRing(width=32, height=32, semantics_label=_("Making the PDF")),
                        ft.Text(_("Making the PDF …"), size=18),
                    ],
                    spacing=16,
                )
            )
        elif vm.pdf is None:
            controls.append(ft.Text(_("Make a PDF of the plan for the resident to keep."), size=16))
            controls.append(
                ft.FilledButton(
                    content=_("Make the PDF"),
                    icon=ft.Icons.PICTURE_AS_PDF,
                    on_click=self._make_pdf,
                    height=BUTTON_HEIGHT,
                )
            )
        else:
            controls.append(_info(_("The PDF is ready. A copy is kept safely in the app.")))
            controls.append(
                ft.FilledButton(
                    content=_("Save or share the PDF"),
                    icon=ft.Icons.SAVE_ALT,
                    on_click=self._save_pdf,
                    height=BUTTON_HEIGHT,
                )
            )
        controls += self._pdf_notes()
        side.append(
            ft.Row(
                controls=[
                    ft.OutlinedButton(
                        content=_("Back to the case"),
                        icon=ft.Icons.ARROW_BACK,
                        on_click=self._back,
                        height=TOUCH,
                    )
                ]
            )
        )
        side.extend(self._earlier())
        return self._columns(controls, side)

    # -- events --------------------------------------------------------------------------------

    def _draw_start(self, x: float, y: float) -> None:
        self.touch()
        self.vm.draw_start(x, y)

    def _draw_to(self, x: float, y: float) -> None:
        had_error = self.vm.error is not None
        self.vm.draw_to(x, y)
        if had_error and self.vm.error is None:
            self.error.visible = False
            self.error.content = None
            self.error.update()

    def _clear(self) -> None:
        self.touch()
        self.vm.clear()
        self.error.visible = False
        self.error.content = None
        self.error.update()

    async def _sign(self) -> None:
        self.touch()
        signed = self.vm.sign()
        self.draw()
        self.control.update()
        if signed:
            await self.control.scroll_to(offset=0, duration=0)

    async def _finish_partly(self) -> None:
        self.touch()
        self.vm.finish_partly()
        self.draw()
        self.control.update()
        await self.control.scroll_to(offset=0, duration=0)

    def _to_meeting(self) -> None:
        self.vm.return_to_meeting()
        self.on_meeting()

    def _back(self) -> None:
        self.on_back()

    async def _make_pdf(self) -> None:
        self.touch()
        self.saved_note = None
        self.vm.pdf_busy = True
        self.draw()
        self.control.update()
        await self.vm.make_pdf()
        self.draw()
        self.control.update()

    async def _save_pdf(self) -> None:
        self.touch()
        pdf = self.vm.pdf
        if pdf is None:
            return
        await self._save_file(pdf, self.vm.file_name)

    async def _save_earlier(self, version: int) -> None:
        self.touch()
        self.saved_note = None
        pdf = await self.vm.earlier_pdf(version)
        if pdf is None:  # the view-model says why in pdf_error
            self.draw()
            self.control.update()
            return
        await self._save_file(pdf, self.vm.earlier_file_name(version))

    def _in_browser(self) -> bool:
        try:
            return bool(self.control.page.web)
        except RuntimeError:  # not on a page (a unit test): no browser either
            return False

    async def _save_file(self, pdf: bytes, file_name: str) -> None:
        if self.picker is None:
            self.picker = ft.FilePicker()
        try:
            path = await self.picker.save_file(
                dialog_title=_("Save the plan"), file_name=file_name, src_bytes=pdf
            )
        except Exception as error:  # no file dialog here, the disk refused ...
            self.saved_note = _("The PDF could not be saved. It is still kept in the app.")
            log.warning("saving the PDF failed: %s", type(error).__name__)
            self.vm.pdf_handed_out(saved=False)
        else:
            self.saved_note = None
            # In a browser the file is downloaded and no path comes back; elsewhere no path means
            # the user cancelled the dialog: nothing left the app, so nothing to audit.
            if path is not None or self._in_browser():
                self.vm.pdf_handed_out(saved=True)
        self.draw()
        self.control.update()


def signing_banner(entry: SigningEntry, on_open: Callable[[], Any]) -> ft.Control:
    """The case screen's line about signing the last meeting's plan, with its button.

    Side by side from a medium width on; on a phone the button goes under the text.
    """
    button = ft.FilledButton(
        content=entry.action,
        icon=ft.Icons.PICTURE_AS_PDF if entry.signed else ft.Icons.DRAW,
        on_click=lambda: on_open(),
        height=TOUCH,
        visible=bool(entry.action),
    )
    return ft.Container(
        content=ft.ResponsiveRow(
            controls=[
                ft.Row(
                    controls=[
                        ft.Icon(
                            ft.Icons.VERIFIED if entry.signed else ft.Icons.DRAW,
                            color="#1B5E20" if entry.signed else "#7A4B00",
                        ),
                        ft.Text(entry.text, size=16, expand=True),
                    ],
                    col={"xs": 12, "md": 8},
                ),
                ft.Row(
                    controls=[button],
                    alignment=ft.MainAxisAlignment.END,
                    col={"xs": 12, "md": 4},
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            run_spacing=8,
        ),
        bgcolor="#DCEFD9" if entry.signed else "#FFEFC7",
        border_radius=8,
        padding=12,
    )


def with_signing_banner(
    body: ft.Control, entry: SigningEntry | None, on_open: Callable[[], Any]
) -> ft.Control:
    """``body`` (the case screen) with the signing line above it, when there is one."""
    if entry is None:
        return body
    return ft.Column(
        controls=[signing_banner(entry, on_open), body],
        expand=True,
        spacing=8,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
    )
