"""Meeting mode: one step per screen, large type, written for the resident who chairs.

A thin view over ``MeetingViewModel``: every line typed is handed to the view-model on each key
press and saved there at once, so nothing is lost when the app closes mid-meeting. While typing,
only the error texts change; the step is redrawn only when moving between steps or adding a line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from models.domain import ParticipantRole
from models.i18n import _
from ui.viewmodels import dates
from ui.viewmodels.meeting import LIST_STEPS, STEP_TITLES, STEPS, MeetingViewModel, Step
from ui.viewmodels.participants import shown_name
from ui.viewmodels.plan import ROLE_LABELS
from ui.views.common import DateField, icon_button, labelled_button, message

BIG = 22  # text typed and read at the table


def _remove_button(label: str, on_click: Callable[..., Any]) -> ft.Control:
    return icon_button(ft.Icons.DELETE_OUTLINE, label, on_click)


class AgreementCard:
    """One agreement: what, who, by when, and a reason when past six weeks.

    A new card has no agreement yet: it is made from the first words typed (the view-model saves
    it with valid defaults), so the card is never redrawn while someone types in it.
    """

    def __init__(
        self, view: MeetingView, number: int, agreement_id: str | None, *, autofocus: bool = False
    ) -> None:
        self.view = view
        self.vm = view.vm
        self.agreement_id = agreement_id
        row = self._row()
        shown = row.shown if row else None
        self.what = ft.TextField(
            label=_("Agreement {n}: what will be done?").format(n=number),
            value=shown.what if shown else "",
            on_change=self._what,
            text_size=BIG,
            multiline=True,
            min_lines=1,
            max_lines=4,
            error_max_lines=4,
            autofocus=autofocus,
        )
        self.owner = ft.Dropdown(
            label=_("Who does it? (agreement {n})").format(n=number),
            value=shown.owner_id if shown else self.vm.resident.id,
            options=[
                ft.DropdownOption(key=p.id, text=shown_name(p))
                for p in self.vm.owner_choices(shown.owner_id if shown else None)
            ],
            on_select=self._owner,
            enable_search=False,
            text_size=BIG - 2,
            expand=True,
        )
        due = shown.due_date if shown else None
        self.due = DateField(
            _("Done by (agreement {n})").format(n=number),
            dates.short(due or self.vm.default_due),
            on_change=self._due,
            parse=lambda t: dates.parse_date(t, today=self.vm.meeting_date),
            choose_label=_("Choose the date for agreement {n}").format(n=number),
            helper=_("At the latest {date} (six weeks)").format(
                date=dates.short(self.vm.default_due)
            ),
            text_size=BIG - 2,
            first=self.vm.meeting_date,
            last=self.vm.latest_due,
        )
        self.reason = ft.TextField(
            label=_("Why later than six weeks? (agreement {n})").format(n=number),
            value=shown.outside_norm_reason if shown else "",
            on_change=self._reason,
            text_size=BIG - 2,
            error_max_lines=4,
            visible=bool(shown and self.vm.outside_norm(shown.due_date)),
        )
        self.remove = _remove_button(_("Remove agreement {n}").format(n=number), self._remove)
        self.control = ft.Container(
            content=ft.Column(
                controls=[
                    ft.Row(
                        controls=[ft.Container(content=self.what, expand=True), self.remove],
                        vertical_alignment=ft.CrossAxisAlignment.START,
                    ),
                    ft.Semantics(
                        label=_("Who does it? (agreement {n})").format(n=number),
                        content=ft.Row(controls=[self.owner]),
                    ),
                    self.due.control,
                    self.reason,
                ],
                spacing=12,
                tight=True,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            border=ft.Border.all(1, "#BDBDBD"),
            border_radius=12,
            padding=16,
        )
        self._enable()

    def _row(self) -> Any:
        if self.agreement_id is None:
            return None
        return next((r for r in self.vm.agreements if r.saved.id == self.agreement_id), None)

    def _enable(self) -> None:
        made = self.agreement_id is not None
        self.owner.disabled = not made
        self.due.field.disabled = not made
        self.remove.visible = made

    def _show_errors(self) -> None:
        row = self._row()
        errors = row.errors if row else {}
        self.what.error = errors.get("what")
        self.owner.error_text = errors.get("owner_id")
        date_error = errors.get("due_date")
        if self.due.error == dates.date_error():
            date_error = date_error or self.due.error
        self.due.error = date_error
        self.reason.error = errors.get("outside_norm_reason")
        shown = row.shown if row else None
        self.reason.visible = bool(shown and self.vm.outside_norm(shown.due_date))
        self.vm.forget_fixed_errors()
        self.view.show_error()
        self.view.touch()

    def _what(self, e: ft.Event[ft.TextField]) -> None:
        text = e.control.value or ""
        if self.agreement_id is None:
            row = self.vm.add_agreement(text)
            if row is None:
                return
            self.agreement_id = row.saved.id
            self._enable()
        else:
            self.vm.update_agreement(self.agreement_id, what=text)
        self._show_errors()

    def _owner(self, e: ft.Event[ft.Dropdown]) -> None:
        if self.agreement_id is not None and e.control.value:
            self.vm.update_agreement(self.agreement_id, owner_id=e.control.value)
            self._show_errors()

    def _due(self, text: str) -> None:
        if self.agreement_id is None:
            return
        day = dates.parse_date(text, today=self.vm.meeting_date)
        if day is None:
            self.due.error = dates.date_error()
            self.due.field.update()
            return
        self.due.error = None
        self.vm.update_agreement(self.agreement_id, due_date=day)
        self._show_errors()
        self.control.update()

    def _reason(self, e: ft.Event[ft.TextField]) -> None:
        if self.agreement_id is not None:
            self.vm.update_agreement(self.agreement_id, outside_norm_reason=e.control.value or "")
            self._show_errors()

    def _remove(self) -> None:
        if self.agreement_id is not None:
            self.vm.remove_agreement(self.agreement_id)
        self.view.draw()


class MeetingView:
    def __init__(
        self,
        vm: MeetingViewModel,
        *,
        width: float | None,
        on_finished: Callable[[], Any],
        on_activity: Callable[[], None],
        on_sign: Callable[[], Any] | None = None,
    ) -> None:
        self.vm = vm
        self.on_finished = on_finished
        self.on_sign = on_sign  # read-back: "Sign the plan" ends the meeting and opens signing
        self.touch = on_activity
        self.phone = width is not None and width < 600
        self.progress_text = ft.Text(size=18, weight=ft.FontWeight.W_600)
        self.progress_bar = ft.ProgressBar(value=0, bar_height=8, border_radius=4)
        self.title = ft.Text(size=28 if self.phone else 36, weight=ft.FontWeight.BOLD)
        self.prompt = ft.Text(size=BIG if self.phone else 24)
        self.body = ft.Column(
            spacing=16, tight=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
        )
        self.error = ft.Container(visible=False)
        self.back_button = ft.OutlinedButton(
            content=_("Back"), icon=ft.Icons.ARROW_BACK, on_click=self._back, height=56
        )
        self.next_button = ft.FilledButton(
            content=_("Next"), icon=ft.Icons.ARROW_FORWARD, on_click=self._next, height=56
        )
        self.scroll = ft.Column(
            controls=[self.title, self.prompt, self.body, self.error],
            spacing=16,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )
        self.control = ft.Column(
            controls=[
                ft.Column(controls=[self.progress_text, self.progress_bar], spacing=6),
                self.scroll,
                ft.Row(
                    controls=[self.back_button, self.next_button],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                ),
            ],
            expand=True,
            spacing=12,
        )
        self.cards: list[AgreementCard] = []
        self.draw()

    # -- drawing -------------------------------------------------------------------------------

    def draw(self, *, focus_last: bool = False) -> None:
        vm = self.vm
        n = vm.step_number
        self.progress_text.value = _("Step {n} of {total}").format(n=n, total=len(STEPS))
        self.progress_bar.value = n / len(STEPS)
        self.progress_bar.semantics_label = self.progress_text.value
        self.title.value = vm.title
        self.prompt.value = vm.prompt
        self.back_button.disabled = n == 1
        self.next_button.content = (
            _("Finish the meeting") if vm.step is Step.READBACK else _("Next")
        )
        self.next_button.icon = (
            ft.Icons.CHECK if vm.step is Step.READBACK else ft.Icons.ARROW_FORWARD
        )
        step = vm.step
        if step is Step.PRESENT:
            self.body.controls = self._present()
        elif step in LIST_STEPS:
            self.body.controls = self._list(step, focus_last=focus_last)
        elif step is Step.AGREEMENTS:
            self.body.controls = self._agreements(focus_last=focus_last)
        elif step is Step.WELLBEING:
            self.body.controls = self._wellbeing()
        else:
            self.body.controls = self._readback()
        self.show_error()

    def show_error(self) -> None:
        errors = self.vm.errors
        text = errors.get("present") or errors.get("agreements")
        self.error.content = message(text, error=True) if text else None
        self.error.visible = bool(text)

    # -- who is at the table ---------------------------------------------------------------

    def _present(self) -> list[ft.Control]:
        vm = self.vm
        boxes: list[ft.Control] = []
        for person in vm.participants:
            role = _(ROLE_LABELS[person.role])
            detail = ", ".join(x for x in (role, person.relation) if x)
            boxes.append(self._presence_row(person.id, f"{shown_name(person)}\n({detail})"))
        self.typed: dict[str, str] = {}

        def keep(key: str) -> Callable[[ft.Event[ft.TextField]], None]:
            def changed(e: ft.Event[ft.TextField]) -> None:
                self.typed[key] = e.control.value or ""

            return changed

        self.new_name = ft.TextField(
            label=_("Name of someone else at the table"),
            text_size=BIG - 2,
            error_max_lines=3,
            on_change=keep("name"),
        )
        self.new_relation = ft.TextField(
            label=_("Who is this? (for example: neighbour)"),
            text_size=BIG - 2,
            error_max_lines=3,
            on_change=keep("relation"),
        )
        return [
            ft.Column(controls=boxes, spacing=4),
            ft.Divider(),
            self.new_name,
            self.new_relation,
            ft.Row(
                controls=[
                    labelled_button(
                        _("Add from the network"),
                        lambda: self._add_person(ParticipantRole.NETWORK),
                        icon=ft.Icons.PERSON_ADD,
                    ),
                    labelled_button(
                        _("Add a professional"),
                        lambda: self._add_person(ParticipantRole.PROFESSIONAL),
                        icon=ft.Icons.PERSON_ADD,
                    ),
                ],
                wrap=True,
            ),
        ]

    def _presence_row(self, participant_id: str, text: str) -> ft.Control:
        """A checkbox with the name and role beside it, on two lines that wrap.

        A checkbox's own label does not wrap: at a large text size a long name ran off the
        screen. The row is one node for screen readers (the checkbox, named by the text), and
        tapping the text ticks the box too.
        """
        box = ft.Checkbox(
            value=participant_id in self.vm.meeting.present,
            on_change=lambda e: set_to(bool(e.control.value)),
        )

        def set_to(value: bool) -> None:
            self.touch()
            box.value = value
            self.vm.set_present(participant_id, value)

        return ft.MergeSemantics(
            content=ft.Container(
                content=ft.Row(
                    controls=[box, ft.Text(text, size=BIG - 2, expand=True)],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                on_click=lambda _e: set_to(not box.value),
                padding=ft.Padding.symmetric(vertical=4),
            )
        )

    def _add_person(self, role: ParticipantRole) -> None:
        self.touch()
        person = self.vm.add_participant(
            name=self.typed.get("name", ""), role=role, relation=self.typed.get("relation", "")
        )
        if person is None:
            self.new_name.error = self.vm.errors.get("new_participant.name")
            self.new_relation.error = self.vm.errors.get("new_participant.relation")
            return
        self.draw()

    # -- the three lists -------------------------------------------------------------------

    def _list(self, step: Step, *, focus_last: bool) -> list[ft.Control]:
        vm = self.vm
        if not vm.items(step):
            vm.add_item(step)  # a line to start typing in straight away
            focus_last = True
        key = LIST_STEPS[step]
        lines: list[ft.Control] = []
        count = len(vm.items(step))
        for index, text in enumerate(vm.items(step)):
            field = ft.TextField(
                label=f"{vm.title} {index + 1}",
                value=text,
                text_size=BIG,
                multiline=True,
                min_lines=1,
                max_lines=5,
                shift_enter=True,
                on_change=self._line_changed(step, index),
                on_submit=lambda _e, s=step: self._add_line(s),
                error=vm.errors.get(f"{key}[{index}]"),
                error_max_lines=3,
                autofocus=focus_last and index == count - 1,
                expand=True,
            )
            lines.append(
                ft.Row(
                    controls=[
                        field,
                        _remove_button(
                            _("Remove line {n}").format(n=index + 1),
                            lambda _e, s=step, i=index: self._remove_line(s, i),
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                )
            )
        lines.append(
            ft.Row(
                controls=[
                    labelled_button(
                        _("Add a line"), lambda: self._add_line(step), icon=ft.Icons.ADD
                    )
                ]
            )
        )
        return lines

    def _line_changed(self, step: Step, index: int) -> Callable[[ft.Event[ft.TextField]], None]:
        def changed(e: ft.Event[ft.TextField]) -> None:
            self.touch()
            before = self.vm.errors.get(f"{LIST_STEPS[step]}[{index}]")
            self.vm.set_item(step, index, e.control.value or "")
            after = self.vm.errors.get(f"{LIST_STEPS[step]}[{index}]")
            if before != after:
                e.control.error = after

        return changed

    def _add_line(self, step: Step) -> None:
        self.touch()
        self.vm.add_item(step)
        self.draw(focus_last=True)

    def _remove_line(self, step: Step, index: int) -> None:
        self.touch()
        self.vm.remove_item(step, index)
        self.draw()

    # -- agreements ----------------------------------------------------------------------------

    def _agreements(self, *, focus_last: bool) -> list[ft.Control]:
        rows = self.vm.agreements
        self.cards = [AgreementCard(self, i + 1, r.saved.id) for i, r in enumerate(rows)]
        if not rows or focus_last:
            self.cards.append(AgreementCard(self, len(rows) + 1, None, autofocus=True))
        return [
            *(c.control for c in self.cards),
            ft.Row(
                controls=[
                    labelled_button(_("Add an agreement"), self._add_agreement, icon=ft.Icons.ADD)
                ]
            ),
        ]

    def _add_agreement(self) -> None:
        self.touch()
        if self.cards and self.cards[-1].agreement_id is None:
            return  # the empty card is still there to type in
        self.draw(focus_last=True)

    # -- wellbeing ---------------------------------------------------------------------------

    def _wellbeing(self) -> list[ft.Control]:
        chosen = self.vm.wellbeing
        buttons: list[ft.Control] = []
        for score in range(1, 11):
            # No fixed size: the buttons grow with the text (a fixed 60 px cut "10" off at a
            # large text size); at normal size they are about 56 x 52 px.
            style = ft.ButtonStyle(
                shape=ft.RoundedRectangleBorder(radius=12),
                text_style=ft.TextStyle(size=26, weight=ft.FontWeight.BOLD),
                padding=ft.Padding.symmetric(horizontal=12, vertical=12),
                # the browser's compact density took 8 px off: 36 px high, below a touch target
                visual_density=ft.VisualDensity.STANDARD,
            )
            kind = ft.FilledButton if score == chosen else ft.OutlinedButton
            # A bare "7" tells a screen reader nothing: the button is named "Number 7".
            buttons.append(
                kind(
                    content=ft.Text(
                        str(score),
                        size=26,
                        weight=ft.FontWeight.BOLD,
                        semantics_label=_("Number {n}").format(n=score),
                    ),
                    on_click=lambda _e, s=score: self._score(s),
                    style=style,
                )
            )
        words = _("Your number: {n}").format(n=chosen) if chosen else _("No number chosen yet.")
        return [
            ft.Row(controls=buttons, wrap=True, spacing=12, run_spacing=12),
            ft.Text(words, size=BIG, weight=ft.FontWeight.W_600),
        ]

    def _score(self, score: int) -> None:
        self.touch()
        self.vm.set_wellbeing(score)
        self.draw()

    # -- read-back -----------------------------------------------------------------------------

    def _readback(self) -> list[ft.Control]:
        vm = self.vm
        blocks: list[ft.Control] = []

        def block(title: str, lines: list[str]) -> None:
            blocks.append(ft.Text(title, size=BIG + 2, weight=ft.FontWeight.BOLD))
            if not lines:
                lines = [_("(nothing yet)")]
            blocks.extend(ft.Text("• " + line, size=BIG) for line in lines)

        present = [shown_name(p) for p in vm.participants if p.id in vm.meeting.present]
        block(_("At the table"), present)
        for step in LIST_STEPS:
            block(_(STEP_TITLES[step]), [t for t in vm.items(step) if t.strip()])
        block(
            _("Agreements"),
            [
                _("{what} — {who} — done by {date}").format(
                    what=a.what, who=vm.owner_name(a), date=dates.in_words(a.due_date)
                )
                + (f" ({a.outside_norm_reason})" if a.outside_norm_reason else "")
                for a in vm.open_agreements()
            ],
        )
        score = vm.wellbeing
        block(_("How are you doing now?"), [str(score)] if score else [])
        if self.on_sign is not None:
            blocks.append(
                ft.FilledButton(
                    content=_("Sign the plan"), icon=ft.Icons.DRAW, on_click=self._sign, height=56
                )
            )
        return blocks

    # -- moving ----------------------------------------------------------------------------------

    async def _next(self) -> None:
        self.touch()
        if self.vm.step is Step.READBACK:
            self.vm.finish()
            self.on_finished()
            return
        moved = self.vm.next()
        self.draw()
        self.control.update()
        if moved:
            await self.scroll.scroll_to(offset=0, duration=0)

    def _back(self) -> None:
        self.touch()
        self.vm.back()
        self.draw()

    def _sign(self) -> None:
        """Signing ends the meeting: the plan signed is the plan just read back."""
        self.touch()
        self.vm.finish()
        if self.on_sign is not None:
            self.on_sign()
