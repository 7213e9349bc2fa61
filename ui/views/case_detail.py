"""One case: the facts, the deadlines, and the follow-up actions (each in a small dialog)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from models.domain import POSITIVE_HEALTH_DIMENSIONS, ZRM_DOMAINS, MeasurementMoment
from models.i18n import _
from ui.viewmodels import dates
from ui.viewmodels.case_detail import (
    FORM,
    MOMENT_LABELS,
    POSITIVE_HEALTH_LABELS,
    ZRM_LABELS,
    AgreementLine,
    CaseViewModel,
    Errors,
)
from ui.viewmodels.cases import Badge
from ui.views.cases import badge
from ui.views.common import (
    TABLET_MIN_WIDTH,
    TOUCH,
    DateField,
    labelled_button,
    message,
    section,
)


def _badge(b: Badge | None) -> list[ft.Control]:
    return [badge(b.text, b.kind)] if b else []


def _lines(lines: list[str], empty: str) -> list[ft.Control]:
    if not lines:
        return [ft.Text(empty, size=16, italic=True, color="#5F5F5F")]
    return [ft.Text("• " + line, size=16) for line in lines]


class FormDialog:
    """A dialog with fields; ``save`` returns errors per field name (empty: done, close)."""

    def __init__(
        self,
        page: ft.Page,
        title: str,
        fields: list[ft.Control],
        *,
        save_label: str,
        save: Callable[[], Errors],
        targets: dict[str, Any],
        on_done: Callable[[], None],
        phone: bool = False,
    ) -> None:
        self.page = page
        self.save = save
        self.targets = targets
        self.on_done = on_done
        self.form_error = ft.Container(visible=False)
        # The dialog scrolls as a whole and is as tall as its fields: a scrolling column inside
        # made it fill the phone's height with empty space and clipped the first field's label.
        # On a phone the dialog takes nearly the whole width, so the fields are not cramped.
        self.dialog = ft.AlertDialog(
            modal=True,
            scrollable=True,
            title=ft.Text(title),
            content=ft.Column(
                controls=[*fields, self.form_error],
                tight=True,
                spacing=16,
                width=480,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            inset_padding=ft.Padding.symmetric(horizontal=12, vertical=24) if phone else None,
            content_padding=ft.Padding.only(left=20, right=20, top=12, bottom=8) if phone else None,
            actions=[
                ft.TextButton(content=_("Cancel"), on_click=self._cancel, height=TOUCH),
                ft.FilledButton(content=save_label, on_click=self._save, height=TOUCH),
            ],
        )
        for target in targets.values():
            if isinstance(target, ft.TextField) and target.on_change is None:
                target.on_change = self._clear_error_of(target)

    @staticmethod
    def _clear_error_of(field: ft.TextField) -> Callable[[], None]:
        """An error under a text field goes as soon as the user types the fix."""

        def changed() -> None:
            if field.error is not None:
                field.error = None
                field.update()

        return changed

    def open(self) -> None:
        self.page.show_dialog(self.dialog)
        self.page.update()

    def _cancel(self) -> None:
        self.page.pop_dialog()

    def _save(self) -> None:
        errors = self.save()
        for key, target in self.targets.items():
            target.error = errors.get(key)
        rest = errors.get(FORM) or next(
            (m for k, m in errors.items() if k not in self.targets), None
        )
        self.form_error.content = message(rest, error=True) if rest else None
        self.form_error.visible = bool(rest)
        if errors:
            self.dialog.update()
            return
        self.page.pop_dialog()
        self.on_done()


class CaseView:
    def __init__(
        self,
        vm: CaseViewModel,
        *,
        width: float | None,
        on_plan: Callable[[], Any],
        on_meeting: Callable[[], Any],
        on_back: Callable[[], Any],
        on_activity: Callable[[], None],
    ) -> None:
        self.vm = vm
        self.on_plan = on_plan
        self.on_meeting = on_meeting
        self.on_back = on_back
        self.touch = on_activity
        self.width = width
        # What the last dialog saved, pinned above the case (the line it changed is often
        # scrolled away on a phone) and read out by screen readers: a live region (#3). Not a
        # snack bar: that would lie over the buttons at the bottom for seconds.
        self.saved_text = ft.Text(size=16, color="#0B3D14", expand=True)
        self.saved = ft.Semantics(
            live_region=True,
            container=True,
            exclude_semantics=True,  # the label is read, once: not the text inside again
            visible=False,
            content=ft.Container(
                content=ft.Row(
                    controls=[ft.Icon(ft.Icons.CHECK_CIRCLE, color="#1B5E20"), self.saved_text],
                    spacing=8,
                ),
                bgcolor="#DCEFD9",
                border_radius=8,
                padding=ft.Padding.symmetric(horizontal=12, vertical=8),
            ),
        )
        self.body = ft.Column(scroll=ft.ScrollMode.AUTO, expand=True, spacing=12)
        self.control = ft.Column(
            controls=[self.saved, self.body],
            expand=True,
            spacing=8,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.draw()

    # -- drawing -------------------------------------------------------------------------------

    def draw(self) -> None:
        vm = self.vm
        case = vm.case_file.case
        head: list[ft.Control] = [
            ft.Text(vm.name, size=28, weight=ft.FontWeight.BOLD),
        ]
        if vm.contact_text:
            head.append(ft.Text(vm.contact_text, size=16))
        head += [
            ft.Text(f"{vm.contact_date_text} · {vm.stage_text}", size=16),
            ft.Row(
                controls=[
                    ft.Text(vm.mdo_text, size=18, weight=ft.FontWeight.W_600),
                    *_badge(vm.mdo_badge),
                ],
                wrap=True,
            ),
            ft.Text(vm.consent_text, size=14, color="#5F5F5F"),
        ]
        for extra in (vm.no_meeting_text, vm.closed_text):
            if extra:
                head.append(message(extra))
        actions: list[ft.Control] = []
        if vm.meeting_action:
            actions.append(
                labelled_button(vm.meeting_action, self._meeting, icon=ft.Icons.GROUPS, filled=True)
            )
        if vm.can_plan:
            actions.append(labelled_button(vm.plan_action, self._plan, icon=ft.Icons.EVENT))
        if vm.can_decide_no_meeting:
            actions.append(
                labelled_button(_("No MDO needed"), self._no_meeting, icon=ft.Icons.EVENT_BUSY)
            )
        body: list[ft.Control] = [
            *head,
            ft.Row(controls=actions, wrap=True, spacing=8, run_spacing=8),
            section(_("The question")),
            ft.Text(case.question or _("(not filled in)"), size=18),
            section(_("People")),
            *_lines(vm.people(), _("Only the resident so far.")),
            section(_("Meetings")),
            *_lines(vm.meeting_lines(), _("No MDO planned yet.")),
        ]
        for title, items in vm.three_questions():
            body += [ft.Text(title, size=18, weight=ft.FontWeight.W_600), *_lines(items, "—")]
        body.append(section(_("Agreements")))
        agreements = vm.agreement_lines()
        body += [self._agreement(line) for line in agreements] or _lines(
            [], _("No agreements yet.")
        )
        body += [
            section(_("How is the resident doing?")),
            *_lines(vm.measurement_lines(), _("Nothing measured yet.")),
        ]
        if not vm.closed:
            body.append(
                ft.Row(
                    controls=[
                        labelled_button(
                            _("Record wellbeing"), self._measure, icon=ft.Icons.FAVORITE_BORDER
                        ),
                        labelled_button(_("Close the case"), self._close, icon=ft.Icons.DONE_ALL),
                    ],
                    wrap=True,
                    spacing=8,
                    run_spacing=8,
                )
            )
        body.append(
            ft.Row(
                controls=[
                    labelled_button(_("Back to my cases"), self.on_back, icon=ft.Icons.ARROW_BACK)
                ]
            )
        )
        self.body.controls = [
            ft.Container(
                content=ft.Column(controls=body, spacing=12, tight=True),
                padding=ft.Padding.symmetric(horizontal=8, vertical=8),
            )
        ]
        self._show_saved()

    def _show_saved(self) -> None:
        text = self.vm.saved_text
        self.saved.visible = text is not None
        self.saved.label = text
        self.saved_text.value = text or ""

    def _agreement(self, line: AgreementLine) -> ft.Control:
        a = line.agreement
        texts: list[ft.Control] = [
            ft.Text(a.what, size=18, weight=ft.FontWeight.W_600),
            ft.Row(controls=[ft.Text(line.text, size=16), *_badge(line.badge)], wrap=True),
        ]
        if line.outside_norm and a.outside_norm_reason:
            texts.append(
                ft.Text(
                    _("Later than six weeks: {reason}").format(reason=a.outside_norm_reason),
                    size=14,
                )
            )
        if a.note:
            texts.append(ft.Text(a.note, size=14, italic=True))
        if line.open and not self.vm.closed:
            texts.append(
                ft.Row(
                    controls=[
                        labelled_button(_("Done"), lambda: self._done(a.id), icon=ft.Icons.CHECK),
                        labelled_button(
                            _("Move the date"), lambda: self._move(a.id), icon=ft.Icons.EVENT
                        ),
                        labelled_button(
                            _("Hand over"), lambda: self._hand_over(a.id), icon=ft.Icons.SWAP_HORIZ
                        ),
                    ],
                    wrap=True,
                )
            )
        # Every card as wide as the screen: sized to its text, they stood ragged (#3).
        card = ft.Container(
            content=ft.Column(controls=texts, spacing=6, tight=True),
            border=ft.Border.all(1, "#E0E0E0"),
            border_radius=8,
            padding=12,
            expand=True,
        )
        return ft.Row(controls=[card])

    def refresh(self) -> None:
        self.vm.load()
        self.draw()
        self.control.update()

    # -- actions -------------------------------------------------------------------------------

    def _page(self) -> ft.Page:
        page = self.control.page
        assert isinstance(page, ft.Page)
        return page

    def _meeting(self) -> None:
        self.touch()
        self.on_meeting()

    def _plan(self) -> None:
        self.touch()
        self.on_plan()

    def _date_field(self, label: str, value: str) -> DateField:
        return DateField(
            label,
            value,
            on_change=lambda _t: None,
            parse=lambda t: dates.parse_date(t, today=self.vm.today()),
            choose_label=_("Choose a date"),
            helper=_("day-month-year"),
        )

    def _dialog(
        self,
        title: str,
        fields: list[ft.Control],
        save_label: str,
        save: Callable[[], Errors],
        targets: dict[str, Any],
    ) -> None:
        self.touch()
        # Hidden while the next dialog is open: shown again it is a new live region, so even
        # the same words are read out again.
        self.vm.dismiss_saved()
        self._show_saved()
        FormDialog(
            self._page(),
            title,
            fields,
            save_label=save_label,
            save=save,
            targets=targets,
            on_done=self.refresh,
            phone=self.width is not None and self.width < TABLET_MIN_WIDTH,
        ).open()

    def _today(self) -> str:
        return dates.short(self.vm.today())

    def _no_meeting(self) -> None:
        reason = ft.TextField(label=_("Why is no MDO needed?"), multiline=True, error_max_lines=4)
        day = self._date_field(_("Decided on"), self._today())
        self._dialog(
            _("No MDO needed"),
            [reason, day.control],
            _("Save"),
            lambda: self.vm.decide_no_meeting(reason=reason.value or "", on=day.field.value or ""),
            {"reason": reason, "date": day},
        )

    def _close(self) -> None:
        day = self._date_field(_("Closed on"), self._today())
        note = ft.TextField(label=_("Closing note"), multiline=True, error_max_lines=4)
        self._dialog(
            _("Close the case"),
            [day.control, note],
            _("Close the case"),
            lambda: self.vm.close_case(on=day.field.value or "", note=note.value or ""),
            {"date": day, "note": note},
        )

    def _done(self, agreement_id: str) -> None:
        day = self._date_field(_("Done on"), self._today())
        note = ft.TextField(label=_("Note (optional)"), multiline=True, error_max_lines=4)
        self._dialog(
            _("Agreement done"),
            [day.control, note],
            _("Save"),
            lambda: self.vm.mark_done(
                agreement_id, on=day.field.value or "", note=note.value or ""
            ),
            {"date": day, "note": note},
        )

    def _move(self, agreement_id: str) -> None:
        norm = self.vm.norm_date(agreement_id)
        agreement = next(a for a in self.vm.case_file.agreements if a.id == agreement_id)
        reason = ft.TextField(
            label=_("Why later than six weeks?"),
            value=agreement.outside_norm_reason,
            error_max_lines=4,
            visible=self.vm.needs_reason(agreement_id, dates.short(agreement.due_date)),
        )

        def changed(text: str) -> None:
            reason.visible = self.vm.needs_reason(agreement_id, text)
            reason.update()

        day = DateField(
            _("New due date"),
            dates.short(agreement.due_date),
            on_change=changed,
            parse=lambda t: dates.parse_date(t, today=self.vm.today()),
            choose_label=_("Choose a date"),
            helper=_("Within six weeks: at the latest {date}").format(date=dates.short(norm))
            if norm
            else None,
            last=self.vm.latest_date(agreement_id),
        )
        self._dialog(
            _("Move the date"),
            [day.control, reason],
            _("Save"),
            lambda: self.vm.move_due(
                agreement_id, due=day.field.value or "", reason=reason.value or ""
            ),
            {"date": day, "reason": reason},
        )

    def _hand_over(self, agreement_id: str) -> None:
        agreement = next(a for a in self.vm.case_file.agreements if a.id == agreement_id)
        owner = ft.Dropdown(
            label=_("Who takes it over?"),
            options=[
                ft.DropdownOption(key=key, text=text)
                for key, text in self.vm.owner_choices(agreement_id)
            ],
            enable_search=False,
            expand=True,
        )
        self._dialog(
            _("Hand over the agreement"),
            [
                ft.Text(agreement.what, size=16, weight=ft.FontWeight.W_600),
                ft.Text(self.vm.owner_now_text(agreement_id), size=16),
                _named(_("Who takes it over?"), owner),
            ],
            _("Save"),
            lambda: self.vm.hand_over(agreement_id, owner_id=owner.value or ""),
            {"owner": _ErrorText(owner)},
        )

    def _measure(self) -> None:
        moment = ft.Dropdown(
            label=_("When"),
            value=self.vm.suggested_moment().value,
            options=[
                ft.DropdownOption(key=m.value, text=_(MOMENT_LABELS[m]))
                for m in (MeasurementMoment.SIX_WEEKS, MeasurementMoment.LATER)
            ],
            enable_search=False,
            expand=True,
        )
        day = self._date_field(_("Date"), self._today())
        score = ft.Dropdown(
            label=_("Wellbeing (1 to 10)"),
            options=[ft.DropdownOption(key=str(n), text=str(n)) for n in range(1, 11)],
            enable_search=False,
            expand=True,
        )
        health = {
            key: ft.Slider(
                min=0, max=10, divisions=10, value=5, label="{value}", expand=True, height=TOUCH
            )
            for key in POSITIVE_HEALTH_DIMENSIONS
        }
        health_on = ft.Checkbox(label=_("Also fill in Positive Health (0 to 10)"), height=TOUCH)
        zrm = {
            key: ft.Dropdown(
                label=_(ZRM_LABELS[key]),
                options=[ft.DropdownOption(key=str(n), text=str(n)) for n in range(1, 6)],
                enable_search=False,
                expand=True,
            )
            for key in ZRM_DOMAINS
        }

        # The sliders show only once Positive Health is switched on: sliders that already stand
        # at 5 but are not saved would mislead. Every dropdown and slider is named for screen
        # readers (a Flutter dropdown with a value announces only the value).
        # The text above a slider names it and shows the chosen number ("Lichaam: 5"), merged
        # into one node with the slider; a Semantics label around the column left the slider
        # itself without a name, and the number showed only while dragging.
        def slider_row(key: str, slider: ft.Slider) -> ft.Control:
            name = _(POSITIVE_HEALTH_LABELS[key])
            text = ft.Text(f"{name}: {int(slider.value or 0)}", size=14)

            def moved(e: ft.Event[ft.Slider]) -> None:
                text.value = f"{name}: {int(e.control.value or 0)}"
                text.update()

            slider.on_change = moved
            return ft.MergeSemantics(
                content=ft.Column(controls=[text, slider], spacing=0, tight=True)
            )

        health_box = ft.Column(
            controls=[slider_row(key, slider) for key, slider in health.items()],
            visible=False,
            tight=True,
        )

        def health_switched(_e: ft.Event[ft.Checkbox]) -> None:
            health_box.visible = bool(health_on.value)
            health_box.update()

        health_on.on_change = health_switched
        fields: list[ft.Control] = [
            _named(_("When"), moment),
            day.control,
            _named(_("Wellbeing (1 to 10)"), score),
            # In a row, so the stretching column does not stretch it: a Checkbox given a height
            # is scaled to fill the width it gets, which drew its label wide and flat.
            ft.Row(controls=[health_on]),
            health_box,
            ft.Text(_("Self-sufficiency matrix (ZRM, 1 to 5, optional)"), size=16),
        ]
        fields += [_named(_(ZRM_LABELS[key]), dropdown) for key, dropdown in zrm.items()]

        def save() -> Errors:
            return self.vm.record_measurement(
                moment=MeasurementMoment(moment.value or MeasurementMoment.LATER.value),
                on=day.field.value or "",
                wellbeing=int(score.value) if score.value else None,
                positive_health={k: int(s.value or 0) for k, s in health.items()}
                if health_on.value
                else None,
                zrm={k: int(d.value) for k, d in zrm.items() if d.value} or None,
            )

        self._dialog(
            _("Record wellbeing"),
            fields,
            _("Save"),
            save,
            {"date": day, "wellbeing": _ErrorText(score)},
        )


def _named(label: str, dropdown: ft.Dropdown) -> ft.Control:
    """A dropdown as wide as the dialog, named for screen readers (with a value Flutter's
    dropdown button announces only the value)."""
    return ft.Semantics(label=label, container=True, content=ft.Row(controls=[dropdown]))


class _ErrorText:
    """Lets ``FormDialog`` set ``error`` on a Dropdown (whose property is ``error_text``).

    Choosing a value clears the error at once: "choose a number" under a chosen 8 misleads.
    """

    def __init__(self, dropdown: ft.Dropdown) -> None:
        self.dropdown = dropdown
        dropdown.on_select = self._chosen

    def _chosen(self, _e: ft.Event[ft.Dropdown]) -> None:
        if self.dropdown.error_text:
            self.dropdown.error_text = None
            self.dropdown.update()

    @property
    def error(self) -> str | None:
        return self.dropdown.error_text

    @error.setter
    def error(self, value: str | None) -> None:
        self.dropdown.error_text = value
