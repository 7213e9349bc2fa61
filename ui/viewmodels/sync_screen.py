"""The sync screen: where sync stands, conflicts to settle, held-back changes, and enrolment.

Reached from the status line and from settings ("Dossier server"). What it shows:

- the server this device is linked to, the account, the account id to give colleagues (they link a
  professional participant to it, see ``ui.viewmodels.participants``), last sync, waiting count;
- **conflicts** in plain words: "You and another professional both changed <field> of <what>.
  Yours: X. Theirs: Y. Which one stands?" with one button for each side (``resolve_conflict``);
- **held back** changes with the server's reason as a sentence (every code the server or the
  cycle can give, see ``REASONS``) and a retry (``retry``); changes of cases without the resident's
  consent stay on the device and are counted, not listed as errors;
- when the device is not linked yet: an enrolment form (server address, one-time code, account
  e-mail and password) with a clear message for every failure;
- when the server no longer accepts the login: a password field to log in again.

Enrolment is done here in two steps instead of ``sync.cycle.enrol_device``: the one-time code is
spent the moment the device enrols, so when the password that follows is mistyped the device
credential is kept in memory and the next attempt only logs in again, without a new code. The
password is never kept; the credential is saved (sealed) only after a successful login.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from models import queries, sync_state
from models.domain import CaseFile
from models.errors import KeukentafelError
from models.i18n import N_, _, ngettext
from models.store import CaseStore
from sync import cycle
from sync.client import DeviceCredential, DossierClient
from sync.engine import DELETED, Conflict
from sync.errors import (
    DeviceRevokedError,
    EnrolmentCodeError,
    InsecureServerError,
    LoginNeededError,
    OfflineError,
    SyncError,
)
from sync.protocol import Entity
from ui.viewmodels import dates
from ui.viewmodels.participants import shown_name
from ui.viewmodels.sync_status import age_text

log = logging.getLogger(__name__)

URL, CODE, EMAIL, PASSWORD, FORM = "url", "code", "email", "password", "form"
WHAT_MAX = 40  # characters of an agreement's text used to name it

# Every reason a change can be held back for: the server's REJECTED codes (server/sync_push.py),
# the cycle's own ("invalid_record") and the engine's fallback ("rejected").
REASONS: dict[str, str] = {
    "no_consent": N_(
        "The resident has not given consent to share this case, so it stays on this device. "
        "Record the consent on the case, then try again."
    ),
    "not_authorised": N_(
        "You do not take part in this case on the dossier server. A colleague who does can add "
        "you as a participant with your dossier account id; then try again."
    ),
    "unknown_account": N_(
        "The dossier account id given for a participant is not known on the server. Check the "
        "account id with that professional, correct it on the participant and try again."
    ),
    "case_mismatch": N_(
        "The server has this record under another case. The change stays on this device; "
        "ask the administrator to look at it."
    ),
    "invalid_case_record": N_(
        "The server could not match this change to its case. The change stays on this device; "
        "ask the administrator to look at it."
    ),
    "invalid_consent": N_(
        "The consent in this change is not filled in correctly. Record the consent on the case "
        "again, then try again."
    ),
    "mutation_id_reused": N_(
        "The server already received a different change under the same number. The change stays "
        "on this device; ask the administrator to look at it."
    ),
    "invalid_text": N_(
        "A text in this change holds an invisible character the server cannot store. It stays on "
        "this device. Type the text again, then try again."
    ),
    "too_large": N_(
        "This change is too large to send, for example because of a very long text. It stays on "
        "this device. Make the text shorter, then try again."
    ),
    "invalid_record": N_(
        "This change is damaged on this device and cannot be sent. It is kept; ask the "
        "administrator to look at it."
    ),
    "case_erased": N_(
        "This case was erased from the dossier server on request, so this change can no longer "
        "be sent. The case is removed from this device at the next sync."
    ),
    "frozen": N_(
        "The dossier server already keeps this signed plan or signature differently, and a "
        "signed plan never changes. It stays on this device; ask the administrator to look at it."
    ),
    "unknown_signing_key": N_(
        "This signature was made with another signing key than the one the dossier server knows "
        "for this tablet. It stays on this device; ask the administrator to look at it."
    ),
    "invalid_evidence": N_(
        "The dossier server could not check this signed plan or signature, so it did not keep "
        "it. It stays on this device; ask the administrator to look at it."
    ),
}
UNKNOWN_REASON = N_("The dossier server refused this change ({code}). It stays on this device.")

FIELD_LABELS: dict[str, str] = {
    "name": N_("the name"),
    "date_of_birth": N_("the date of birth"),
    "address": N_("the address"),
    "phone": N_("the phone number"),
    "email": N_("the e-mail address"),
    "contact_date": N_("the contact date"),
    "question": N_("the question"),
    "organisation_id": N_("the organisation"),
    "consent_given": N_("the consent to share"),
    "consent_recorded_on": N_("the date of the consent"),
    "no_meeting_decided_on": N_("the decision that no MDO is needed"),
    "no_meeting_reason": N_("the reason why no MDO is needed"),
    "closed_on": N_("the closing date"),
    "closing_note": N_("the closing note"),
    "role": N_("the role"),
    "relation": N_("the relation"),
    "contact": N_("the contact details"),
    "account_id": N_("the dossier account"),
    "removed_on": N_("the date they were taken off the case"),
    "planned_for": N_("the date and time"),
    "place": N_("the place"),
    "held_on": N_("the date it was held"),
    "wants": N_("the “I want” list"),
    "strengths": N_("the “I can” list"),
    "needs": N_("the “I need” list"),
    "present": N_("the list of who was at the table"),
    "what": N_("the text"),
    "owner_id": N_("the person who does it"),
    "due_date": N_("the due date"),
    "outside_norm_reason": N_("the reason for the later date"),
    "status": N_("the status"),
    "done_on": N_("the date it was done"),
    "note": N_("the note"),
    "cost_estimate_cents": N_("the cost estimate"),
    "moment": N_("the moment"),
    "taken_on": N_("the date"),
    "wellbeing": N_("the wellbeing score"),
    "positive_health": N_("the Positive Health scores"),
    "zrm": N_("the ZRM scores"),
}


def reason_sentence(code: str) -> str:
    """The plain-language sentence for a held-back reason code."""
    if code in REASONS:
        return _(REASONS[code])
    return _(UNKNOWN_REASON).format(code=code)


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else name


@dataclass(frozen=True, slots=True)
class ConflictRow:
    conflict: Conflict
    question: str
    mine: str
    theirs: str


@dataclass(frozen=True, slots=True)
class HeldRow:
    mutation_id: str
    what: str  # "A change to the agreement “…” (case of …)"
    reason: str  # the plain sentence
    code: str


@dataclass
class EnrolForm:
    url: str = "https://"
    code: str = ""
    email: str = ""
    password: str = field(default="", repr=False)


class SyncScreenViewModel:
    def __init__(
        self,
        store: CaseStore,
        *,
        now: Callable[[], datetime],
        client_factory: cycle.ClientFactory = DossierClient,
        label: str = "",
    ) -> None:
        self.store = store
        self.now = now
        self.client_factory = client_factory
        self.label = label  # the device's name on the server (the professional's name)
        self.status: cycle.SyncStatus = cycle.SyncStatus(cycle.SyncState.NOT_ENROLLED)
        self.account: sync_state.SyncAccount | None = None
        self.conflicts: list[ConflictRow] = []
        self.held_back: list[HeldRow] = []
        self.form = EnrolForm()
        self.errors: dict[str, str] = {}
        self.result: str | None = None  # what the last action did, for a message on screen
        self._credential: tuple[str, DeviceCredential] | None = None  # (server, credential)
        self._cases: dict[str, CaseFile | None] = {}

    # -- reading -------------------------------------------------------------------------------

    def load(self, status: cycle.SyncStatus | None = None) -> None:
        """Read everything from the store; ``status`` is the outcome of a cycle that just ran."""
        with self.store.reading() as (conn, sealer):
            self.account = sync_state.load_account(conn, sealer)
        local = cycle.local_status(self.store)
        if status is not None and status.state is not cycle.SyncState.WIPED:
            # The cycle's state (offline, error) with the counts as they are now.
            local = cycle.local_status(
                self.store, status.state, message=status.message, code=status.code
            )
        self.status = local
        self._cases = {}
        self.conflicts = [self._conflict_row(c) for c in cycle.open_conflicts(self.store)]
        self.held_back = [
            HeldRow(
                h.mutation_id,
                self._change_of(h.entity, h.record_id, h.case_id),
                reason_sentence(h.reason),
                h.reason,
            )
            for h in local.held_back
        ]

    @property
    def enrolled(self) -> bool:
        return self.account is not None

    @property
    def needs_login(self) -> bool:
        return self.status.state is cycle.SyncState.ERROR and self.status.code in cycle.LOGIN_CODES

    @property
    def server_text(self) -> str:
        return self.account.server_url if self.account else "—"

    @property
    def email_text(self) -> str:
        return self.account.email if self.account else "—"

    @property
    def account_id_text(self) -> str:
        return self.account.account_id if self.account else "—"

    @property
    def last_sync_text(self) -> str:
        last = self.status.last_synced_at
        if last is None:
            return _("Not synced yet")
        return _("{day} at {time} ({age})").format(
            day=dates.short(dates.local_parts(last)[0]),
            time=dates.hhmm(dates.local_parts(last)[1]),
            age=age_text(last, self.now()),
        )

    @property
    def waiting_text(self) -> str:
        n = self.status.waiting
        if n == 0:
            return _("Nothing waiting to be sent.")
        return ngettext("{n} change waits to be sent.", "{n} changes wait to be sent.", n).format(
            n=n
        )

    @property
    def kept_text(self) -> str | None:
        n = self.status.kept_on_device
        if n == 0:
            return None
        return ngettext(
            "{n} change stays on this device: its case has no consent to share.",
            "{n} changes stay on this device: their cases have no consent to share.",
            n,
        ).format(n=n)

    @property
    def problem_text(self) -> str | None:
        """Why the last cycle did not finish (offline, refused), in the user's language."""
        if self.status.state in (cycle.SyncState.OFFLINE, cycle.SyncState.ERROR):
            return self.status.message
        return None

    # -- actions -------------------------------------------------------------------------------

    def sync_now(self) -> cycle.SyncStatus:
        """One cycle now (blocking: the view runs it off the UI thread), then read again."""
        status = cycle.run_cycle(self.store, client_factory=self.client_factory, now=self.now)
        self.after_sync(status)
        return status

    def after_sync(self, status: cycle.SyncStatus) -> None:
        if status.state is cycle.SyncState.WIPED:
            self.status, self.result = status, status.message
            return
        self.load(status)
        # A failure is shown once, as ``problem_text`` with the status.
        self.result = _("Synced.") if status.state is cycle.SyncState.SYNCED else None

    def choose(self, row: ConflictRow, *, keep_mine: bool) -> None:
        cycle.resolve_conflict(self.store, row.conflict, keep_mine=keep_mine, now=self.now)
        self.load()
        self.result = (
            _("Your version stands. It is sent with the next sync.")
            if keep_mine
            else _("The other version stands.")
        )

    def retry(self, mutation_id: str) -> None:
        cycle.retry(self.store, mutation_id)
        self.load()
        self.result = _("The change will be sent again with the next sync.")

    # -- enrolment -----------------------------------------------------------------------------

    def enrol(self) -> bool:
        """Link this device with the form values (errors: URL, CODE, EMAIL, PASSWORD, FORM)."""
        form = self.form
        url, code, email = form.url.strip(), form.code.strip(), form.email.strip()
        errors: dict[str, str] = {}
        if url in ("", "https://", "http://"):
            errors[URL] = _("Fill in the address of the dossier server.")
        if not code and self._credential is None:
            errors[CODE] = _("Fill in the one-time code from the administrator.")
        if "@" not in email:
            errors[EMAIL] = _("Fill in the e-mail address of your dossier account.")
        if not form.password:
            errors[PASSWORD] = _("Fill in the password of your dossier account.")
        self.errors = errors
        if errors:
            return False
        try:
            account = self._enrol_and_log_in(url, code, email, form.password)
        except SyncError as error:
            self.errors = self._enrol_error(error)
            return False
        finally:
            form.password = ""  # never kept, not even on the screen
        with self.store.writing() as (conn, sealer):
            sync_state.save_account(conn, sealer, account, now=self.now())
        self._credential = None
        self.form = EnrolForm()
        self.load()
        self.result = _("This device is now linked to the dossier server.")
        return True

    def _enrol_and_log_in(
        self, url: str, code: str, email: str, password: str
    ) -> sync_state.SyncAccount:
        with self.client_factory(url) as client:
            kept = self._credential
            if kept is not None and kept[0] == client.base_url:
                credential = kept[1]
            else:
                credential = client.enrol(code, label=self.label)
                self._credential = (client.base_url, credential)
            tokens = client.login(credential, email=email, password=password)
            return sync_state.SyncAccount(
                server_url=client.base_url,
                device_id=str(credential.device_id),
                account_id=str(tokens.account_id),
                email=email,
                device_secret=credential.device_secret,
                refresh_token=tokens.refresh_token,
                role=tokens.role,
            )

    def _enrol_error(self, error: SyncError) -> dict[str, str]:
        if isinstance(error, InsecureServerError):
            return {URL: error.message}
        if isinstance(error, EnrolmentCodeError):
            return {CODE: error.message}
        if isinstance(error, OfflineError):
            return {
                FORM: _(
                    "The dossier server cannot be reached at this address. Check the address "
                    "and the connection, then try again."
                )
            }
        if isinstance(error, LoginNeededError):
            message = _("This e-mail address and password were not accepted. Check both.")
            if self._credential is not None:
                message += " " + _("The code has been used: you do not need to type it again.")
            return {PASSWORD: message}
        if isinstance(error, DeviceRevokedError):
            self._credential = None
            return {FORM: _("The administrator has switched this device off. Ask for a new code.")}
        log.warning("enrolment refused: %s", error.code)
        return {FORM: error.message}

    def log_in_again(self, password: str) -> bool:
        if not password:
            self.errors = {PASSWORD: _("Fill in the password of your dossier account.")}
            return False
        try:
            cycle.log_in_again(self.store, password=password, client_factory=self.client_factory)
        except LoginNeededError:
            self.errors = {PASSWORD: _("This password was not accepted. Try again.")}
            return False
        except SyncError as error:
            self.errors = {FORM: error.message}
            return False
        self.errors = {}
        self.result = _("Logged in again. Sync goes on.")
        self.status = cycle.local_status(self.store)
        return True

    # -- plain words ---------------------------------------------------------------------------

    def _case(self, case_id: str) -> CaseFile | None:
        if case_id not in self._cases:
            try:
                self._cases[case_id] = queries.case_file(self.store, case_id)
            except KeukentafelError:
                self._cases[case_id] = None
        return self._cases[case_id]

    def _what(self, entity: str, record_id: str, case_id: str) -> str:
        """``the agreement “Samen de post doorlopen” in the case of Jan Jansen``."""
        f = self._case(case_id)
        if f is None:
            return _("a case that is not on this device")
        name = f.case.resident.name
        if entity in (Entity.CASE.value, Entity.RESIDENT.value):
            return _("the case of {name}").format(name=name)
        if entity == Entity.PARTICIPANT.value:
            person = next((p for p in f.participants if p.id == record_id), None)
            if person is not None:
                return _("participant {person} in the case of {name}").format(
                    person=person.name, name=name
                )
            return _("a participant in the case of {name}").format(name=name)
        if entity == Entity.MEETING.value:
            return _("the MDO in the case of {name}").format(name=name)
        if entity in (Entity.PLAN_VERSION.value, Entity.PLAN_SIGNATURE.value):
            return _("the signed plan in the case of {name}").format(name=name)
        if entity == Entity.AGREEMENT.value:
            agreement = next((a for a in f.agreements if a.id == record_id), None)
            if agreement is not None:
                what = (
                    agreement.what
                    if len(agreement.what) <= WHAT_MAX
                    else (agreement.what[: WHAT_MAX - 1].rstrip() + "…")
                )
                return _("the agreement “{what}” in the case of {name}").format(
                    what=what, name=name
                )
            return _("an agreement in the case of {name}").format(name=name)
        return _("a measurement in the case of {name}").format(name=name)

    def _change_of(self, entity: str, record_id: str, case_id: str) -> str:
        return _("A change to {what}").format(what=self._what(entity, record_id, case_id))

    def _conflict_row(self, c: Conflict) -> ConflictRow:
        what = self._what(c.entity.value, str(c.record_id), str(c.case_id))
        if c.field == DELETED:
            if c.theirs is True:
                question = _(
                    "Another professional removed {what} while you changed it. Should it stay "
                    "removed, or does your version stand?"
                ).format(what=what)
                return ConflictRow(c, question, _("your changed version"), _("removed"))
            question = _(
                "You removed {what} while another professional changed it. Which one stands?"
            ).format(what=what)
            return ConflictRow(c, question, _("removed"), _("their changed version"))
        question = _(
            "You and another professional both changed {field} of {what}. Which one stands?"
        ).format(field=field_label(c.field), what=what)
        case_file = self._case(str(c.case_id))
        return ConflictRow(
            c,
            question,
            self._value(c.field, c.mine, case_file),
            self._value(c.field, c.theirs, case_file),
        )

    def _value(self, name: str, value: object, case_file: CaseFile | None) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return _("(empty)")
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if name == "owner_id" and case_file is not None:
            person = next((p for p in case_file.participants if p.id == value), None)
            return shown_name(person) if person else _("(someone not on this device)")
        if name == "present" and isinstance(value, list) and case_file is not None:
            names = {p.id: shown_name(p) for p in case_file.participants}
            return ", ".join(names.get(str(v), "?") for v in value)
        if name == "organisation_id" and isinstance(value, str):
            names = {o.id: o.name for o in self.store.organisations(include_inactive=True)}
            return names.get(value, value)
        if name == "cost_estimate_cents" and isinstance(value, int):
            return f"€ {value / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        if isinstance(value, list):
            return "; ".join(str(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        if isinstance(value, str):
            return _date_text(value)
        return str(value)


def _date_text(value: str) -> str:
    """An ISO date or date-time from the wire as the app shows it; any other text as it is."""
    try:
        if len(value) == 10:
            return dates.short(date.fromisoformat(value))
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    day, clock = dates.local_parts(moment)
    return f"{dates.short(day)} {dates.hhmm(clock)}"
