"""Co-signing at the kitchen table: who signs next, the signature pad, the plan PDF.

Plain Python over ``models.signing``: the Flet view (``ui.views.signing``) shows this state and
calls these methods; ``tests/unit/ui/test_signing_viewmodel.py`` drives it the same way.

Choices where the issue is silent:
- **Which meeting.** The case's most recent meeting that was held and is not running any more.
  "Sign the plan" on the meeting's read-back step ends the meeting first (it is recorded as held),
  so the plan that is signed is the plan that was read back. Until the first signature, "Back to
  the meeting" re-opens it at the read-back step; after that, a change makes a new version.
- **Who signs, in which order.** Everyone in the plan (the people ticked present, and always the
  resident), in the plan's order: the resident first (``sign_plan`` refuses anyone before the
  resident), then the network, then the professionals. The pad is for the first person who has
  not signed the current version yet.
- **The drawn image.** The pad collects the strokes (lists of points, in logical pixels) as the
  finger moves, and ``render_signature_png`` draws them with Pillow, at twice the size for a crisp
  print, dark blue on a transparent background, cropped to the drawing's bounding box plus a small
  margin. We do not use the canvas capture: in web mode it is viewport-sized with transparent
  padding, it needs an extra round trip to the client, and it cannot be tested without a browser;
  the strokes are exactly what was drawn, and the PNG made from them is deterministic.
- **An empty pad** (nothing drawn, or only a dot or a tiny scratch: less than ``MIN_INK`` pixels
  of line) is refused with a message next to the pad; nothing is stored.
- **The PDF** is made when everyone has signed: in a worker thread (``asyncio.to_thread``) so the
  screen keeps drawing its progress ring, then a sealed copy is kept in the store
  (``save_plan_pdf``), and the view offers it to save or share. A plan whose PDF was made before
  offers the kept copy at once. The file name carries no name: ``keukentafel-plan-<date>-v<n>.pdf``.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from PIL import Image, ImageDraw

from models import device_audit, queries, signing
from models.domain import CaseFile, Meeting, ParticipantRole
from models.errors import KeukentafelError, RecordNotFoundError
from models.i18n import _, current_language, ngettext
from models.plan import Plan, PlanParticipant
from models.plan_pdf import build_plan_pdf, format_moment
from models.store import CaseStore
from ui.viewmodels import dates
from ui.viewmodels.plan import ROLE_LABELS

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Point = tuple[float, float]

MIN_INK: Final = 20.0  # logical pixels of line: less is a dot or a slip, not a signature
PNG_SCALE: Final = 2  # pixels per logical pixel in the stored PNG
STROKE_WIDTH: Final = 3.0  # logical pixels, as drawn on the pad
PNG_MARGIN: Final = 6  # logical pixels around the drawing's bounding box
INK: Final = (20, 30, 90, 255)  # dark blue, like a ballpoint pen
DONE: Final = "done"  # ui.viewmodels.meeting.DONE; the read-back step is "readback"
READBACK: Final = "readback"


# -- the pad -----------------------------------------------------------------------------------


@dataclass
class SignaturePad:
    """The strokes drawn on the pad so far. ``width``/``height``, once known, bound the points."""

    strokes: list[list[Point]] = field(default_factory=list)
    width: float | None = None
    height: float | None = None

    def _bounded(self, x: float, y: float) -> Point:
        if self.width is not None:
            x = min(max(x, 0.0), self.width)
        if self.height is not None:
            y = min(max(y, 0.0), self.height)
        return (x, y)

    def start(self, x: float, y: float) -> None:
        """A finger or pen touches the pad: a new stroke."""
        self.strokes.append([self._bounded(x, y)])

    def extend(self, x: float, y: float) -> None:
        """The finger moves: the line goes on (a move without a start starts a stroke)."""
        if not self.strokes:
            self.start(x, y)
            return
        self.strokes[-1].append(self._bounded(x, y))

    def clear(self) -> None:
        self.strokes = []

    @property
    def ink(self) -> float:
        """The length of all lines drawn, in logical pixels."""
        pairs = (pair for stroke in self.strokes for pair in itertools.pairwise(stroke))
        return sum(math.dist(a, b) for a, b in pairs)

    @property
    def is_empty(self) -> bool:
        return self.ink < MIN_INK


def render_signature_png(strokes: list[list[Point]]) -> bytes:
    """The strokes as a transparent PNG, cropped to their bounding box plus ``PNG_MARGIN``."""
    points = [p for stroke in strokes for p in stroke]
    if not points:
        raise ValueError("nothing drawn")
    left = min(x for x, _y in points) - PNG_MARGIN
    top = min(y for _x, y in points) - PNG_MARGIN
    right = max(x for x, _y in points) + PNG_MARGIN
    bottom = max(y for _x, y in points) + PNG_MARGIN
    size = (
        max(1, math.ceil((right - left) * PNG_SCALE)),
        max(1, math.ceil((bottom - top) * PNG_SCALE)),
    )
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    width = round(STROKE_WIDTH * PNG_SCALE)
    radius = width / 2
    for stroke in strokes:
        scaled = [((x - left) * PNG_SCALE, (y - top) * PNG_SCALE) for x, y in stroke]
        if len(scaled) > 1:
            draw.line(scaled, fill=INK, width=width, joint="curve")
        for x, y in (scaled[0], scaled[-1]):  # round ends (and a dot for a single touch)
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=INK)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# -- which meeting ----------------------------------------------------------------------------


def signable_meeting(case_file: CaseFile) -> Meeting | None:
    """The most recent meeting that was held and is not running any more."""
    held = [m for m in case_file.meetings if m.held_on is not None and m.progress in ("", DONE)]
    return max(held, key=lambda m: m.held_on or date.min, default=None)


@dataclass(frozen=True, slots=True)
class SigningEntry:
    """What the case screen says about signing its last meeting's plan, and its button."""

    text: str
    action: str  # the button's label; empty: no button (the plan cannot be read)
    signed: bool  # everyone signed the plan as it stands (the button shows the signed plan)


def signing_entry(store: CaseStore, case_id: str) -> SigningEntry | None:
    """The case screen's signing line, or ``None`` when no held meeting has a plan to sign."""
    meeting = signable_meeting(queries.case_file(store, case_id))
    if meeting is None:
        return None
    try:
        status = signing.plan_status(store, case_id, meeting.id)
    except KeukentafelError as error:  # a damaged signature row: say so, keep the case screen
        log.warning("plan status unreadable: %s", type(error).__name__)
        return SigningEntry(error.message, "", signed=False)
    if status.changed_since_signed:
        return SigningEntry(
            _(
                "The plan has changed since version {signed} was signed. "
                "Version {current} needs new signatures."
            ).format(signed=status.signed_version, current=status.current_version),
            _("Sign the new version"),
            signed=False,
        )
    if status.signed_version is None:
        return SigningEntry(_("The plan is not signed yet."), _("Sign the plan"), signed=False)
    if status.waiting_for:
        return SigningEntry(
            _("{signed} of {total} people have signed the plan.").format(
                signed=len(status.signers), total=len(status.signers) + len(status.waiting_for)
            ),
            _("Go on signing"),
            signed=False,
        )
    return SigningEntry(
        _("Everyone has signed version {version} of the plan.").format(
            version=status.current_version
        ),
        _("Show the signed plan"),
        signed=True,
    )


# -- the signing screen -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignerLine:
    participant_id: str
    name: str = field(repr=False)
    role: str  # shown: "Resident", "Network, daughter", "Professional, nurse — organisation"
    signed_at: str | None  # shown, in the app's language; None: not signed yet

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


def role_text(person: PlanParticipant) -> str:
    try:
        label = _(ROLE_LABELS[ParticipantRole(person.role)])
    except ValueError:
        label = person.role
    parts = [label] + ([person.relation] if person.relation else [])
    text = ", ".join(parts)
    return f"{text} — {person.organisation}" if person.organisation else text


class SigningViewModel:
    """Signing one meeting's plan, one participant after the other. Construct with ``open``."""

    def __init__(self, store: CaseStore, case_id: str, meeting: Meeting, *, now: Clock) -> None:
        self.store = store
        self.case_id = case_id
        self.meeting = meeting
        self.now = now
        self.pad = SignaturePad()
        self.error: str | None = None  # shown next to the pad
        self.pdf: bytes | None = None
        self.pdf_busy = False
        self.pdf_error: str | None = None
        self.finished_partly = False  # "finish without the others": not kept, asked each time
        self.refresh()

    @classmethod
    def open(cls, store: CaseStore, case_id: str, *, now: Clock) -> SigningViewModel:
        """The signing of the case's last held meeting; ``RecordNotFoundError`` when none."""
        meeting = signable_meeting(queries.case_file(store, case_id))
        if meeting is None:
            raise RecordNotFoundError("meetings", case_id)
        return cls(store, case_id, meeting, now=now)

    def refresh(self) -> None:
        self.plan: Plan = signing.current_plan(self.store, self.case_id, self.meeting.id)
        self.status = signing.plan_status(self.store, self.case_id, self.meeting.id)
        self.witness = signing.device_witness(self.store)

    @property
    def witness_text(self) -> str | None:
        """Who is named as the witness of each new signature: the user of this tablet.

        In the third person: the resident reads this screen too, and "you" would be them.
        """
        if self.witness is None:
            return None
        w = self.witness
        who = ", ".join(t for t in (w.name, w.role, w.organisation) if t)
        return _("Witness of the signatures: {who}.").format(who=who)

    # -- who signs ----------------------------------------------------------------------------

    @property
    def signers(self) -> list[SignerLine]:
        """Everyone who signs this version, in signing order, with the time they signed."""
        language = current_language()
        signed_now = (
            {s.participant_id: s for s in self.status.signers}
            if self.status.signed_version == self.status.current_version
            else {}
        )
        lines = []
        resident_first = sorted(
            self.plan.participants, key=lambda p: p.role != ParticipantRole.RESIDENT.value
        )
        for p in resident_first:
            summary = signed_now.get(p.id)
            lines.append(
                SignerLine(
                    p.id,
                    p.name,
                    role_text(p),
                    format_moment(summary.signed_at, language) if summary else None,
                )
            )
        return lines

    @property
    def current(self) -> SignerLine | None:
        """Who signs now: the first in order who has not signed this version."""
        return next((line for line in self.signers if not line.signed), None)

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def can_finish_partly(self) -> bool:
        """Someone present will not or cannot sign: once the resident has signed, the others
        may be left out. The plan holds for those who signed; the PDF names who did not."""
        return not self.done and self.signed_count > 0

    def finish_partly(self) -> None:
        if self.can_finish_partly:
            self.finished_partly = True
            self.pad.clear()
            self.error = None
            self.pdf = self.kept_pdf()

    @property
    def finished(self) -> bool:
        """Signing is over for now: everyone signed, or the rest was left out."""
        return self.done or (self.finished_partly and self.signed_count > 0)

    @property
    def not_signed_text(self) -> str | None:
        missing = [line.name for line in self.signers if not line.signed]
        if not missing:
            return None
        return _("Did not sign: {names}.").format(names=", ".join(missing))

    @property
    def signed_count(self) -> int:
        return sum(1 for line in self.signers if line.signed)

    @property
    def progress_text(self) -> str:
        total = len(self.signers)
        if self.done:
            return _("Everyone has signed ({total} of {total}).").format(total=total)
        if self.finished:
            return ngettext(
                "{n} of {total} has signed.", "{n} of {total} have signed.", self.signed_count
            ).format(n=self.signed_count, total=total)
        return _("Signature {n} of {total}").format(n=self.signed_count + 1, total=total)

    @property
    def version_text(self) -> str:
        """Which plan version this is and what its state is, for the top of the screen."""
        status = self.status
        if status.changed_since_signed:
            return _(
                "Version {signed} of the plan was signed, but the plan has changed since. "
                "This is version {current}: it needs new signatures."
            ).format(signed=status.signed_version, current=status.current_version)
        if self.finished:
            return _("Version {version} of the plan is signed. It cannot change any more.").format(
                version=status.current_version
            )
        if status.signed_version == status.current_version:
            return _(
                "You are signing version {version} of the plan. It cannot change any more."
            ).format(version=status.current_version)
        return _("You are signing version {version} of the plan.").format(
            version=status.current_version
        )

    @property
    def check_code(self) -> str:
        return self.status.check_code

    @property
    def meeting_text(self) -> str:
        return _("Meeting on {date}").format(date=dates.in_words(self.plan.meeting_date))

    @property
    def can_return_to_meeting(self) -> bool:
        """Before the first signature of this version the meeting can still be changed."""
        return self.signed_count == 0 and not self.status.changed_since_signed

    def return_to_meeting(self) -> None:
        """Open the meeting again at its read-back step (only before anyone has signed)."""
        if not self.can_return_to_meeting:
            return
        self.meeting.progress = READBACK
        self.store.save_meeting(self.meeting)

    # -- the pad --------------------------------------------------------------------------------

    def draw_start(self, x: float, y: float) -> None:
        self.pad.start(x, y)

    def draw_to(self, x: float, y: float) -> None:
        self.pad.extend(x, y)
        if self.error and not self.pad.is_empty:
            self.error = None

    def clear(self) -> None:
        self.pad.clear()
        self.error = None

    def sign(self) -> bool:
        """Sign for the current signer with what is on the pad. False (with ``error``) if not."""
        signer = self.current
        if signer is None:
            return False
        if self.pad.is_empty:
            self.error = _("The box is still empty. Sign with your finger in the box first.")
            return False
        try:
            image = render_signature_png(self.pad.strokes)
            signing.sign_plan(
                self.store,
                self.case_id,
                self.meeting.id,
                signer_id=signer.participant_id,
                image=image,
                now=self.now(),
            )
        except KeukentafelError as error:  # resident first, already signed, frozen meanwhile ...
            self.error = error.message
            self.refresh()
            if self.current != signer:  # someone else's turn now: not their drawing
                self.pad.clear()
            return False
        except ValueError:
            self.error = signing.SignatureImageError().message
            return False
        self.error = None
        self.pad.clear()
        self.pdf = None
        self.refresh()
        return True

    # -- the PDF --------------------------------------------------------------------------------

    @property
    def file_name(self) -> str:
        return f"keukentafel-plan-{self.plan.meeting_date.isoformat()}-v{self.plan.version}.pdf"

    def kept_pdf(self) -> bytes | None:
        """The sealed copy kept in the store for this version, if it was made before (a new
        signature drops it: see ``signing.sign_plan``)."""
        if not self.finished:
            return None
        try:
            return signing.load_plan_pdf(
                self.store, signing.signed_plan(self.store, self.meeting.id)
            )
        except KeukentafelError as error:
            log.warning("kept plan PDF unreadable: %s", type(error).__name__)
            return None

    def pdf_handed_out(self, *, saved: bool) -> None:
        """The view handed a plan PDF (this or an earlier version) to the system's save-or-share
        dialog: an export of the case, for the audit log (``saved``: without an error)."""
        device_audit.plan_pdf_exported(self.store, self.case_id, self.meeting.id, saved=saved)

    # -- earlier versions -------------------------------------------------------------------

    @property
    def earlier_versions(self) -> list[int]:
        """Versions signed before the plan changed: their PDF stays available, oldest first."""
        return [
            v
            for v in signing.signed_versions(self.store, self.meeting.id)
            if v != self.status.current_version
        ]

    def earlier_text(self, version: int) -> str:
        return _("Version {version} was signed before the plan changed.").format(version=version)

    def earlier_file_name(self, version: int) -> str:
        return f"keukentafel-plan-{self.plan.meeting_date.isoformat()}-v{version}.pdf"

    async def earlier_pdf(self, version: int) -> bytes | None:
        """The PDF of an earlier signed version: the kept copy, or made now and kept."""
        self.pdf_error = None
        try:
            signed = signing.signed_plan(self.store, self.meeting.id, version)
            pdf = signing.load_plan_pdf(self.store, signed)
            if pdf is None:
                pdf = await asyncio.to_thread(build_plan_pdf, signed, language=current_language())
                signing.save_plan_pdf(self.store, signed, pdf)
        except Exception as error:  # a damaged record, reportlab, disk: nothing else changes
            log.warning("earlier plan PDF not made: %s", type(error).__name__)
            self.pdf_error = _(
                "The PDF of version {version} could not be made. Please try again."
            ).format(version=version)
            return None
        return pdf

    async def make_pdf(self) -> bool:
        """Build the PDF off the UI thread, keep a sealed copy, hold it in ``pdf``."""
        if not self.finished:
            return False
        self.pdf_busy, self.pdf_error = True, None
        try:
            signed = signing.signed_plan(self.store, self.meeting.id)
            pdf = await asyncio.to_thread(build_plan_pdf, signed, language=current_language())
            signing.save_plan_pdf(self.store, signed, pdf)
        except Exception as error:  # reportlab, disk, a damaged record: the signatures stay saved
            log.warning("plan PDF not made: %s", type(error).__name__)
            self.pdf_error = _(
                "The PDF could not be made. The signatures are saved. Please try again."
            )
            return False
        finally:
            self.pdf_busy = False
        self.pdf = pdf
        return True
